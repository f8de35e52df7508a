"""Token lookup through a prepared statement (storage/prepared.py): every authenticated write runs it."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from accord.domain.members import Member
from accord.storage import tables as t
from accord.storage.prepared import Prepared

_MEMBER_BY_TOKEN = Prepared(
    select(t.members.c.name, t.members.c.kind, t.members.c.is_admin)
    .join(t.tokens, t.tokens.c.member == t.members.c.name)
    .where(t.tokens.c.token_hash == bindparam("token_hash"), t.tokens.c.revoked_at.is_(None))
)


class TokenRepository:
    """Who holds a token: read in the caller's transaction, so a revoked token fails at once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def member(self, token_hash: str) -> Member | None:
        """The member holding the unrevoked token with this hash, or None."""
        row = _MEMBER_BY_TOKEN.first(self.conn, {"token_hash": token_hash})
        return None if row is None else Member(name=row["name"], kind=row["kind"], is_admin=bool(row["is_admin"]))
