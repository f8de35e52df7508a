"""Members and tokens (SPEC §1): bootstrap, authentication, creating members."""

from __future__ import annotations

from typing import Any

from accord.domain.errors import AuthError, ConflictError, ForbiddenError, NotFoundError
from accord.domain.members import Member, check_kind, check_slug
from accord.services.context import Context, record
from accord.services.ids import hash_token, new_token
from accord.services.proof import KeyService
from accord.storage.uow import UnitOfWork

ADMIN = "admin"


def require_token(token: str | None) -> str:
    """`token` if one was given; AuthError (before any read) otherwise."""
    if not token:
        raise AuthError("missing token: send 'Authorization: Bearer acc_…' or set ACCORD_TOKEN")
    if not token.isascii():  # tokens are ASCII (acc_…); a lone surrogate could not even be hashed
        raise AuthError("invalid token: it matches no member (or it was revoked)")
    return token


def member_for_token(uow: UnitOfWork, token: str | None) -> Member:
    """`IdentityService.authenticate` inside the caller's transaction (an operation and the check of its
    token see the same state: a token revoked before the operation commits is refused)."""
    member = uow.tokens.member(hash_token(require_token(token).strip()))
    if member is None:
        raise AuthError("invalid token: it matches no member (or it was revoked)")
    return member


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
                raise ConflictError("the store is already initialised: admin exists (its token was shown once)")
            uow.members.add(Member(name=ADMIN, kind="human", is_admin=True), now)
            token = new_token()
            uow.members.add_token(ADMIN, hash_token(token), now, label="init")
            record(uow, "member.created", at=now, actor=None, group=None, ref=f"member:{ADMIN}", name=ADMIN)
            KeyService(self.ctx).signing_key(uow)  # the store's first signing key (SPEC §12)
            uow.commit()
        return {"name": ADMIN, "kind": "human", "admin": True, "token": token}

    def authenticate(self, token: str | None) -> Member:
        """The member whose token this is; AuthError for a missing, unknown or revoked token."""
        require_token(token)
        with self.ctx.uow(write=False) as uow:
            return member_for_token(uow, token)

    def authenticate_hash(self, token_hash: str) -> Member:
        """`authenticate` for a web session, which keeps the token's stored hash and never the token."""
        with self.ctx.uow(write=False) as uow:
            member = uow.members.by_token_hash(token_hash)
        if member is None:
            raise AuthError("your sign-in has ended: its token was revoked; sign in again with a current token")
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
            token = new_token()
            uow.members.add_token(member.name, hash_token(token), now)
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
        return {"name": member.name, "kind": member.kind, "admin": admin, "token": token}

    def issue_token(self, actor: Member, name: str) -> dict[str, Any]:
        """A new token for `name` (a member may hold several); the member itself or an administrator."""
        if not (actor.is_admin or actor.name == name):
            raise ForbiddenError(f"{actor.name} may not issue tokens for {name}")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            if uow.members.get(name) is None:
                raise NotFoundError(f"member {name} not found", member=name)
            token = new_token()
            uow.members.add_token(name, hash_token(token), now)
            record(uow, "token.issued", at=now, actor=actor.name, group=None, ref=f"member:{name}", name=name)
            uow.commit()
        return {"name": name, "token": token}

    def revoke_tokens(self, actor: Member, name: str) -> dict[str, Any]:
        """Revoke every token of `name`; the member itself or an administrator."""
        if not (actor.is_admin or actor.name == name):
            raise ForbiddenError(f"{actor.name} may not revoke tokens of {name}")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            count = uow.members.revoke_tokens(name, now)
            record(uow, "token.revoked", at=now, actor=actor.name, group=None, ref=f"member:{name}", count=count)
            uow.commit()
        return {"name": name, "revoked": count}

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
        return {"name": actor.name, "kind": actor.kind, "admin": actor.is_admin, "groups": groups}
