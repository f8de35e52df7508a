"""Sign-in links (SPEC §11): a human's notice carries `/signin/link/<token>`, single use, valid 15 minutes.

The token is signed with `itsdangerous` under a key kept in the store (every replica and worker shares it)
and names a stored link row, bound to one member. Looking at a link (GET: mail scanners follow links)
consumes nothing; redeeming it (POST) marks the row used in the same transaction that issues the web
session's token. A link is refused once used, once expired (the injected clock, against the stored
`expires_at`), and when any of the member's tokens was revoked after it was minted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from accord.domain.errors import AuthError
from accord.domain.members import Member
from accord.services.context import Context, record
from accord.services.identity import open_web_session
from accord.services.ids import new_id
from accord.storage.reach_repository import ReachRepository
from accord.storage.uow import UnitOfWork

LINK_MINUTES = 15
PATH = "/signin/link/"
SALT = "accord-signin-link"
MAX_NEXT = 500


@dataclass(frozen=True)
class Redeemed:
    """A redeemed link: who is now signed in, the id of its new web session (SPEC §13: kept on the server), and
    where to go."""

    member: Member
    session_id: str
    next_path: str


def safe_path(value: str) -> str:
    """Only a same-site path ('/gates/x', never '//host' or 'https://…'); '/' otherwise."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > MAX_NEXT:
        return "/"
    return value


class SigninLinkService:
    def __init__(self, ctx: Context, public_url: str) -> None:
        self.ctx = ctx
        self.public_url = public_url.rstrip("/")

    def mint(self, uow: UnitOfWork, member: str, next_path: str, *, now: datetime) -> str:
        """A new link for `member` opening `next_path` after sign-in, in the caller's transaction: its full URL
        under ACCORD_PUBLIC_URL. Valid 15 minutes from `now`, once."""
        repo = ReachRepository(uow.conn)
        link_id = new_id("sil")
        repo.add_link(link_id, member, safe_path(next_path), now, now + timedelta(minutes=LINK_MINUTES))
        token = self._serializer(repo, now).dumps({"l": link_id, "m": member})
        return f"{self.public_url}{PATH}{token}"

    def mint_now(self, member: str, next_path: str) -> str:
        """`mint` in its own transaction (the sender does this at each attempt)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            url = self.mint(uow, member, next_path, now=now)
            uow.commit()
        return url

    def sweep(self) -> dict[str, Any]:
        """Forget sign-in links that expired more than a day ago (the sweeper's share); {at, forgotten}."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            forgotten = ReachRepository(uow.conn).forget_links(now - timedelta(days=1))
            uow.commit()
        return {"at": now.isoformat(), "forgotten": forgotten}

    def peek(self, token: str) -> dict[str, Any]:
        """What a link would do, consuming nothing: {member, next, expires_at}. AuthError naming why it is
        refused: not a valid link, used at <instant>, expired at <instant>, or the member's tokens revoked."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            row = self._check(uow, token, now)
        return {"member": row["member"], "next": row["next_path"], "expires_at": row["expires_at"].isoformat()}

    def redeem(self, token: str, session_expires_at: datetime) -> Redeemed:
        """Use the link once: marks it used and opens a web session until `session_expires_at` (ended on the
        server by signing out, and by the revocation of the member's tokens), in one transaction. AuthError as
        `peek`; of two concurrent redeems exactly one succeeds. Event `member.signed_in` with `via: "link"`."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            row = self._check(uow, token, now)
            repo = ReachRepository(uow.conn)
            if not repo.use_link(row["id"], now):
                raise AuthError("this sign-in link was already used: ask for a new notice or sign in with a token")
            member = uow.members.get(row["member"])
            if member is None:
                raise AuthError("this sign-in link is not valid: its member no longer exists")
            session_id = open_web_session(uow, member.name, None, now, session_expires_at)
            record(
                uow,
                "member.signed_in",
                at=now,
                actor=member.name,
                group=None,
                ref=f"member:{member.name}",
                via="link",
                link_id=row["id"],
            )
            uow.commit()
        return Redeemed(member=member, session_id=session_id, next_path=row["next_path"])

    def _check(self, uow: UnitOfWork, token: str, now: datetime) -> dict[str, Any]:
        repo = ReachRepository(uow.conn)
        invalid = AuthError("this sign-in link is not valid: sign in with a token, or use the link of a newer notice")
        try:
            claims = self._serializer(repo, now, write=False).loads(token)
        except (BadSignature, ValueError, TypeError):
            raise invalid from None
        if not isinstance(claims, dict) or not isinstance(claims.get("l"), str):
            raise invalid
        row = repo.link(claims["l"])
        if row is None or row["member"] != claims.get("m"):
            raise invalid
        if row["used_at"] is not None:
            raise AuthError(
                f"this sign-in link was already used at {row['used_at'].isoformat()}: "
                "ask for a new notice or sign in with a token"
            )
        if now >= row["expires_at"]:
            raise AuthError(
                f"this sign-in link expired at {row['expires_at'].isoformat()} (links last {LINK_MINUTES} minutes): "
                "sign in with a token"
            )
        if repo.tokens_revoked_since(row["member"], row["created_at"]):
            raise AuthError(f"this sign-in link was revoked: {row['member']}'s tokens were revoked after it was sent")
        return row

    def _serializer(self, repo: ReachRepository, now: datetime, *, write: bool = True) -> URLSafeSerializer:
        secret = repo.signin_secret(secrets.token_urlsafe(48), now) if write else repo.signin_secret_or_none()
        if secret is None:
            raise AuthError("this sign-in link is not valid: no link was ever sent from this store")
        return URLSafeSerializer(secret, salt=SALT)
