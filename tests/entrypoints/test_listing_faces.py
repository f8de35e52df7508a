"""Listings on every face (REST, MCP, the CLI, the client): gates and "awaiting me" (SPEC §5, §9), consultations
flagged for humans, completion gates waiting for me."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import build_services
from accord.client import AccordClient
from accord.clock import FixedClock, SystemClock
from accord.entrypoints.rest import create_app
from tests.entrypoints.test_client_harness import LiveServer
from tests.entrypoints.test_gates_cli import Cli
from tests.entrypoints.test_gates_mcp import call
from tests.entrypoints.test_gates_rest import as_, error
from tests.support import World


@pytest.fixture
def clock() -> FixedClock:
    """Starting now: the CLI reads the system clock, and must see these gates still open."""
    return FixedClock(SystemClock().now())


@pytest.fixture
def sworld(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
    world.group("ops", {"olga": {"kind": "human"}, "oscar": {}})
    yield world
    services.close()


def opened(world: World, clock: FixedClock) -> tuple[str, str, str]:
    """Two open gates and a closed one; a proposal waiting for qa."""
    core = world.api("core")
    deploy = core.gate_request("deploy", {"version": "2.0"}, "swarm", 3600)["id"]
    clock.advance(seconds=1)
    merge = core.gate_request("merge docs", None, "swarm", 1800)["id"]
    clock.advance(seconds=1)
    done = core.gate_request("publish", None, "swarm", 60)["id"]
    world.api("qa").gate_vote(done, "no")
    core.gate_close(done)
    world.api("olga").gate_request("release ops", None, "ops")
    return deploy, merge, done


def test_gate_list_over_rest(sworld: World, clock: FixedClock) -> None:
    deploy, merge, done = opened(sworld, clock)
    sworld.api("qa").gate_vote(merge, "yes")
    with TestClient(create_app(sworld.services, with_mcp=False, with_web=False)) as http:
        listed = http.get("/v1/gates", params={"status": "open"}, headers=as_(sworld, "qa"))
        assert listed.status_code == 200
        assert [g["id"] for g in listed.json()] == [merge, deploy]  # soonest timeout first
        assert listed.json()[1]["payload"] == {"version": "2.0"} and listed.json()[1]["requester"] == "core"
        mine = http.get("/v1/gates", params={"awaiting": "me"}, headers=as_(sworld, "qa")).json()
        assert [g["id"] for g in mine] == [deploy] and mine[0]["awaiting_me"] is True
        closed = http.get("/v1/gates?status=closed&group=swarm", headers=as_(sworld, "qa")).json()
        assert [(g["id"], g["status"]) for g in closed] == [(done, "rejected")]
        assert http.get("/v1/gates?limit=1", headers=as_(sworld, "qa")).json()[0]["id"] == done
        assert error(http.get("/v1/gates?status=pending", headers=as_(sworld, "qa")), 422).startswith(
            "query.status: Input should be 'open' or 'closed'"
        )
        assert error(http.get("/v1/gates?awaiting=bob", headers=as_(sworld, "qa")), 422) == (
            "query.awaiting: Input should be 'me'"
        )
        assert error(http.get("/v1/gates?group=ops", headers=as_(sworld, "qa")), 404) == "group ops not found"
        assert error(http.get("/v1/gates"), 401)
        waiting = http.get("/v1/proposals?awaiting=me", headers=as_(sworld, "qa")).json()
        assert [(p["id"], p["kind"]) for p in waiting] == [(deploy, "gate")]
        assert http.get("/v1/proposals?awaiting=me", headers=as_(sworld, "core")).json() == []


def test_gate_list_over_mcp(sworld: World, clock: FixedClock) -> None:
    deploy, merge, done = opened(sworld, clock)
    listed = call(sworld, "sec", "gate_list", status="open")
    assert [g["id"] for g in listed["gates"]] == [merge, deploy]
    mine = call(sworld, "sec", "gate_list", awaiting_me=True, group="swarm")
    assert [g["id"] for g in mine["gates"]] == [merge, deploy]
    assert [g["id"] for g in call(sworld, "sec", "gate_list", status="closed")["gates"]] == [done]
    assert call(sworld, "sec", "gate_list", status="nope") == "error: status 'nope' is not allowed: use open or closed"
    assert call(sworld, "sec", "gate_list", group="ops") == "error: group ops not found"
    proposals = call(sworld, "sec", "list_proposals", awaiting_me=True)["proposals"]
    assert [p["id"] for p in proposals] == [merge, deploy]


def test_gate_list_and_proposal_list_awaiting_me_on_the_cli(sworld: World, clock: FixedClock, sqlite_url: str) -> None:
    deploy, merge, done = opened(sworld, clock)
    pid = sworld.api("core").create_proposal("swarm", "Adopt ruff?", deadline_hours=2)["id"]
    cli = Cli(sqlite_url, sworld)
    table = cli("qa", "gate", "list", "--awaiting-me")
    assert table.exit_code == 0, table.output
    assert merge in table.stdout and deploy in table.stdout and done not in table.stdout
    assert "to vote" in table.stdout and "0 of 2" in table.stdout
    rows = json.loads(cli("qa", "gate", "list", "--status", "closed", "--json").stdout)
    assert [(r["id"], r["status"]) for r in rows] == [(done, "rejected")]
    refused = cli("qa", "gate", "list", "--status", "pending")
    assert (refused.exit_code, refused.stderr.strip()) == (
        65,
        "error: status 'pending' is not allowed: use open or closed",
    )
    assert cli("qa", "gate", "list", "--group", "ops").exit_code == 66
    waiting = json.loads(cli("qa", "proposal", "list", "--awaiting-me", "--json").stdout)
    assert [w["id"] for w in waiting] == [merge, deploy, pid]  # soonest deadline first
    text = cli("qa", "proposal", "list", "--awaiting-me").stdout
    assert "Adopt ruff?" in text and "gate" in text
    own = json.loads(cli("core", "proposal", "list", "--awaiting-me", "--json").stdout)
    assert [p["id"] for p in own] == [pid]  # its own gates never wait for the requester


def test_the_client_lists_gates_as_the_api_does(sworld: World, clock: FixedClock) -> None:
    opened(sworld, clock)
    with LiveServer(sworld.services) as server, AccordClient(server.url, sworld.tokens["qa"]) as client:
        local = sworld.api("qa")
        assert client.gate_list() == local.gate_list()
        assert client.gate_list("open", "swarm", True, 10) == local.gate_list("open", "swarm", True, 10)
        assert client.list_proposals(awaiting_me=True) == local.list_proposals(awaiting_me=True)


def deliberating(world: World) -> tuple[str, str]:
    """A consultation with a split question, and a completion gate waiting for qa."""
    core = world.api("core")
    cid = core.create_consultation("swarm", "Storage", questions={"ARCH-001": "Which DB?"})["id"]
    for member, text in (("core", "postgres"), ("qa", "dynamo")):
        item = {"question_id": "ARCH-001", "answer": text, "confidence": 0.9, "rationale": "load"}
        world.api(member).submit_contribution(cid, [item])
    gid = core.create_completion_gate("swarm", "Release notes", ["core", "qa"], 2, 60, 30, 120)["id"]
    core.signal_completion(gid, "complete")
    return cid, gid


def test_consultations_and_completion_gates_are_listed_on_every_face(sworld: World, sqlite_url: str) -> None:
    cid, gid = deliberating(sworld)
    with TestClient(create_app(sworld.services, with_mcp=False, with_web=False)) as http:
        flagged = http.get("/v1/consultations?flagged=true", headers=as_(sworld, "qa")).json()
        assert [(c["id"], c["summary"]["flagged"]) for c in flagged] == [(cid, ["ARCH-001"])]
        waiting = http.get("/v1/completion-gates?awaiting=me", headers=as_(sworld, "qa")).json()
        assert [(g["id"], g["pending"]) for g in waiting] == [(gid, ["qa"])]
        assert http.get("/v1/completion-gates?awaiting=me", headers=as_(sworld, "core")).json() == []
        assert error(http.get("/v1/completion-gates?status=done", headers=as_(sworld, "qa")), 422).startswith(
            "query.status: Input should be 'open' or 'closed'"
        )
    assert [c["id"] for c in call(sworld, "qa", "list_consultations", flagged=True)["consultations"]] == [cid]
    gates = call(sworld, "qa", "list_completion_gates", awaiting_me=True)["completion_gates"]
    assert [g["id"] for g in gates] == [gid]
    assert (
        call(sworld, "qa", "list_completion_gates", status="x")
        == "error: status 'x' is not allowed: use open or closed"
    )
    cli = Cli(sqlite_url, sworld)
    listed = cli("qa", "consult", "list", "--flagged")
    assert listed.exit_code == 0 and cid in listed.stdout and "ARCH-001" in listed.stdout
    mine = cli("qa", "completion", "list", "--awaiting-me")
    assert mine.exit_code == 0 and gid in mine.stdout and "1 of 2" in mine.stdout
    assert json.loads(cli("core", "completion", "list", "--awaiting-me", "--json").stdout) == []
    with LiveServer(sworld.services) as server, AccordClient(server.url, sworld.tokens["qa"]) as client:
        local = sworld.api("qa")
        assert client.list_consultations(None, True, 10) == local.list_consultations(None, True, 10)
        assert client.list_completion_gates(awaiting_me=True) == local.list_completion_gates(awaiting_me=True)


def test_marking_a_message_read_on_every_face(sworld: World, sqlite_url: str) -> None:
    ids = [sworld.api("core").send_message("qa", f"note {n}", "swarm")["id"] for n in range(4)]
    with TestClient(create_app(sworld.services, with_mcp=False, with_web=False)) as http:
        marked = http.post(f"/v1/messages/{ids[0]}/read", headers=as_(sworld, "qa"))
        assert marked.status_code == 200 and marked.json()["already_read"] is False
        assert error(http.post(f"/v1/messages/{ids[0]}/read", headers=as_(sworld, "sec")), 404) == (
            f"message {ids[0]} not found"
        )
    assert call(sworld, "qa", "mark_message_read", message_id=ids[1])["read"] is True
    done = Cli(sqlite_url, sworld)("qa", "inbox", "mark-read", ids[2])
    assert (done.exit_code, done.stdout.strip()) == (0, f"{ids[2]} marked read")
    with LiveServer(sworld.services) as server, AccordClient(server.url, sworld.tokens["qa"]) as client:
        assert client.mark_message_read(ids[3])["read"] is True
        assert client.mark_message_read(ids[3])["already_read"] is True
    assert sworld.api("qa").check_inbox(unread_only=True) == []
