"""close_at_deadline (SPEC §2.1 rev. 2): the proposal finalizes by itself at its deadline, as actor `system`,
when it is next read, waited on or swept; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from accord.clock import FixedClock
from accord.domain.errors import ValidationError
from tests.support import World


def team(world: World) -> None:
    world.group("team", ["a1", "a2", "a3"])


def finalizations(world: World, pid: str) -> list[dict[str, Any]]:
    return [e for e in world.api("admin").audit(pid) if e["type"] == "proposal.finalized"]


def test_close_at_deadline_needs_a_deadline(world: World) -> None:
    team(world)
    with pytest.raises(ValidationError) as refused:
        world.api("a1").create_proposal("team", "Q?", close_at_deadline=True)
    assert refused.value.message == "close_at_deadline needs deadline or deadline_hours"
    assert world.api("a1").list_proposals() == []


def test_the_first_read_after_the_deadline_finalizes_it_as_system_at_the_deadline(
    world: World, clock: FixedClock
) -> None:
    team(world)
    p = world.api("a1").create_proposal("team", "Ship?", deadline_hours=1, close_at_deadline=True)
    assert (p["close_at_deadline"], p["status"]) == (True, "open")
    world.api("a2").cast_vote(p["id"], "yes")
    clock.advance(seconds=3540)
    assert world.api("a1").get_proposal(p["id"])["status"] == "open"
    clock.advance(hours=3)
    view = world.api("a3").get_proposal(p["id"])
    assert (view["status"], view["outcome"], view["finalized_by"]) == ("finalized", "passed", "system")
    assert view["finalized_at"] == p["deadline"]  # at the deadline instant, not at the read
    [event] = finalizations(world, p["id"])
    assert (event["actor"], event["at"]) == ("system", p["deadline"])
    assert world.api("a1").get_proposal(p["id"]) == view  # once


def test_without_it_a_proposal_stays_open_after_the_deadline(world: World, clock: FixedClock) -> None:
    team(world)
    p = world.api("a1").create_proposal("team", "Ship?", deadline_hours=1)
    clock.advance(hours=2)
    assert world.api("a1").get_proposal(p["id"])["status"] == "open"  # seed 000: manual finalization
    assert world.services.proposals.sweep()["closed"] == []


def test_the_sweeper_closes_what_is_due_and_only_that(world: World, clock: FixedClock) -> None:
    team(world)
    due = world.api("a1").create_proposal("team", "Due", deadline_hours=1, close_at_deadline=True)
    later = world.api("a1").create_proposal("team", "Later", deadline_hours=5, close_at_deadline=True)
    clock.advance(hours=2)
    report = world.services.proposals.sweep()
    assert report["closed"] == [due["id"]]
    assert world.services.proposals.sweep()["closed"] == []  # idempotent
    assert world.api("a1").get_proposal(later["id"])["status"] == "open"
    assert world.api("a1").get_proposal(due["id"])["outcome"] == "rejected"  # nobody voted: fail-closed
    assert world.api("admin").sweep()["proposals"]["closed"] == []  # part of `accord sweep`


def test_a_waiting_caller_wakes_when_the_sweep_closes_it(world: World, clock: FixedClock) -> None:
    team(world)
    p = world.api("a1").create_proposal("team", "Ship?", deadline_hours=1, close_at_deadline=True)
    results: list[dict[str, Any]] = []
    waiter = threading.Thread(target=lambda: results.append(world.api("a2").wait_proposal(p["id"], timeout=30)))
    waiter.start()
    time.sleep(0.2)
    clock.advance(hours=1)
    world.services.proposals.sweep()
    waiter.join(timeout=30)
    assert results and results[0]["status"] == "finalized" and results[0]["timed_out"] is False


def test_a_re_vote_opened_at_the_deadline_gets_the_voting_period_again(world: World, clock: FixedClock) -> None:
    world.group("team", ["a1", "a2", "a3", "a4"])
    p = world.api("a1").create_proposal(
        "team",
        "A or B?",
        voting_type="single",
        options=["A", "B"],
        deadline_hours=2,
        close_at_deadline=True,
        on_no_consensus=["discussion_round"],
    )
    for name, vote in (("a1", "A"), ("a2", "A"), ("a3", "B"), ("a4", "B")):
        world.api(name).cast_vote(p["id"], vote)
    clock.advance(hours=3)
    view = world.api("a1").get_proposal(p["id"])
    deadline = datetime.fromisoformat(p["deadline"])
    assert (view["status"], view["round"]) == ("open", 2)
    assert datetime.fromisoformat(view["deadline"]) == deadline + timedelta(hours=2)
    world.api("a1").cast_vote(p["id"], "A")  # voting is open again
    clock.advance(hours=2)
    final = world.api("a2").get_proposal(p["id"])
    assert (final["status"], final["outcome"], final["finalized_by"]) == ("finalized", "passed", "system")


def test_listing_or_reading_the_record_is_a_read_too(world: World, clock: FixedClock) -> None:
    team(world)
    listed = world.api("a1").create_proposal("team", "Listed", deadline_hours=1, close_at_deadline=True)
    recorded = world.api("a1").create_proposal("team", "Recorded", deadline_hours=1, close_at_deadline=True)
    world.api("a2").cast_vote(recorded["id"], "yes")
    clock.advance(hours=1)
    record = world.api("a3").get_decision_record(recorded["id"])
    assert (record["status"], record["decision"], record["decided_by"]) == ("finalized", "yes", "system")
    rows = {r["id"]: r for r in world.api("a3").list_proposals()}
    assert (rows[listed["id"]]["status"], rows[listed["id"]]["outcome"]) == ("finalized", "rejected")
