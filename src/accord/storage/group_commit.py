"""Group commit for SQLite: concurrent writes share one transaction and one COMMIT.

SQLite has one writer at a time, so concurrent write transactions queue anyway; each paid its own BEGIN,
COMMIT and lock hand-over. Here they queue to one writer thread instead, which runs everything queued
inside one transaction, each piece of work in its own SAVEPOINT (a refusal rolls back only its own writes
and reaches only its own caller), commits once, and only then answers the callers: nothing is
acknowledged before it is durable, and a failed COMMIT fails every piece of work in the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from accord.domain.errors import UnavailableError
from accord.storage.uow import UnitOfWork, acquire_writer, commit, holds_writer_lock, release_writer

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BATCH = 256
IDLE_SECONDS = 2.0  # the writer thread ends after this long without work; the next write starts another


class _Job(Generic[T]):
    """One caller's work, and where its answer goes: an Event for a thread, a future for a coroutine."""

    __slots__ = ("done", "error", "future", "loop", "value", "work")

    def __init__(self, work: Callable[[UnitOfWork], T]) -> None:
        self.work = work
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done: threading.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.future: asyncio.Future[T] | None = None

    def settle(self) -> None:
        """Hand the outcome to a waiting coroutine (on its loop's thread)."""
        future = self.future
        if future is None or future.done():  # a cancelled caller: its work still committed
            return
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.value)  # type: ignore[arg-type]


class GroupCommit:
    """One writer thread per engine, running queued work in batches (see the module docstring)."""

    def __init__(self, engine: Engine, *, on_commit: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self._on_commit = on_commit
        self._queue: list[_Job[Any]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work(uow)` in the next batch and return its result once the batch has committed; raises
        what `work` raised (its own writes rolled back, the rest of the batch unaffected)."""
        if holds_writer_lock():
            raise RuntimeError("a group-commit write from a thread holding the writer lock would deadlock")
        job: _Job[T] = _Job(work)
        job.done = threading.Event()
        self._submit(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.value  # type: ignore[return-value]

    async def run_async(self, work: Callable[[UnitOfWork], T]) -> T:
        """`run` for coroutines: the event loop keeps serving while the batch runs."""
        job: _Job[T] = _Job(work)
        job.loop = asyncio.get_running_loop()
        job.future = job.loop.create_future()
        self._submit(job)
        return await job.future

    def queued(self) -> int:
        """How much work waits for the next batch (not counting a batch being run)."""
        with self._cond:
            return len(self._queue)

    def _submit(self, job: _Job[Any]) -> None:
        with self._cond:
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="accord-group-commit", daemon=True)
                self._thread.start()
            else:
                self._cond.notify()

    def _serve(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._cond.wait(IDLE_SECONDS)
                if not self._queue:
                    self._thread = None
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                self._run(batch)
            except BaseException as exc:  # BEGIN or COMMIT failed: nothing in the batch is acknowledged
                failure = exc
                if isinstance(exc, OperationalError):
                    failure = UnavailableError(f"the store is unavailable: {exc.orig}")
                    failure.__cause__ = exc
                else:
                    log.exception("group commit failed")
                for job in batch:
                    if job.error is None:
                        job.value, job.error = None, failure
            else:
                if self._on_commit is not None and any(job.error is None for job in batch):
                    self._notify()
            finally:
                self._answer(batch)

    def _run(self, batch: list[_Job[Any]]) -> None:
        """Run the batch and commit it; raises (leaving every job's fate to the caller) if BEGIN or COMMIT
        fails. A job's own failure is kept on the job, its savepoint rolled back."""
        lock = acquire_writer(self.engine)
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
                conn.begin()
                uow = UnitOfWork.joined(conn)
                # Savepoints straight on the driver's connection: through SQLAlchemy each costs ~30x more.
                sqlite = conn.connection.dbapi_connection
                assert sqlite is not None
                for job in batch:
                    sqlite.execute("SAVEPOINT accord_job")
                    try:
                        job.value = job.work(uow)
                        uow.flush()  # this job's events, chained inside its own savepoint
                    except Exception as exc:
                        uow.events.discard()
                        job.error = exc
                        if not sqlite.in_transaction:  # SQLite ended the transaction (I/O error, disk full)
                            raise
                        sqlite.execute("ROLLBACK TO accord_job")
                    sqlite.execute("RELEASE accord_job")
                commit(conn)
        finally:
            release_writer(lock)

    def _notify(self) -> None:
        """Tell the commit hook (waiters wake); its failure must not turn committed work into errors."""
        assert self._on_commit is not None
        try:
            self._on_commit()
        except Exception:
            log.exception("commit hook failed")

    def _answer(self, batch: list[_Job[Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job[Any]]] = defaultdict(list)
        for job in batch:
            if job.done is not None:
                job.done.set()
            elif job.loop is not None:
                by_loop[job.loop].append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, jobs)


def _settle(jobs: list[_Job[Any]]) -> None:
    for job in jobs:
        job.settle()
