"""The unit of work: one transaction, rolled back unless committed (cosmicpython's pattern)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from accord.domain.errors import UnavailableError
from accord.storage.engine import is_sqlite
from accord.storage.proposal_repository import ProposalRepository
from accord.storage.repositories import EventRepository, GroupRepository, MemberRepository, MessageRepository

_writer_locks: dict[int, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(engine: Engine) -> threading.Lock:
    """One lock per SQLite engine: this process's writers queue here, woken at once, instead of polling
    SQLite's file lock through its busy handler (which sleeps up to 100 ms between tries). Other
    processes still meet at the file lock, bounded by the busy timeout."""
    with _writer_locks_guard:
        return _writer_locks.setdefault(id(engine), threading.Lock())


class UnitOfWork:
    """`with uow:` opens a transaction; `uow.commit()` makes it stick; leaving without it rolls back."""

    conn: Connection

    def __init__(self, engine: Engine, *, write: bool = True, on_commit: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._write = write
        self._on_commit = on_commit
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self._lock = writer_lock(self._engine) if self._write and is_sqlite(self._engine) else None
        if self._lock is not None:
            self._lock.acquire()
        try:
            conn = self._engine.connect()
            if is_sqlite(self._engine):
                conn = conn.execution_options(sqlite_begin="IMMEDIATE" if self._write else "DEFERRED")
            conn.begin()
        except OperationalError as exc:
            if self._lock is not None:
                self._lock.release()
            raise UnavailableError(f"the store is unavailable: {exc.orig}") from exc
        self.conn = conn
        self.members = MemberRepository(conn)
        self.groups = GroupRepository(conn)
        self.proposals = ProposalRepository(conn)
        self.events = EventRepository(conn)
        self.messages = MessageRepository(conn)
        return self

    def commit(self) -> None:
        self.conn.commit()
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()
            if self._lock is not None:
                self._lock.release()
        if self._committed and self._on_commit is not None:
            self._on_commit()
