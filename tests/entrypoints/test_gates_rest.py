"""The gate and inbox routes through FastAPI's TestClient: status codes, bodies, the error shape, long-polls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.entrypoints.rest import create_app
from tests.support import World


@pytest.fixture
def sworld(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
    yield world
    services.close()


@pytest.fixture
def http(sworld: World) -> Iterator[TestClient]:
    with TestClient(create_app(sworld.services, with_mcp=False, with_web=False)) as client:
        yield client


def as_(world: World, member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[member]}"}


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return str(body["error"]["message"])


def test_a_gate_over_rest(http: TestClient, sworld: World) -> None:
    created = http.post(
        "/v1/gates", json={"subject": "commit-gate", "group": "swarm", "payload": {"b": 1}}, headers=as_(sworld, "core")
    )
    assert created.status_code == 201
    gid = created.json()["id"]
    again = http.post("/v1/gates", json={"subject": "commit-gate", "group": "swarm"}, headers=as_(sworld, "qa"))
    assert error(again, 409) == f"subject 'commit-gate' already has an open request {gid}"
    assert http.post(f"/v1/gates/{gid}/votes", json={"vote": "yes"}, headers=as_(sworld, "qa")).status_code == 201
    mine = http.post(f"/v1/gates/{gid}/votes", json={"vote": "yes"}, headers=as_(sworld, "core"))
    assert "the requester may not vote on its own gate" in error(mine, 403)
    tally = http.get("/v1/gates/tally", params={"subject": "commit-gate", "group": "swarm"}, headers=as_(sworld, "qa"))
    assert tally.json()["status"] == "pending"
    pending = http.get(f"/v1/gates/{gid}/wait", params={"timeout": 0.1}, headers=as_(sworld, "core")).json()
    assert (pending["status"], pending["timed_out"]) == ("pending", True)
    http.post(f"/v1/gates/{gid}/votes", json={"vote": "yes", "comment": "ok"}, headers=as_(sworld, "sec"))
    waited = http.get("/v1/gates/commit-gate/wait", params={"timeout": 5}, headers=as_(sworld, "core")).json()
    assert (waited["status"], waited["closed"]) == ("approved", True)
    closed = http.post(f"/v1/gates/{gid}/close", headers=as_(sworld, "core"))
    assert (closed.status_code, closed.json()["status"]) == (200, "approved")


def test_bad_gate_input_is_a_clear_422_or_404(http: TestClient, sworld: World) -> None:
    core = as_(sworld, "core")
    assert "timeout_seconds" in error(
        http.post("/v1/gates", json={"subject": "x", "timeout_seconds": "soon"}, headers=core), 422
    )
    assert "extra" in error(http.post("/v1/gates", json={"subject": "x", "grup": "swarm"}, headers=core), 422).lower()
    big = {"subject": "x", "group": "swarm", "payload": {"b": "x" * 17_000}}
    assert "at most 16384 (16 KiB)" in error(http.post("/v1/gates", json=big, headers=core), 422)
    assert "timeout" in error(http.get("/v1/gates/x/wait", params={"timeout": 4000}, headers=core), 422)
    assert error(http.get("/v1/gates/tally", params={"subject": "none"}, headers=core), 404) == (
        "no gate request for subject 'none' in your groups"
    )
    assert (
        error(http.post("/v1/gates/prop_zzzzzzzzzzzz/close", headers=core), 404)
        == "gate request prop_zzzzzzzzzzzz not found"
    )
    assert error(http.post("/v1/gates", json={"subject": "x"}), 401).startswith("missing token")


def test_the_inbox_over_rest(http: TestClient, sworld: World) -> None:
    core, qa = as_(sworld, "core"), as_(sworld, "qa")
    assert http.post("/v1/inbox/recv", headers=qa).json() is None
    sent = http.post(
        "/v1/messages", json={"to": "*", "content": "build", "group": "swarm", "type": "TASK"}, headers=core
    )
    assert sent.status_code == 201 and sent.json()["recipients"] == ["docs", "qa", "sec"]
    mid = sent.json()["id"]
    assert http.get("/v1/inbox/peek", params={"type": "TASK"}, headers=qa).json()["id"] == mid
    assert [m["id"] for m in http.get("/v1/inbox", params={"unread_only": True}, headers=qa).json()] == [mid]
    assert http.post("/v1/inbox/recv", json={"wait": 1, "type": "TASK"}, headers=qa).json()["id"] == mid
    assert http.post("/v1/inbox/recv", json={"type": "TASK"}, headers=qa).json() is None
    assert http.post(f"/v1/messages/{mid}/claim", json={"timeout_seconds": 60}, headers=qa).json()["claimed_by"] == "qa"
    taken = http.post(f"/v1/messages/{mid}/claim", headers=as_(sworld, "sec"))
    assert error(taken, 409).startswith(f"message {mid} is already claimed by qa until")
    assert http.post(f"/v1/messages/{mid}/release", headers=qa).json()["status"] == "pending"
    http.post(f"/v1/messages/{mid}/claim", headers=qa)
    done = http.post(f"/v1/messages/{mid}/complete", json={"response": "built"}, headers=qa)
    assert done.json()["status"] == "completed"
    outsider = http.post("/v1/messages", json={"to": "nobody", "content": "x", "group": "swarm"}, headers=core)
    assert error(outsider, 422).startswith("nobody is not a member of group swarm")
    assert "limit" in error(http.get("/v1/inbox", params={"limit": 101}, headers=qa), 422)
