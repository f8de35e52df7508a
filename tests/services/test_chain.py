"""The event chain on both stores (SPEC §8 rev. 2, §12): commit-order ids, hashes, tampering named."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, select, text, update

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import ForbiddenError, ValidationError
from accord.proof import chain
from accord.services.context import record
from accord.storage import tables as t
from accord.storage.engine import make_engine
from accord.storage.uow import UnitOfWork
from tests.support import World


def activity(world: World) -> str:
    world.group("eng", ["ana", "bo", "cy"])
    pid: str = world.api("ana").create_proposal("eng", "Ship it?")["id"]
    for name in ("ana", "bo", "cy"):
        world.api(name).cast_vote(pid, "yes", comment=f"{name} agrees", confidence=0.7)
    world.api("ana").finalize_proposal(pid)
    return pid


def event_ids(services: Services) -> list[int]:
    with services.ctx.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(select(t.events.c.id).order_by(t.events.c.id))]


def test_every_event_is_chained_gap_free_and_verifies(world: World) -> None:
    activity(world)
    admin = world.api("admin")
    ids = event_ids(world.services)
    assert ids == list(range(1, len(ids) + 1))
    events = admin.audit(limit=500)
    assert events[0]["prev_id"] is None and all(e["prev_id"] == e["id"] - 1 for e in events[1:])
    result = admin.audit_verify()
    head = admin.audit_head()
    assert head == {"id": ids[-1], "hash": events[-1]["hash"]}
    assert result["ok"] and result["message"] == f"{len(ids)} events verified; head {ids[-1]} {head['hash']}"
    assert world.api("bo").audit_head() == head  # anyone signed in may pin the head
    with pytest.raises(ForbiddenError, match="bo may not verify the audit chain: only store administrators may"):
        world.api("bo").audit_verify()


def test_an_edited_row_is_named(world: World) -> None:
    activity(world)
    with world.services.ctx.engine.begin() as conn:
        conn.execute(update(t.events).where(t.events.c.id == 5).values(data={"vote": "no"}))
    result = world.api("admin").audit_verify()
    assert (result["ok"], result["event_id"], result["message"]) == (False, 5, "event 5 does not match its hash")
    assert result["verified"] == 4


def test_an_edited_actor_or_time_is_named_too(world: World) -> None:
    activity(world)
    with world.services.ctx.engine.begin() as conn:
        conn.execute(update(t.events).where(t.events.c.id == 3).values(actor="mallory"))
    assert world.api("admin").audit_verify()["message"] == "event 3 does not match its hash"


def test_a_deleted_row_is_named_missing_and_a_deleted_head_against_a_pin(world: World) -> None:
    activity(world)
    admin = world.api("admin")
    pinned = admin.audit_head()
    with world.services.ctx.engine.begin() as conn:
        conn.execute(delete(t.events).where(t.events.c.id == 6))
    assert admin.audit_verify()["message"] == "event 6 is missing"
    with world.services.ctx.engine.begin() as conn:
        conn.execute(delete(t.events).where(t.events.c.id >= 6))
    assert admin.audit_verify()["ok"]  # the newest events gone: only a pinned head tells
    result = admin.audit_verify(f"{pinned['id']}:{pinned['hash']}")
    assert result["message"] == f"event {pinned['id']} is missing"


def test_a_refused_write_leaves_no_gap(world: World, clock: FixedClock) -> None:
    world.group("eng", ["ana", "bo"])
    pid = world.api("ana").create_proposal("eng", "Ship it?")["id"]
    with pytest.raises(ValidationError, match="unknown option"):
        world.api("bo").cast_vote(pid, "perhaps")
    world.api("bo").cast_vote(pid, "yes")
    ids = event_ids(world.services)
    assert ids == list(range(1, len(ids) + 1))


# -- PostgreSQL: commit order ------------------------------------------------------------------------------


def _append(uow: UnitOfWork, ref: str) -> None:
    record(uow, "test.event", at=FixedClock().now(), actor=None, group=None, ref=ref)


@pytest.mark.postgres
def test_a_plain_sequence_skips_a_late_commit_and_the_chain_lock_does_not(pg_server_url: str) -> None:
    engine = make_engine(pg_server_url)
    try:
        # The old way: ids from a sequence, taken at INSERT. The lower id commits last; a feed that read the
        # higher one has moved past it and never sees it.
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS seq_demo"))
            conn.execute(text("CREATE TABLE seq_demo (id serial PRIMARY KEY, v text)"))
        early, late = engine.connect(), engine.connect()
        early.begin()
        late.begin()
        assert early.execute(text("INSERT INTO seq_demo (v) VALUES ('early') RETURNING id")).scalar_one() == 1
        assert late.execute(text("INSERT INTO seq_demo (v) VALUES ('late') RETURNING id")).scalar_one() == 2
        late.commit()
        with engine.connect() as reader:
            cursor = max(r[0] for r in reader.execute(text("SELECT id FROM seq_demo WHERE id > 0")))
            early.commit()
            after = [r[0] for r in reader.execute(text("SELECT id FROM seq_demo WHERE id > :c"), {"c": cursor})]
            everything = [r[0] for r in reader.execute(text("SELECT id FROM seq_demo ORDER BY id"))]
        assert (cursor, after, everything) == (2, [], [1, 2])  # event 1 was skipped
        early.close()
        late.close()

        # Now: the transaction that began first but commits last still gets the higher id.
        with engine.connect() as conn:
            start = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one())
        first = UnitOfWork(engine).__enter__()
        second = UnitOfWork(engine).__enter__()
        _append(first, "began-first")
        _append(second, "began-second")
        second.commit()
        second.__exit__(None, None, None)
        with UnitOfWork(engine, write=False) as reader_uow:
            seen = reader_uow.events.since(start, None)
        cursor = seen[-1]["id"]
        first.commit()
        first.__exit__(None, None, None)
        with UnitOfWork(engine, write=False) as reader_uow:
            later = reader_uow.events.since(cursor, None)
        assert [e["ref"] for e in seen] == ["began-second"] and [e["ref"] for e in later] == ["began-first"]
        assert [e["id"] for e in seen + later] == [start + 1, start + 2]
    finally:
        with engine.begin() as conn:  # the scratch table must not outlive the test (the schema is checked)
            conn.execute(text("DROP TABLE IF EXISTS seq_demo"))
        engine.dispose()


@pytest.mark.postgres
def test_the_chain_lock_is_held_from_flush_to_commit_only(pg_server_url: str) -> None:
    engine = make_engine(pg_server_url)
    try:
        holder = UnitOfWork(engine).__enter__()
        _append(holder, "holder")
        holder.flush()  # numbered and chained: the lock is now held until COMMIT
        done: list[int] = []

        def other() -> None:
            with UnitOfWork(engine) as uow:
                _append(uow, "other")
                uow.commit()
            done.append(1)

        thread = threading.Thread(target=other)
        thread.start()
        waiting = False
        end = time.monotonic() + 20
        with engine.connect() as probe:
            while not waiting and time.monotonic() < end:
                waiting = bool(
                    probe.execute(
                        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    ).scalar_one()
                )
                probe.rollback()
                time.sleep(0.01)
        assert waiting and done == []  # the second appender waits for the chain's head
        holder.commit()
        holder.__exit__(None, None, None)
        thread.join(20)
        assert done == [1]
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.events.c.ref, t.events.c.id).where(t.events.c.ref.in_(["holder", "other"]))
            ).all()
        ids = {r[0]: r[1] for r in rows}
        assert ids["other"] == ids["holder"] + 1
        with UnitOfWork(engine, write=False) as uow:
            assert chain.verify(uow.events.since(0, None, limit=100_000)).ok
    finally:
        engine.dispose()
