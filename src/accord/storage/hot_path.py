"""Token lookup and event appends with statements built once: every authenticated write runs both, and
building a SQLAlchemy statement costs several times what SQLite takes to run it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection

from accord.domain.members import Member
from accord.storage import tables as t
from accord.storage.repositories import EventRepository

_MEMBER_BY_TOKEN = (
    select(t.members.c.name, t.members.c.kind, t.members.c.is_admin)
    .join(t.tokens, t.tokens.c.member == t.members.c.name)
    .where(t.tokens.c.token_hash == bindparam("token_hash"), t.tokens.c.revoked_at.is_(None))
)
_APPEND_EVENT = insert(t.events)
_NOTIFY = text("SELECT pg_notify('accord_events', :payload)")


class TokenRepository:
    """Who holds a token: read in the caller's transaction, so a revoked token fails at once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def member(self, token_hash: str) -> Member | None:
        """The member holding the unrevoked token with this hash, or None."""
        row = self.conn.execute(_MEMBER_BY_TOKEN, {"token_hash": token_hash}).first()
        return None if row is None else Member(name=row[0], kind=row[1], is_admin=bool(row[2]))


class EventLog(EventRepository):
    """The event log of `EventRepository`, appending through a prebuilt INSERT."""

    def append(
        self,
        type: str,
        *,
        at: datetime,
        actor: str | None,
        group: str | None,
        ref: str | None,
        data: dict[str, Any],
    ) -> int:
        result = self.conn.execute(
            _APPEND_EVENT, {"at": at, "type": type, "actor": actor, "group_name": group, "ref": ref, "data": data}
        )
        event_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if self.conn.dialect.name == "postgresql":  # delivered at commit, like the row itself
            self.conn.execute(_NOTIFY, {"payload": f"{event_id}|{ref or ''}"})
        return event_id
