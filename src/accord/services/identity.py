"""Members and who is calling (SPEC §1): bootstrap, authentication, creating members, web sessions."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from accord.domain.errors import AccordError, AuthError, ConflictError, ForbiddenError
from accord.domain.members import Member, check_kind, check_slug
from accord.domain.tokens import to_minute
from accord.services.context import Context, record
from accord.services.ids import hash_token, new_id, new_token
from accord.services.proof import KeyService
from accord.storage.uow import UnitOfWork

ADMIN = "admin"
log = logging.getLogger("accord.identity")


def require_token(token: str | None) -> str:
    """`token` if one was given; AuthError (before any read) otherwise."""
    if not token:
        raise AuthError("missing token: send 'Authorization: Bearer acc_…' or set ACCORD_TOKEN")
    if not token.isascii():  # tokens are ASCII (acc_…); a lone surrogate could not even be hashed
        raise AuthError("invalid token: it matches no member (or it was revoked)")
    return token


def member_for_token(uow: UnitOfWork, token: str | None, now: datetime) -> Member:
    """`IdentityService.authenticate` inside the caller's transaction (an operation and the check of its
    token see the same state: a token revoked before the operation commits is refused). The member carries
    the token's `credential`. AuthError for a missing, unknown, revoked or expired token (SPEC §1 rev. 2)."""
    member = uow.tokens.member(hash_token(require_token(token).strip()))
    if member is None:
        raise AuthError("invalid token: it matches no member")
    assert member.credential is not None
    refusal = member.credential.refusal(now)
    if refusal is not None:
        raise refusal
    return member


def add_token(
    uow: UnitOfWork, member: str, at: datetime, *, label: str | None = None, expires_at: datetime | None = None
) -> tuple[str, str]:
    """Store a new token of `member` (only its hash); returns its id and the secret, shown only once."""
    token, token_id = new_token(), new_id("tok")
    uow.tokens.add(member, token_id, hash_token(token), at, label=label, expires_at=expires_at)
    return token_id, token


def note_use(ctx: Context, member: Member) -> None:
    """Record that `member`'s token was used this minute (SPEC §1 rev. 2): written at most once a minute per
    token, after and outside the caller's own transaction; a store too busy to take it skips it."""
    credential = member.credential
    now = ctx.now()
    if credential is None or not credential.use_due(now):
        return
    minute = to_minute(now)
    if not ctx.claim_use(credential.id, minute):
        return  # this process wrote (or is writing) this minute already
    try:
        with ctx.uow() as uow:
            uow.tokens.touch(credential.id, minute)
            uow.commit()
    except AccordError as exc:  # e.g. the store is locked by a long writer: the next call tries again
        ctx.forget_use(credential.id)
        log.warning("last_used_at of %s not written: %s", credential.id, exc)


class IdentityService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def init_store(self) -> dict[str, Any]:
        """Create (or upgrade) the store, its signing key and the `admin` member; returns admin's token, shown
        only once."""
        from accord.storage.migrate import upgrade  # Alembic is only needed here; keep CLI start-up quick

        upgrade(self.ctx.engine)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            if uow.members.get(ADMIN) is not None:
                raise ConflictError(
                    "the store is already initialised: admin exists (its token was shown once; "
                    "`accord admin recover` issues a new one)"
                )
            uow.members.add(Member(name=ADMIN, kind="human", is_admin=True), now)
            token_id, token = add_token(uow, ADMIN, now, label="init")
            record(uow, "member.created", at=now, actor=None, group=None, ref=f"member:{ADMIN}", name=ADMIN)
            KeyService(self.ctx).signing_key(uow)  # the store's first signing key (SPEC §12)
            uow.commit()
        return {"name": ADMIN, "kind": "human", "admin": True, "token": token, "token_id": token_id}

    def authenticate(self, token: str | None) -> Member:
        """The member whose token this is, carrying the token's `credential`; AuthError for a missing,
        unknown, revoked ("token revoked: …") or expired ("token expired: token tok_… expired at …") token.
        Moves the token's `last_used_at` to this minute, at most once a minute, in its own transaction."""
        require_token(token)
        with self.ctx.uow(write=False) as uow:
            member = member_for_token(uow, token, self.ctx.now())
        note_use(self.ctx, member)
        return member

    def create_member(self, actor: Member, name: str, kind: str = "agent", admin: bool = False) -> dict[str, Any]:
        """Create a member and its first token (returned only now); store administrators only."""
        if not actor.is_admin:
            raise ForbiddenError(f"{actor.name} may not create members: only store administrators may")
        member = Member(name=check_slug(name, "member"), kind=check_kind(kind), is_admin=admin)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            if uow.members.get(member.name) is not None:
                raise ConflictError(f"member {member.name} already exists", member=member.name)
            uow.members.add(member, now)
            token_id, token = add_token(uow, member.name, now, label="first")
            record(
                uow,
                "member.created",
                at=now,
                actor=actor.name,
                group=None,
                ref=f"member:{member.name}",
                name=member.name,
                kind=member.kind,
            )
            uow.commit()
        return {"name": member.name, "kind": member.kind, "admin": admin, "token": token, "token_id": token_id}

    def list_members(self, actor: Member) -> list[dict[str, Any]]:
        """Every member for an administrator; otherwise the members of the caller's groups."""
        with self.ctx.uow(write=False) as uow:
            members = uow.members.all()
            if not actor.is_admin:
                seen = {actor.name}
                for group in uow.groups.groups_of(actor.name):
                    seen.update(m.member for m in uow.groups.memberships(group))
                members = [m for m in members if m.name in seen]
        return [{"name": m.name, "kind": m.kind, "admin": m.is_admin} for m in members]

    def whoami(self, actor: Member) -> dict[str, Any]:
        with self.ctx.uow(write=False) as uow:
            groups = uow.groups.groups_of(actor.name)
        token = actor.credential.id if actor.credential is not None else None
        return {"name": actor.name, "kind": actor.kind, "admin": actor.is_admin, "groups": groups, "token_id": token}

    # -- web sessions (SPEC §13: signing out ends the session on the server) ---------------------------------

    def start_web_session(self, member: Member, expires_at: datetime) -> str:
        """A new web session for `member`, signed in with its current token (None for a sign-in link); returns
        the session id the cookie carries (the store keeps only its hash)."""
        token_id = member.credential.id if member.credential is not None else None
        with self.ctx.uow() as uow:
            session_id = open_web_session(uow, member.name, token_id, self.ctx.now(), expires_at)
            uow.commit()
        return session_id

    def web_session_member(self, session_id: str) -> Member:
        """The member signed in by this web session; AuthError once it was signed out, has expired, or the
        token it was signed in with was revoked or expired (or the member has no live token left)."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            row = uow.web_sessions.get(_session_hash(session_id))
            if row is None:
                raise AuthError("your sign-in has ended; sign in again")
            member = uow.members.get(row["member"])
            credential = uow.tokens.credential(row["token_id"]) if row["token_id"] else None
            if member is None or (row["token_id"] and credential is None):
                raise AuthError("your sign-in has ended; sign in again")
            # The token's fate first: it says why better than the session row its revocation also ended.
            if credential is not None:
                refusal = credential.refusal(now)
                if refusal is not None:
                    raise AuthError(f"your sign-in has ended: {refusal.message}; sign in again with a current token")
            elif uow.tokens.live_count(member.name, now) == 0:
                raise AuthError("your sign-in has ended: your tokens were revoked; ask an administrator for one")
            if row["ended_at"] is not None or row["expires_at"] <= now:
                raise AuthError("your sign-in has ended: you signed out or it expired; sign in again")
        signed_in = Member(name=member.name, kind=member.kind, is_admin=member.is_admin, credential=credential)
        note_use(self.ctx, signed_in)  # a page viewed is the token used (at most one write a minute)
        return signed_in

    def end_web_session(self, session_id: str) -> bool:
        """Sign a web session out on the server: its cookie stops working everywhere, copies included."""
        with self.ctx.uow() as uow:
            ended = uow.web_sessions.end(_session_hash(session_id), self.ctx.now())
            uow.commit()
        return ended


def open_web_session(uow: UnitOfWork, member: str, token_id: str | None, now: datetime, expires_at: datetime) -> str:
    """Store a new web session for `member` (signed in with `token_id`, None for a sign-in link) in `uow`'s
    transaction; returns the session id the cookie carries (the store keeps only its hash)."""
    session_id = secrets.token_urlsafe(24)
    uow.web_sessions.add(_session_hash(session_id), member, token_id, now, expires_at)
    return session_id


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(b"accord-web-session\0" + session_id.encode()).hexdigest()
