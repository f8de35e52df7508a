"""Feeds held over HTTP end as SPEC §8 rev. 2 says, with the change made by another Services (as another
process would): the event stream sends an `error` event with the REST envelope and closes; a long-poll answers
401; a proposal wait of a group the member left answers 404; a direct message's events never reach a third
member's stream. Signing out ends the web session on the server (SPEC §13)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from accord.bootstrap import build_services
from tests.support import World
from tests.web.conftest import Site
from tests.web.server import LiveServer, live_server, sign_in
from tests.web.test_live import next_event


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    services = build_services(store_url)
    w = World(services)
    w.group("crew", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}})
    w.group("ops", ["bob"])
    yield w
    services.close()


@pytest.fixture
def server(world: World, store_url: str) -> Iterator[LiveServer]:
    with live_server(store_url) as s:
        yield s


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_event_stream_ends_with_an_error_event_when_its_token_is_revoked(world: World, server: LiveServer) -> None:
    issued = world.services.tokens.issue(world.admin, "bob", label="dashboard")
    with (
        httpx.Client(base_url=server.url, timeout=20) as client,
        client.stream("GET", "/v1/events/stream?after=0", headers=bearer(issued["token"])) as stream,
    ):
        lines = stream.iter_lines()
        assert next_event(lines)[0] == "group.created"
        world.services.tokens.revoke(world.admin, "bob", issued["id"])
        seen = []
        while True:
            event, data, _ = next_event(lines)
            if event == "error":
                break
            seen.append(event)
        envelope = json.loads(data)
        assert envelope["error"]["code"] == "unauthorized"
        assert envelope["error"]["message"].startswith(f"token revoked: token {issued['id']} was revoked at")
        assert envelope["error"]["details"]["reason"] == "token_revoked"
        assert list(lines) == []  # and the stream closes


def test_a_direct_message_never_reaches_a_third_members_stream(world: World, server: LiveServer) -> None:
    start = world.services.events.since(world.admin, 0, 500)[-1]["id"]
    with (
        httpx.Client(base_url=server.url, timeout=20) as client,
        client.stream("GET", f"/v1/events/stream?after={start}", headers=bearer(world.tokens["carol"])) as stream,
    ):
        world.api("alice").send_message("bob", "between us", "crew")
        world.api("alice").create_proposal("crew", "Lunch?")
        lines = stream.iter_lines()
        event, data, _ = next_event(lines)
        assert event == "proposal.created" and json.loads(data)["data"]["title"] == "Lunch?"
    poll = httpx.get(f"{server.url}/v1/events?after={start}", headers=bearer(world.tokens["bob"]))
    assert [e["type"] for e in poll.json()][:1] == ["message.sent"]


def test_a_long_poll_answers_401_when_its_token_is_revoked(world: World, server: LiveServer) -> None:
    head = world.services.events.since(world.admin, 0, 500)[-1]["id"]
    answer: dict[str, Any] = {}

    def poll() -> None:
        response = httpx.get(
            f"{server.url}/v1/events?after={head}&wait=60", headers=bearer(world.tokens["bob"]), timeout=30
        )
        answer.update(status=response.status_code, body=response.json())

    thread = threading.Thread(target=poll)
    thread.start()
    _await_waiters(server, 1)
    world.services.tokens.revoke(world.admin, "bob")
    thread.join(30)
    assert answer["status"] == 401
    assert answer["body"]["error"]["message"].startswith("token revoked: token tok_")


def test_a_proposal_wait_answers_404_when_the_member_leaves_the_group(world: World, server: LiveServer) -> None:
    pid = world.api("alice").create_proposal("crew", "Ship?")["id"]
    ops = world.api("bob").create_proposal("ops", "Page?")["id"]
    answers: dict[str, Any] = {}

    def wait(key: str, proposal: str) -> None:
        response = httpx.get(
            f"{server.url}/v1/proposals/{proposal}/wait?timeout=60", headers=bearer(world.tokens["bob"]), timeout=30
        )
        answers[key] = (response.status_code, response.json())

    threads = [threading.Thread(target=wait, args=a) for a in (("crew", pid), ("ops", ops))]
    for t in threads:
        t.start()
    _await_waiters(server, 2)
    world.services.groups.remove_member(world.admin, "crew", "bob")
    threads[0].join(30)
    assert answers["crew"][0] == 404 and answers["crew"][1]["error"]["code"] == "not_found"
    assert threads[1].is_alive()  # leaving crew ends only crew's waits
    world.api("bob").cancel_proposal(ops)
    threads[1].join(30)
    assert answers["ops"][0] == 200 and answers["ops"][1]["status"] == "cancelled"


def _await_waiters(server: LiveServer, count: int) -> None:
    hub = server.services.ctx.hub
    pause = threading.Event()
    for _ in range(3000):
        with hub._lock:
            if len(hub._subs) >= count:
                return
        pause.wait(0.01)
    raise AssertionError("the server never started waiting")


def test_signing_out_ends_the_session_on_the_server(site: Site) -> None:
    client = site.client("alice")
    copied = dict(client.cookies)
    page = client.get("/")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/signout", data={"csrf": csrf}).status_code == 303
    thief = site.client()
    thief.cookies.update(copied)
    response = thief.get("/", follow_redirects=True)
    assert response.url.path == "/signin" and "Signed in as" not in response.text
    assert "your sign-in has ended" in response.text


def test_an_open_page_ends_when_its_member_leaves_the_group(world: World, server: LiveServer) -> None:
    pid = world.api("alice").create_proposal("crew", "Ship?")["id"]
    with httpx.Client(base_url=server.url, timeout=20) as client:
        sign_in(client, world.tokens["bob"])
        with client.stream("GET", f"/proposals/{pid}/live") as stream:
            lines = stream.iter_lines()
            assert next_event(lines)[0] == "fragment"
            world.services.groups.remove_member(world.admin, "crew", "bob")  # nothing else happens after it
            event, data, _ = next_event(lines)
            assert event == "gone" and "not found" in data
