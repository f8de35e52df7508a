"""The unit of work: one transaction, rolled back unless committed (cosmicpython's pattern)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from accord.domain.errors import UnavailableError
from accord.storage.engine import is_sqlite
from accord.storage.proposal_repository import ProposalRepository
from accord.storage.repositories import EventRepository, GroupRepository, MemberRepository, MessageRepository


class UnitOfWork:
    """`with uow:` opens a transaction; `uow.commit()` makes it stick; leaving without it rolls back."""

    conn: Connection

    def __init__(self, engine: Engine, *, write: bool = True, on_commit: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._write = write
        self._on_commit = on_commit
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        try:
            conn = self._engine.connect()
            if is_sqlite(self._engine) and not self._write:
                conn = conn.execution_options(sqlite_begin="DEFERRED")
            conn.begin()
        except OperationalError as exc:
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
        if self._committed and self._on_commit is not None:
            self._on_commit()
