"""Appending to the event log: gap-free ids in commit order, each event linked into the hash chain.

A transaction's events are kept aside and written only when it is about to commit (`flush`): on PostgreSQL
the flush takes a transaction-scoped advisory lock, reads the head, numbers and hashes the events after it
and inserts them; the lock is held from there to COMMIT only, so an event that commits later never gets a
lower id and nothing reading `after=` skips one (SPEC §8). On SQLite the writer lock of the whole
transaction already orders them. Work that needs an event's id or hash (a receipt binds the decision's event
hash) runs in `after_flush`, still inside the transaction. Observers registered on an engine (`observe`) see
every flushed batch there, also inside the transaction: the outbox writes its deliveries that way (SPEC §11).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, text
from sqlalchemy.engine import Connection

from accord.proof.chain import GENESIS, event_body, link
from accord.storage import tables as t
from accord.storage.identity_tables import event_readers
from accord.storage.prepared import Prepared
from accord.storage.repositories import EventRepository

CHAIN_LOCK = 0x61636364_6368  # pg_advisory_xact_lock key of the chain's head ("accdch")
_HEAD = Prepared(
    select(t.events.c.id, t.events.c.hash).where(t.events.c.id == select(func.max(t.events.c.id)).scalar_subquery())
)
_INSERT = Prepared(
    insert(t.events), column_keys=("id", "at", "type", "actor", "group_name", "ref", "data", "prev_id", "hash")
)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key", CHAIN_LOCK))
_NOTIFY = text("SELECT pg_notify('accord_events', :payload)")


class PendingEvent:
    """An event of this transaction; `id` and `hash` are known once it is flushed."""

    __slots__ = ("actor", "at", "data", "group", "hash", "id", "readers", "ref", "type")

    def __init__(
        self,
        type: str,
        at: datetime,
        actor: str | None,
        group: str | None,
        ref: str | None,
        data: Any,
        readers: frozenset[str] | None = None,
    ) -> None:
        self.type, self.at, self.actor, self.group, self.ref, self.data = type, at, actor, group, ref, data
        self.readers = readers  # None: whoever may read its group; else only these members (and administrators)
        self.id: int | None = None
        self.hash: str | None = None


Observer = Callable[[Connection, Sequence[PendingEvent]], None]
_observers: weakref.WeakKeyDictionary[Engine, list[Observer]] = weakref.WeakKeyDictionary()


def observe(engine: Engine, observer: Observer) -> None:
    """Call `observer(conn, events)` in every transaction on `engine` that appends events, once they have
    their ids and hashes and before COMMIT (on PostgreSQL still under the chain's lock, so what it inserts
    is in commit order too). Whatever it writes commits, or rolls back, with the events."""
    hooks = _observers.setdefault(engine, [])
    if observer not in hooks:
        hooks.append(observer)


class EventLog(EventRepository):
    """The event log of one transaction: reads from `EventRepository`, appends kept until `flush`."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.pending: list[PendingEvent] = []
        self._after: list[Callable[[], None]] = []

    def append(
        self,
        type: str,
        *,
        at: datetime,
        actor: str | None,
        group: str | None,
        ref: str | None,
        data: dict[str, Any],
        readers: frozenset[str] | None = None,
    ) -> PendingEvent:
        """Add an event to this transaction; it is numbered and chained when the transaction commits. With
        `readers`, only they (and store administrators) may read it in any feed (SPEC §8 rev. 2)."""
        event = PendingEvent(type, at, actor, group, ref, data, readers)
        self.pending.append(event)
        return event

    def after_flush(self, work: Callable[[], None]) -> None:
        """Run `work` once this transaction's events have their ids and hashes (still before COMMIT)."""
        self._after.append(work)

    def discard(self) -> None:
        """Forget what this transaction had queued (its work failed and is rolled back)."""
        self.pending.clear()
        self._after.clear()

    def flush(self) -> None:
        """Number, chain and insert the queued events, then run the `after_flush` work; call just before
        COMMIT. On PostgreSQL this takes the chain's lock, held until the transaction ends."""
        events, self.pending = self.pending, []
        after, self._after = self._after, []
        if events:
            postgres = self.conn.dialect.name == "postgresql"
            if postgres:
                self.conn.execute(_LOCK)
            head = _HEAD.first(self.conn, {})
            prev_id: int | None = None if head is None else int(head["id"])
            prev_hash = GENESIS if head is None else str(head["hash"])
            rows = []
            for event in events:
                event_id = (prev_id or 0) + 1
                body = event_body(event_id, event.type, event.at, event.actor, event.group, event.ref, event.data)
                event.id, event.hash = event_id, link(prev_hash, body)
                rows.append(
                    {
                        "id": event_id,
                        "at": event.at,
                        "type": event.type,
                        "actor": event.actor,
                        "group_name": event.group,
                        "ref": event.ref,
                        "data": event.data,
                        "prev_id": prev_id,
                        "hash": event.hash,
                    }
                )
                prev_id, prev_hash = event_id, event.hash
            if postgres:
                self.conn.execute(_INSERT.statement, rows)
                for event in events:  # delivered at commit, like the rows themselves
                    self.conn.execute(_NOTIFY, {"payload": f"{event.id}|{event.ref or ''}"})
            else:
                for row in rows:
                    _INSERT.run(self.conn, row)
            private = [{"event_id": e.id, "member": m} for e in events if e.readers for m in sorted(e.readers)]
            if private:
                self.conn.execute(insert(event_readers), private)
            for observer in _observers.get(self.conn.engine, ()):
                observer(self.conn, events)
        for work in after:
            work()
        if self.pending or self._after:  # after-flush work recorded more events
            self.flush()
