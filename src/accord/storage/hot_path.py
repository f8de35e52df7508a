"""Token lookup and event appends through prepared statements (storage/prepared.py): every authenticated
write runs both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection

from accord.domain.members import Member
from accord.storage import tables as t
from accord.storage.prepared import Prepared
from accord.storage.repositories import EventRepository

_MEMBER_BY_TOKEN = Prepared(
    select(t.members.c.name, t.members.c.kind, t.members.c.is_admin)
    .join(t.tokens, t.tokens.c.member == t.members.c.name)
    .where(t.tokens.c.token_hash == bindparam("token_hash"), t.tokens.c.revoked_at.is_(None))
)
_APPEND_EVENT = Prepared(insert(t.events), column_keys=("at", "type", "actor", "group_name", "ref", "data"))
_NOTIFY = text("SELECT pg_notify('accord_events', :payload)")


class TokenRepository:
    """Who holds a token: read in the caller's transaction, so a revoked token fails at once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def member(self, token_hash: str) -> Member | None:
        """The member holding the unrevoked token with this hash, or None."""
        row = _MEMBER_BY_TOKEN.first(self.conn, {"token_hash": token_hash})
        return None if row is None else Member(name=row["name"], kind=row["kind"], is_admin=bool(row["is_admin"]))


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
        event_id = _APPEND_EVENT.insert(
            self.conn, {"at": at, "type": type, "actor": actor, "group_name": group, "ref": ref, "data": data}
        )
        if self.conn.dialect.name == "postgresql":  # delivered at commit, like the row itself
            self.conn.execute(_NOTIFY, {"payload": f"{event_id}|{ref or ''}"})
        return event_id
