"""The server's background sweeper sends due nudges and fallback closings by itself (clock fixed, no sleeps)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.entrypoints.rest import create_app
from accord.services.sweeper import Sweeper, sweep_all
from tests.support import World


@pytest.fixture
def world(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    w = World(services)
    w.group("council", ["a", "b"])
    yield w
    services.close()


def wait_for(world: World, gate_id: str, field: str, value: object, timeout: float = 10) -> dict[str, object]:
    """Block on the gate's events (not a sleep loop) until `field` reads `value`."""
    end = time.monotonic() + timeout
    with world.services.ctx.hub.subscribe([gate_id]) as sub:
        while True:
            view = world.api("a").get_completion_gate(gate_id)
            if view[field] == value or time.monotonic() > end:
                return view
            sub.wait(end - time.monotonic())


def test_the_server_lifespan_runs_the_sweeper(world: World, clock: FixedClock) -> None:
    gid = world.api("a").create_completion_gate("council", "Done?", ["a", "b"])["id"]
    world.api("a").signal_completion(gid)
    with TestClient(create_app(world.services, with_mcp=False, with_web=False, sweep_interval=0.05)):
        clock.advance(30)
        assert wait_for(world, gid, "nudged", True)["nudged"] is True
        clock.advance(90)
        audit = wait_for(world, gid, "status", "single_agent_complete")
        assert audit["status"] == "single_agent_complete"
        end = time.monotonic() + 10
        with world.services.ctx.hub.subscribe([gid]) as sub:
            while "completion_gate.closed" not in [e["type"] for e in world.api("a").audit(gid)]:
                assert time.monotonic() < end, "the sweeper never recorded the closing"
                sub.wait(end - time.monotonic())
    types = [e["type"] for e in world.api("a").audit(gid)]
    assert types.count("completion_gate.nudged") == 1 and types.count("completion_gate.closed") == 1


def test_an_interval_of_zero_turns_the_sweeper_off(world: World) -> None:
    sweeper = Sweeper(world.services, 0)
    sweeper.start()
    sweeper.stop()
    assert sweeper.runs == 0


def test_sweep_all_runs_every_feature_sweep(world: World) -> None:
    reports = sweep_all(world.services)
    assert reports["deliberation"]["checked"] == 0
