"""Group commit on SQLite: one transaction per batch, a savepoint per piece of work, answers after COMMIT."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from accord.domain.errors import ValidationError
from accord.storage import group_commit
from accord.storage import tables as t
from accord.storage.engine import make_engine
from accord.storage.event_log import PendingEvent
from accord.storage.group_commit import GroupCommit
from accord.storage.uow import UnitOfWork

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def commits(engine: Engine) -> list[int]:
    """A list that grows by one at every COMMIT on `engine`."""
    seen: list[int] = []

    @event.listens_for(engine, "commit")
    def _count(_conn: Connection) -> None:
        seen.append(1)

    return seen


def append(ref: str, *, then_fail: bool = False) -> Callable[[UnitOfWork], PendingEvent]:
    """Work that appends an event about `ref` (and then refuses, if asked); the event is numbered when its
    savepoint ends."""

    def work(uow: UnitOfWork) -> PendingEvent:
        event = uow.events.append("test", at=AT, actor=None, group=None, ref=ref, data={})
        if then_fail:
            raise ValidationError(f"{ref} refused")
        return event

    return work


def refs(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.events.c.ref).order_by(t.events.c.id))]


def one_batch(group: GroupCommit, works: list[Callable[[UnitOfWork], PendingEvent]]) -> list[object]:
    """Run every work from its own thread, all in one batch: they queue while the writer is busy with a
    batch that waits for them. Returns each work's result, or the exception its caller got."""
    running, release = threading.Event(), threading.Event()

    def hold(_uow: UnitOfWork) -> int:
        running.set()
        release.wait(10)
        return 0

    results: list[object] = [None] * len(works)

    def call(i: int) -> None:
        try:
            results[i] = group.run(works[i])
        except Exception as exc:
            results[i] = exc

    holder = threading.Thread(target=group.run, args=(hold,))
    holder.start()
    assert running.wait(10)
    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while group.queued() < len(works) and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in [holder, *threads]:
        thread.join(timeout=10)
    return results


def test_concurrent_writes_share_commits_and_each_caller_gets_its_own_result(engine: Engine) -> None:
    group = GroupCommit(engine)
    seen = commits(engine)
    results = one_batch(group, [append(f"r{i}") for i in range(20)])
    assert sorted(refs(engine)) == sorted(f"r{i}" for i in range(20))
    with engine.connect() as conn:
        ids = dict(conn.execute(select(t.events.c.ref, t.events.c.id)).all())
    assert [r.id for r in results if isinstance(r, PendingEvent)] == [ids[f"r{i}"] for i in range(20)]
    assert sorted(ids.values()) == list(range(1, 21))  # gap-free, in commit order
    assert len(seen) == 2  # the holding batch, then all twenty together


def test_a_refused_write_rolls_back_only_its_own_savepoint(engine: Engine) -> None:
    group = GroupCommit(engine)
    works = [append("kept-1"), append("refused", then_fail=True), append("kept-2")]
    results = one_batch(group, works)
    assert isinstance(results[1], ValidationError) and results[1].message == "refused refused"
    assert sorted(refs(engine)) == ["kept-1", "kept-2"]
    kept = [r for r in (results[0], results[2]) if isinstance(r, PendingEvent)]
    assert sorted(r.id for r in kept if r.id is not None) == [1, 2]  # the refused one left no gap


def test_a_failed_commit_fails_every_write_of_its_batch_and_keeps_none(engine: Engine) -> None:
    group = GroupCommit(engine)

    def dangling(uow: UnitOfWork) -> PendingEvent:
        # A foreign-key violation checked only at COMMIT: the whole batch's COMMIT fails.
        uow.conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        uow.conn.execute(
            t.vote_history.insert().values(
                proposal_id="prop_missing",
                voter="x",
                choice="yes",
                confidence=1,
                evidence=[],
                cast_at=AT,
                round=1,
            )
        )
        return uow.events.append("dangling", at=AT, actor=None, group=None, ref="dangling", data={})

    results = one_batch(group, [append("first"), dangling, append("last")])
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert refs(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.vote_history)).scalar_one() == 0
    assert (group.run(append("after")).id or 0) > 0  # the writer carries on


def test_coroutines_await_their_own_results(engine: Engine) -> None:
    group = GroupCommit(engine)

    async def main() -> list[PendingEvent | BaseException]:
        works = [append(f"a{i}", then_fail=i == 3) for i in range(8)]
        return list(await asyncio.gather(*(group.run_async(w) for w in works), return_exceptions=True))

    results = asyncio.run(main())
    assert isinstance(results[3], ValidationError)
    assert sorted(refs(engine)) == sorted(f"a{i}" for i in range(8) if i != 3)


def test_a_thread_holding_the_writer_lock_may_not_wait_for_the_writer(engine: Engine) -> None:
    group = GroupCommit(engine)
    with UnitOfWork(engine), pytest.raises(RuntimeError, match="deadlock"):
        group.run(append("never"))
    assert refs(engine) == []


def test_commit_hook_runs_once_per_batch_with_a_change(engine: Engine) -> None:
    pokes: list[int] = []
    group = GroupCommit(engine, on_commit=lambda: pokes.append(1))
    with pytest.raises(ValidationError):
        group.run(append("refused", then_fail=True))
    assert pokes == []
    group.run(append("kept"))
    assert pokes == [1]


def test_an_idle_writer_thread_ends_and_the_next_write_starts_another(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.01)
    group = GroupCommit(engine)

    def writer_thread(uow: UnitOfWork) -> threading.Thread:
        append("x")(uow)
        return threading.current_thread()

    first = group.run(writer_thread)
    first.join(timeout=5)
    assert not first.is_alive()
    second = group.run(writer_thread)
    assert second is not first and second.name == "accord-group-commit"
    assert refs(engine) == ["x", "x"]
