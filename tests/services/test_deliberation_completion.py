"""Completion gates through the services (SPEC §6) on SQLite and PostgreSQL; time only by the fixed clock."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.completion import NUDGE_TEXT
from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from accord.storage import tables as t
from tests.support import World


def notices(services: Services, member: str) -> list[str]:
    with services.ctx.uow(write=False) as uow:
        rows = uow.conn.execute(
            select(t.messages.c.content)
            .where(t.messages.c.recipient == member, t.messages.c.type == "NOTICE")
            .order_by(t.messages.c.created_at)
        )
        return [r[0] for r in rows]


def gate(world: World, **settings: Any) -> str:
    world.group("council", ["a", "b", "c"])
    world.group("elsewhere", ["stranger"])
    return str(
        world.api("a").create_completion_gate("council", "Synthesis complete?", ["a", "b", "c"], **settings)["id"]
    )


def events(world: World) -> list[int]:
    return [e["id"] for e in world.api("admin").list_events(limit=500)]


def test_consensus_within_the_window(world: World, clock: FixedClock) -> None:
    gid = gate(world)
    first = world.api("a").signal_completion(gid)
    assert (first["status"], first["counted"], first["pending"]) == ("open", True, ["b", "c"])
    clock.advance(45)
    done = world.api("b").signal_completion(gid, "complete")
    assert (done["status"], done["warning"], done["done"]) == ("consensus_complete", None, True)
    assert done["closed_at"] == clock.now().isoformat()
    assert any("closed as consensus_complete" in n for n in notices(world.services, "c"))
    assert world.api("c").get_completion_gate(gid)["status"] == "consensus_complete"


def test_nudge_after_30_seconds_once_then_single_agent_fallback_after_120(
    world: World, clock: FixedClock, services: Services
) -> None:
    gid = gate(world)
    world.api("a").signal_completion(gid)
    clock.advance(29)
    assert services.deliberation.sweep()["nudged"] == 0
    clock.advance(1)
    assert services.deliberation.sweep() == {"at": clock.now().isoformat(), "checked": 1, "nudged": 1, "closed": 0}
    assert services.deliberation.sweep()["nudged"] == 0  # one nudge per participant, not one per sweep
    assert notices(services, "b")[-1] == NUDGE_TEXT and notices(services, "c")[-1] == NUDGE_TEXT
    assert NUDGE_TEXT not in notices(services, "a")
    assert world.api("b").get_completion_gate(gid)["nudged"] is True

    clock.advance(90)  # 120 s after the first completion
    view = world.api("b").get_completion_gate(gid)  # computed on read, before any sweep
    assert (view["status"], view["warning"]) == ("single_agent_complete", "single_agent_completion")
    assert services.deliberation.sweep()["closed"] == 1
    assert services.deliberation.sweep()["checked"] == 0
    assert notices(services, "a")[-1] == (
        "Completion gate 'Synthesis complete?' closed as single_agent_complete with warning single_agent_completion."
    )
    closed = [e for e in world.api("a").audit(gid) if e["type"] == "completion_gate.closed"]
    assert len(closed) == 1 and closed[0]["data"]["closed_at"] == view["closed_at"]


def test_needs_revision_resets_and_restarts_the_clock(world: World, clock: FixedClock, services: Services) -> None:
    gid = gate(world)
    world.api("a").signal_completion(gid)
    clock.advance(10)
    reset = world.api("b").signal_completion(gid, "needs_revision", note="section 3 is missing")
    assert (reset["completions"], reset["epoch"], reset["first_completion_at"]) == ([], 1, None)
    clock.advance(200)  # far beyond the old fallback: the clock restarted, nothing runs until a completion
    services.deliberation.sweep()
    assert world.api("a").get_completion_gate(gid)["status"] == "open"
    world.api("a").signal_completion(gid)
    clock.advance(30)
    assert services.deliberation.sweep()["nudged"] == 1  # the new epoch's nudge
    clock.advance(20)
    assert world.api("b").signal_completion(gid)["status"] == "consensus_complete"


def test_completions_outside_the_window(world: World, clock: FixedClock, services: Services) -> None:
    gid = gate(world)
    world.api("a").signal_completion(gid)
    clock.advance(90)
    assert world.api("b").signal_completion(gid)["status"] == "open"  # 90 s apart, wider than 60
    clock.advance(30)
    services.deliberation.sweep()
    view = world.api("c").get_completion_gate(gid)
    assert (view["status"], view["warning"]) == ("consensus_complete", "completions_outside_window")


def test_repeats_are_recorded_but_do_not_count(world: World, clock: FixedClock) -> None:
    gid = gate(world)
    world.api("a").signal_completion(gid)
    clock.advance(5)
    again = world.api("a").signal_completion(gid)
    assert (again["counted"], again["status"], len(again["signals"])) == (False, "open", 2)


def test_signalling_a_closed_gate_is_a_conflict_and_writes_nothing(world: World, clock: FixedClock) -> None:
    gid = gate(world)
    world.api("a").signal_completion(gid)
    clock.advance(120)
    before = events(world), world.api("a").get_completion_gate(gid)
    with pytest.raises(ConflictError, match=rf"completion gate {gid} is closed \(single_agent_complete at "):
        world.api("b").signal_completion(gid)
    assert (events(world), world.api("a").get_completion_gate(gid)) == before


@pytest.mark.parametrize(
    ("who", "signal", "error", "message"),
    [
        ("stranger", "complete", NotFoundError, "completion gate cg_.* not found"),
        ("d", "complete", ForbiddenError, "d is not a participant of completion gate cg_.*: participants are a, b, c"),
        ("a", "done", ValidationError, "signal 'done' is not allowed: use complete or needs_revision"),
    ],
)
def test_bad_signals_are_refused_and_write_nothing(
    world: World, who: str, signal: str, error: type[Exception], message: str
) -> None:
    gid = gate(world)
    world.services.groups.add_member(world.admin, "council", world.member("d").name)
    before = events(world), world.api("a").get_completion_gate(gid)
    with pytest.raises(error, match=message):
        world.api(who).signal_completion(gid, signal)
    assert (events(world), world.api("a").get_completion_gate(gid)) == before


@pytest.mark.parametrize(
    ("participants", "settings", "message"),
    [
        (["a", "zed"], {}, "participants must be members of group council; not members: zed"),
        (["a"], {}, "min_completions must be a whole number from 1 to the 1 participants"),
        (["a", "b"], {"fallback_timeout": 0}, "fallback_timeout must be a whole number of seconds from 1"),
    ],
)
def test_bad_gates_are_refused_and_write_nothing(
    world: World, participants: list[str], settings: dict[str, Any], message: str
) -> None:
    world.group("council", ["a", "b"])
    before = events(world)
    with pytest.raises(ValidationError, match=message):
        world.api("a").create_completion_gate("council", "Done?", participants, **settings)
    assert events(world) == before


def test_a_repeat_at_the_same_instant_does_not_count(world: World) -> None:
    gid = gate(world)
    assert world.api("a").signal_completion(gid)["counted"] is True
    assert world.api("a").signal_completion(gid)["counted"] is False
    assert world.api("b").signal_completion(gid, "needs_revision")["counted"] is True
