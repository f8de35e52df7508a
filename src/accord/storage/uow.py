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
from accord.storage.event_log import EventLog
from accord.storage.outbox_repository import OutboxRepository, WebhookRepository
from accord.storage.proposal_repository import ProposalRepository
from accord.storage.repositories import GroupRepository, MemberRepository, MessageRepository
from accord.storage.token_repository import TokenRepository, WebSessionRepository

_writer_locks: dict[int, threading.Lock] = {}
_writer_locks_guard = threading.Lock()
_held = threading.local()  # how many SQLite write transactions this thread has open


def holds_writer_lock() -> bool:
    """True while this thread holds a SQLite writer lock (waiting on another writer would deadlock)."""
    return bool(getattr(_held, "count", 0))


def writer_lock(engine: Engine) -> threading.Lock:
    """One lock per SQLite engine: this process's writers queue here, woken at once, instead of polling
    SQLite's file lock through its busy handler (which sleeps up to 100 ms between tries). Other
    processes still meet at the file lock, bounded by the busy timeout."""
    with _writer_locks_guard:
        return _writer_locks.setdefault(id(engine), threading.Lock())


def acquire_writer(engine: Engine) -> threading.Lock:
    """Take `engine`'s writer lock for this thread; give it back with `release_writer`."""
    lock = writer_lock(engine)
    lock.acquire()
    _held.count = getattr(_held, "count", 0) + 1
    return lock


def release_writer(lock: threading.Lock) -> None:
    _held.count -= 1
    lock.release()


def commit(conn: Connection) -> None:
    """COMMIT, discarding the connection if that fails: SQLite keeps the transaction open after a failed
    COMMIT (e.g. a deferred constraint), and the pool would hand it, mid-transaction, to the next user."""
    try:
        conn.commit()
    except BaseException:
        conn.invalidate()
        raise


class UnitOfWork:
    """`with uow:` opens a transaction; `uow.commit()` makes it stick; leaving without it rolls back."""

    conn: Connection

    def __init__(self, engine: Engine, *, write: bool = True, on_commit: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._write = write
        self._on_commit = on_commit
        self._committed = False
        self._joined = False
        self._lock: threading.Lock | None = None

    def __enter__(self) -> UnitOfWork:
        if self._write and is_sqlite(self._engine):
            self._lock = acquire_writer(self._engine)
        try:
            conn = self._engine.connect()
            if is_sqlite(self._engine):
                conn = conn.execution_options(sqlite_begin="IMMEDIATE" if self._write else "DEFERRED")
            conn.begin()
        except OperationalError as exc:
            self._release()
            raise UnavailableError(f"the store is unavailable: {exc.orig}") from exc
        self._bind(conn)
        return self

    @classmethod
    def joined(cls, conn: Connection) -> UnitOfWork:
        """The repositories over a transaction someone else opened and will end (a group commit's batch)."""
        uow = cls(conn.engine)
        uow._joined = True
        uow._bind(conn)
        return uow

    def _bind(self, conn: Connection) -> None:
        self.conn = conn
        self.members = MemberRepository(conn)
        self.tokens = TokenRepository(conn)
        self.web_sessions = WebSessionRepository(conn)
        self.groups = GroupRepository(conn)
        self.proposals = ProposalRepository(conn)
        self.events = EventLog(conn)
        self.messages = MessageRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.webhooks = WebhookRepository(conn)

    def _release(self) -> None:
        if self._lock is not None:
            release_writer(self._lock)
            self._lock = None

    def flush(self) -> None:
        """Write the events this work recorded (numbered and chained) and what waits on them; before COMMIT."""
        self.events.flush()

    def commit(self) -> None:
        if self._joined:
            raise RuntimeError("a joined unit of work is committed by the transaction's owner")
        self.flush()
        commit(self.conn)
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()
            self._release()
        if self._committed and self._on_commit is not None:
            self._on_commit()
