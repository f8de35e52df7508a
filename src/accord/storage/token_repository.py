"""Tokens and web sessions (SPEC §1 rev. 2). The token lookup runs on every authenticated call, so it goes
through a prepared statement (storage/prepared.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from accord.domain.members import Member
from accord.domain.tokens import Credential
from accord.storage import tables as t
from accord.storage.identity_tables import web_sessions
from accord.storage.prepared import Prepared

_TOKEN_COLUMNS = (t.tokens.c.token_id, t.tokens.c.expires_at, t.tokens.c.revoked_at, t.tokens.c.last_used_at)
_MEMBER_BY_TOKEN = Prepared(
    select(t.members.c.name, t.members.c.kind, t.members.c.is_admin, *_TOKEN_COLUMNS)
    .join(t.tokens, t.tokens.c.member == t.members.c.name)
    .where(t.tokens.c.token_hash == bindparam("token_hash"))
)
_CREDENTIAL = Prepared(select(*_TOKEN_COLUMNS).where(t.tokens.c.token_id == bindparam("token_id")))


def credential_of(row: Any) -> Credential:
    return Credential(
        id=row["token_id"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


class TokenRepository:
    """Who holds a token: read in the caller's transaction, so a revoked token fails at once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def member(self, token_hash: str) -> Member | None:
        """The member holding the token with this hash (revoked or expired too: its `credential` says so)."""
        row = _MEMBER_BY_TOKEN.first(self.conn, {"token_hash": token_hash})
        if row is None:
            return None
        return Member(name=row["name"], kind=row["kind"], is_admin=bool(row["is_admin"]), credential=credential_of(row))

    def credential(self, token_id: str) -> Credential | None:
        """A token's current state by id (a held feed's re-check), or None."""
        row = _CREDENTIAL.first(self.conn, {"token_id": token_id})
        return None if row is None else credential_of(row)

    def add(
        self,
        member: str,
        token_id: str,
        token_hash: str,
        at: datetime,
        *,
        label: str | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        self.conn.execute(
            insert(t.tokens).values(
                member=member,
                token_id=token_id,
                token_hash=token_hash,
                created_at=at,
                label=label,
                expires_at=expires_at,
            )
        )

    def of_member(self, member: str) -> list[dict[str, Any]]:
        """A member's tokens, oldest first (never the hash)."""
        query = (
            select(t.tokens.c.label, t.tokens.c.created_at, *_TOKEN_COLUMNS)
            .where(t.tokens.c.member == member)
            .order_by(t.tokens.c.created_at, t.tokens.c.id)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def owner(self, token_id: str) -> str | None:
        return self.conn.execute(select(t.tokens.c.member).where(t.tokens.c.token_id == token_id)).scalar()

    def revoke(self, member: str, at: datetime, token_id: str | None = None) -> list[str]:
        """Revoke one token of `member` (or all of them); the ids that were live until now."""
        where = [t.tokens.c.member == member, t.tokens.c.revoked_at.is_(None)]
        if token_id is not None:
            where.append(t.tokens.c.token_id == token_id)
        ids = [r[0] for r in self.conn.execute(select(t.tokens.c.token_id).where(*where).order_by(t.tokens.c.id))]
        if ids:
            self.conn.execute(update(t.tokens).where(*where).values(revoked_at=at))
        return ids

    def live_count(self, member: str, now: datetime) -> int:
        """How many of `member`'s tokens are neither revoked nor expired at `now`."""
        query = select(t.tokens.c.token_id).where(
            t.tokens.c.member == member,
            t.tokens.c.revoked_at.is_(None),
            or_(t.tokens.c.expires_at.is_(None), t.tokens.c.expires_at > now),
        )
        return len(self.conn.execute(query).all())

    def touch(self, token_id: str, minute: datetime) -> bool:
        """Set `last_used_at` to `minute` unless it already is that late; True when it moved."""
        result = self.conn.execute(
            update(t.tokens)
            .where(
                t.tokens.c.token_id == token_id,
                or_(t.tokens.c.last_used_at.is_(None), t.tokens.c.last_used_at < minute),
            )
            .values(last_used_at=minute)
        )
        return bool(result.rowcount)


class WebSessionRepository:
    """Signed-in web pages, by the hash of the session id their cookie carries."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, id_hash: str, member: str, token_id: str | None, at: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                id_hash=id_hash, member=member, token_id=token_id, created_at=at, expires_at=expires_at
            )
        )

    def get(self, id_hash: str) -> RowMapping | None:
        return self.conn.execute(select(web_sessions).where(web_sessions.c.id_hash == id_hash)).mappings().first()

    def end(self, id_hash: str, at: datetime) -> bool:
        result = self.conn.execute(
            update(web_sessions)
            .where(web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return bool(result.rowcount)

    def end_for_member(self, member: str, at: datetime, token_ids: list[str] | None = None) -> int:
        """End `member`'s open sessions (only those signed in with `token_ids` when given)."""
        where = [web_sessions.c.member == member, web_sessions.c.ended_at.is_(None)]
        if token_ids is not None:
            where.append(web_sessions.c.token_id.in_(token_ids))
        return int(self.conn.execute(update(web_sessions).where(*where).values(ended_at=at)).rowcount)
