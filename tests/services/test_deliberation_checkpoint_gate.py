"""A completion gate on a milestone checkpoint (SPEC §3, §6): completing it needs the participants' signals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ValidationError
from accord.storage import deliberation_tables as d
from tests.support import World


def team(world: World) -> None:
    world.group("team", {"a1": {}, "a2": {}, "a3": {}, "watcher": {"advisory": True}})


def gate_of(world: World, checkpoint_title: str) -> str:
    with world.services.ctx.uow(write=False) as uow:
        row = uow.conn.execute(
            select(d.completion_gates.c.id).where(
                d.completion_gates.c.title == f"Complete checkpoint: {checkpoint_title}"
            )
        ).first()
    assert row is not None
    return str(row[0])


def state(world: World, ms: str) -> tuple[Any, ...]:
    admin = world.api("admin")
    return admin.get_milestone(ms), [e["id"] for e in admin.list_events(limit=500)]


def test_a_checkpoint_completes_once_its_gate_has_enough_completions(world: World, clock: FixedClock) -> None:
    team(world)
    m = world.api("a1").create_milestone(
        "Council", [{"title": "Synthesis", "completion_gate": {"min_completions": 2}}], group="team"
    )
    gid = gate_of(world, "Synthesis")
    assert world.api("a2").get_completion_gate(gid)["participants"] == ["a1", "a2", "a3"]  # not the advisory one
    world.api("a1").signal_completion(gid)
    before = state(world, m["id"])
    with pytest.raises(
        ConflictError, match=rf"completion gate {gid} is open: 1 of 2 completions \(a1\); waiting for a2, a3"
    ):
        world.api("a1").complete_checkpoint(m["id"], 1)
    assert state(world, m["id"]) == before
    clock.advance(10)
    world.api("a3").signal_completion(gid)
    done = world.api("a1").complete_checkpoint(m["id"], 1)
    assert (done["checkpoint"]["completed"], done["milestone_closed"]) == (True, True)


def test_the_fallback_also_lets_the_checkpoint_complete(world: World, clock: FixedClock) -> None:
    team(world)
    m = world.api("a1").create_milestone("M", ["Design"], group="team")
    world.api("a1").add_checkpoint(
        m["id"], "Build", completion_gate={"min_completions": 3, "participants": ["a1", "a2", "a3"]}
    )
    gid = gate_of(world, "Build")
    world.api("a1").complete_checkpoint(m["id"], 1)
    world.api("a2").signal_completion(gid)
    with pytest.raises(ConflictError, match="1 of 3 completions"):
        world.api("a2").complete_checkpoint(m["id"], 2)
    clock.advance(120)
    assert world.api("a2").get_completion_gate(gid)["warning"] == "single_agent_completion"
    assert world.api("a2").complete_checkpoint(m["id"], 2)["checkpoint"]["completed"] is True


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (
            {"min_completions": 5},
            "checkpoint 1 completion_gate: min_completions must be a whole number from 1 to the 3",
        ),
        ({"quorum": 2}, "checkpoint 1 completion_gate has unknown field(s) quorum; allowed: min_completions"),
        ({"participants": ["a1", "zed"]}, "checkpoint 1 completion_gate: participants must be members of group team"),
    ],
)
def test_bad_checkpoint_gates_are_refused_and_write_nothing(world: World, gate: dict[str, Any], message: str) -> None:
    team(world)
    events = [e["id"] for e in world.api("admin").list_events(limit=500)]
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        world.api("a1").create_milestone("M", [{"title": "x", "completion_gate": gate}], group="team")
    assert world.api("admin").list_milestones() == []
    assert [e["id"] for e in world.api("admin").list_events(limit=500)] == events
