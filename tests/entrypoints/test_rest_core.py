"""REST under /v1 with bearer tokens: members, groups, proposals, long-poll waits and the event feed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import Services, build_services
from accord.entrypoints.rest import create_app
from tests.support import World, live_server


@pytest.fixture
def setup(sqlite_url: str) -> Iterator[tuple[Services, World, TestClient]]:
    services = build_services(sqlite_url)
    world = World(services)
    yield services, world, TestClient(create_app(services, with_mcp=False, with_web=False))
    services.close()


def auth(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


def test_members_groups_and_a_proposal(setup: tuple[Services, World, TestClient]) -> None:
    _, world, client = setup
    admin = auth(world, "admin")
    made = client.post("/v1/members", json={"name": "ana", "kind": "human"}, headers=admin)
    assert made.status_code == 201 and made.json()["token"].startswith("acc_")
    world.tokens["ana"] = made.json()["token"]
    world.member("bo")
    assert client.post("/v1/groups", json={"name": "team"}, headers=admin).status_code == 201
    for name, extra in (("ana", {"veto": True}), ("bo", {"weight": 2})):
        r = client.post("/v1/groups/team/members", json={"member": name, **extra}, headers=admin)
        assert r.status_code == 201, r.json()
    assert [g["name"] for g in client.get("/v1/groups", headers=auth(world, "ana")).json()] == ["team"]
    members = client.get("/v1/groups/team/members", headers=auth(world, "bo")).json()
    assert {(m["member"], m["veto"], m["weight"]) for m in members} == {("ana", True, 1.0), ("bo", False, 2.0)}

    p = client.post("/v1/proposals", json={"group": "team", "title": "Ship?"}, headers=auth(world, "bo")).json()
    vote = client.post(
        f"/v1/proposals/{p['id']}/votes", json={"vote": "no", "comment": "risky"}, headers=auth(world, "ana")
    )
    assert vote.status_code == 201 and vote.json()["vote"] == "no"
    assert client.get(f"/v1/proposals/{p['id']}", headers=auth(world, "bo")).json()["outcome"] == "vetoed"
    listed = client.get("/v1/proposals", params={"status": "open"}, headers=auth(world, "bo")).json()
    assert [x["id"] for x in listed] == [p["id"]]
    final = client.post(f"/v1/proposals/{p['id']}/finalize", headers=auth(world, "bo")).json()
    assert (final["outcome"], final["vetoed_by"]) == ("vetoed", ["ana"])
    again = client.post(f"/v1/proposals/{p['id']}/cancel", headers=auth(world, "bo"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_error_shape_for_bad_bodies_and_auth(setup: tuple[Services, World, TestClient]) -> None:
    _, world, client = setup
    world.group("team", ["ana"])
    bad = client.post("/v1/proposals", json={"group": "team", "titel": "typo"}, headers=auth(world, "ana"))
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "validation_error" and "title: Field required" in error["message"]
    assert "titel: Extra inputs are not permitted" in error["message"]
    assert client.get("/v1/groups").json()["error"]["message"].startswith("missing token")
    assert client.get("/v1/groups", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/v1/nowhere", headers=auth(world, "ana")).status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "Accord"


def test_long_poll_wait_and_event_feed(setup: tuple[Services, World, TestClient]) -> None:
    services, world, _ = setup
    world.group("team", ["ana", "bo"])
    p = world.api("ana").create_proposal("team", "Long poll")
    with live_server(create_app(services, with_mcp=False, with_web=False)) as url:
        timed = httpx.get(f"{url}/v1/proposals/{p['id']}/wait", params={"timeout": 0.2}, headers=auth(world, "bo"))
        assert timed.json()["timed_out"] is True

        world.api("ana").cast_vote(p["id"], "yes")
        world.api("bo").cast_vote(p["id"], "yes")  # everyone voted: it may be finalized
        last = httpx.get(f"{url}/v1/events", headers=auth(world, "bo")).json()[-1]["id"]
        results: dict[str, Any] = {}

        def wait() -> None:
            results["wait"] = httpx.get(
                f"{url}/v1/proposals/{p['id']}/wait", params={"timeout": 30}, headers=auth(world, "bo"), timeout=40
            ).json()

        def feed() -> None:
            results["feed"] = httpx.get(
                f"{url}/v1/events", params={"after": last, "wait": 30}, headers=auth(world, "bo"), timeout=40
            ).json()

        threads = [threading.Thread(target=wait), threading.Thread(target=feed)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        started = time.monotonic()
        world.api("ana").finalize_proposal(p["id"])
        for t in threads:
            t.join(timeout=40)
        assert time.monotonic() - started < 5
        assert results["wait"]["status"] == "finalized" and results["wait"]["timed_out"] is False
        assert results["feed"][0]["type"] == "proposal.finalized"


def test_an_unreachable_store_is_503_not_a_traceback() -> None:
    services = build_services("postgresql://postgres@127.0.0.1:1/nowhere")
    client = TestClient(create_app(services, with_mcp=False, with_web=False))
    response = client.get("/v1/groups", headers={"Authorization": "Bearer acc_x"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    services.close()
