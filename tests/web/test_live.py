"""Server-sent events on a real server: live page regions and the raw event stream (SPEC §8)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from accord.bootstrap import build_services
from tests.support import World
from tests.web.server import LiveServer, live_server, sign_in


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    """The store's own writer, as an agent in another process would be (its own Services and event hub);
    on SQLite and on PostgreSQL, whose wake-ups differ (high-water polling, LISTEN/NOTIFY)."""
    services = build_services(store_url)
    w = World(services)
    w.group("backend-team", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}})
    w.group("ops", {"olga": {"kind": "human"}})
    yield w
    services.close()


@pytest.fixture
def server(world: World, store_url: str) -> Iterator[LiveServer]:
    with live_server(store_url) as s:
        yield s


def next_event(lines: Iterator[str]) -> tuple[str, str, str | None]:
    """(event, data, id) of the next message, skipping keep-alive comments."""
    event, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                return event, "\n".join(data), event_id
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(": ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
    raise AssertionError("the stream ended")


def test_a_proposal_page_stream_sends_the_new_tally_when_an_agent_votes(world: World, server: LiveServer) -> None:
    pid = world.api("bob").create_proposal("backend-team", "Deploy v2.0?", threshold_type="two_thirds")["id"]
    with httpx.Client(base_url=server.url, timeout=5) as client:
        sign_in(client, world.tokens["alice"])
        with client.stream("GET", f"/proposals/{pid}/live") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            event, first, _ = next_event(lines)
            assert event == "fragment" and "No votes yet" in first
            started = time.monotonic()
            world.api("carol").cast_vote(pid, "no", comment="Missing rollback plan")
            event, second, _ = next_event(lines)
            latency = time.monotonic() - started
            assert event == "fragment"
            assert "Missing rollback plan" in second and 'data-voter="carol"' in second
            assert latency < 1.0, f"the page heard of the vote after {latency:.3f} s"
            print(f"\nvote in another Services -> fragment on the page stream: {latency * 1000:.0f} ms")


def test_page_streams_need_a_session_and_hide_other_groups(world: World, server: LiveServer) -> None:
    pid = world.api("bob").create_proposal("backend-team", "Deploy v2.0?")["id"]
    with httpx.Client(base_url=server.url, timeout=5) as client:
        response = client.get(f"/proposals/{pid}/live")
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
        sign_in(client, world.tokens["olga"])
        response = client.get(f"/proposals/{pid}/live")
        assert response.status_code == 404
        assert f"proposal {pid} not found" in response.text


def test_the_queue_stream_follows_new_proposals(world: World, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        sign_in(client, world.tokens["alice"])
        with client.stream("GET", "/queue/live") as stream:
            lines = stream.iter_lines()
            _, first, _ = next_event(lines)
            assert "Nothing waits for your vote." in first
            world.api("bob").create_proposal("backend-team", "Approve the migration?")
            _, second, _ = next_event(lines)
            assert "Approve the migration?" in second


def test_the_event_stream_sends_the_callers_events_and_resumes_after_an_id(world: World, server: LiveServer) -> None:
    pid = world.api("bob").create_proposal("backend-team", "Deploy v2.0?")["id"]
    world.api("olga").create_proposal("ops", "Secret ops question")
    headers = {"Authorization": f"Bearer {world.tokens['alice']}"}
    with httpx.Client(base_url=server.url, timeout=5, headers=headers) as client:
        with client.stream("GET", "/v1/events/stream") as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            seen: list[dict[str, object]] = []
            while not any(e["type"] == "proposal.created" for e in seen):
                event, data, event_id = next_event(lines)
                seen.append(json.loads(data))
                assert event == seen[-1]["type"] and event_id == str(seen[-1]["id"])
            assert all(e["group"] != "ops" for e in seen)
            last = seen[-1]["id"]
            world.api("carol").cast_vote(pid, "yes")
            while True:
                event, data, _ = next_event(lines)
                if event == "vote.cast":
                    assert json.loads(data)["data"]["voter"] == "carol"
                    break
        with client.stream("GET", "/v1/events/stream", headers={"Last-Event-ID": str(last)}) as resumed:
            event, data, _ = next_event(resumed.iter_lines())
            assert json.loads(data)["id"] > int(str(last))


def test_the_event_stream_refuses_a_bad_token_and_a_bad_cursor(world: World, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        response = client.get("/v1/events/stream", headers={"Authorization": "Bearer acc_wrong"})
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "invalid token: it matches no member"
        bad = client.get("/v1/events/stream?after=-1", headers={"Authorization": f"Bearer {world.tokens['bob']}"})
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "validation_error"


def test_revoking_the_token_ends_an_open_page_stream(world: World, server: LiveServer) -> None:
    pid = world.api("bob").create_proposal("backend-team", "Deploy v2.0?")["id"]
    with httpx.Client(base_url=server.url, timeout=5) as client:
        sign_in(client, world.tokens["alice"])
        with client.stream("GET", f"/proposals/{pid}/live") as stream:
            lines = stream.iter_lines()
            assert next_event(lines)[0] == "fragment"
            world.api("alice").revoke_token("alice")
            world.api("carol").cast_vote(pid, "yes")
            event, data, _ = next_event(lines)
            assert event == "gone" and "token revoked" in data


def test_pages_on_one_proposal_share_each_render_but_a_member_removed_meanwhile_is_told_it_is_gone(
    world: World, server: LiveServer
) -> None:
    pid = world.api("bob").create_proposal("backend-team", "Deploy v2.0?")["id"]
    with (
        httpx.Client(base_url=server.url, timeout=5) as alice,
        httpx.Client(base_url=server.url, timeout=5) as carol,
        httpx.Client(base_url=server.url, timeout=5) as bob,
    ):
        for client, name in ((alice, "alice"), (carol, "carol"), (bob, "bob")):
            sign_in(client, world.tokens[name])
        with (
            alice.stream("GET", f"/proposals/{pid}/live") as a,
            carol.stream("GET", f"/proposals/{pid}/live") as c,
            bob.stream("GET", f"/proposals/{pid}/live") as b,
        ):
            pages = {"alice": a.iter_lines(), "carol": c.iter_lines(), "bob": b.iter_lines()}
            assert all(next_event(lines)[0] == "fragment" for lines in pages.values())
            world.services.groups.remove_member(world.admin, "backend-team", "carol")
            world.api("bob").cast_vote(pid, "no", comment="Missing rollback plan")
            seen = {name: next_event(lines) for name, lines in pages.items()}
            assert seen["carol"][0] == "gone" and f"proposal {pid} not found" in seen["carol"][1]
            assert seen["alice"][0] == seen["bob"][0] == "fragment"
            assert 'data-voter="bob"' in seen["alice"][1] and seen["alice"][1] == seen["bob"][1]
