"""Blocking gate waits: they return on the deciding event, close for the requester, and wake at the timeout."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from accord.bootstrap import build_services
from accord.domain.errors import ValidationError
from tests.services.test_gates import team
from tests.support import World


def test_a_decided_gate_returns_at_once_and_the_requesters_wait_closes_it(world: World) -> None:
    team(world)
    core = world.api("core-development")
    g = core.gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    world.api("security-team").gate_vote(g["id"], "yes")
    seen = world.api("qa-team").gate_wait("commit-gate", 5)
    assert (seen["status"], seen["closed"], seen["timed_out"]) == ("approved", False, False)
    started = time.monotonic()
    mine = core.gate_wait("commit-gate", 5)
    assert time.monotonic() - started < 2
    assert (mine["status"], mine["closed"], mine["closed_by"]) == ("approved", True, "core-development")
    core.gate_request("commit-gate", None, "swarm")  # the subject was released by the wait


@pytest.mark.parametrize(
    ("votes", "status"), [({"security-team": "no"}, "vetoed"), ({"qa-team": "no", "security-team": "no"}, "vetoed")]
)
def test_a_vetoed_gate_returns_vetoed(world: World, votes: dict[str, str], status: str) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    for member, vote in votes.items():
        world.api(member).gate_vote(g["id"], vote)
    assert world.api("core-development").gate_wait(g["id"], 5)["status"] == status


def test_a_rejected_gate_returns_rejected_without_closing(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "no")
    world.api("security-team").gate_vote(g["id"], "yes")
    result = world.api("core-development").gate_wait(g["id"], 5)
    assert (result["status"], result["closed"], result["timed_out"]) == ("rejected", False, False)


def test_a_pending_gate_times_out_as_pending(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    started = time.monotonic()
    result = world.api("core-development").gate_wait(g["id"], 0.2)
    assert 0.2 <= time.monotonic() - started < 3
    assert (result["status"], result["timed_out"], result["closed"]) == ("pending", True, False)


def _wait_in_thread(world: World, member: str, ref: str, into: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        started = time.monotonic()
        into["result"] = world.api(member).gate_wait(ref, 30)
        into["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_waiter_wakes_on_the_deciding_vote(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    got: dict[str, Any] = {}
    thread = _wait_in_thread(world, "core-development", "commit-gate", got)
    time.sleep(0.3)  # let it block on its subscription
    assert thread.is_alive()
    world.api("security-team").gate_vote(g["id"], "yes")
    thread.join(10)
    assert got["result"]["status"] == "approved" and got["result"]["closed"] is True
    assert got["elapsed"] < 5  # woken by the vote, not by its 30-second timeout


def test_a_waiter_wakes_on_a_veto(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    got: dict[str, Any] = {}
    thread = _wait_in_thread(world, "qa-team", g["id"], got)
    time.sleep(0.3)
    world.api("security-team").gate_vote(g["id"], "no", "bypass")
    thread.join(10)
    assert got["result"]["status"] == "vetoed" and got["elapsed"] < 5


def test_the_async_wait_wakes_on_the_deciding_vote(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    actor = world.api("core-development").actor

    async def scenario() -> dict[str, Any]:
        waiter = asyncio.create_task(world.services.gates.wait_async(actor, g["id"], 30))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(world.api("security-team").gate_vote, g["id"], "yes")
        return await asyncio.wait_for(waiter, 10)

    assert asyncio.run(scenario())["status"] == "approved"


def test_a_wait_wakes_at_the_gates_own_timeout_instant(store_url: str) -> None:
    services = build_services(store_url)  # the system clock: the timeout really passes
    try:
        world = World(services)
        team(world)
        g = world.api("core-development").gate_request("commit-gate", None, "swarm", timeout_seconds=1)
        world.api("qa-team").gate_vote(g["id"], "yes")
        started = time.monotonic()
        result = world.api("qa-team").gate_wait(g["id"], 30)
        elapsed = time.monotonic() - started
        # "expired" can only be read once the gate's own timeout has passed; no event came to wake the
        # waiter, so it woke at that instant rather than at the end of its own 30 seconds.
        assert (result["status"], result["closed"], result["timed_out"]) == ("expired", True, False)
        assert elapsed < 10
    finally:
        services.close()


@pytest.mark.parametrize("timeout", [-1, 3601])
def test_wait_timeouts_are_bounded(world: World, timeout: float) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    with pytest.raises(ValidationError, match="timeout must be 0-3600 seconds"):
        world.api("core-development").gate_wait(g["id"], timeout)
