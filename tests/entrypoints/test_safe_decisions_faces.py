"""Issue 10's operations on every face: REST, MCP, the CLI (exit codes) and the Python client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import Client
from typer.testing import CliRunner, Result

from accord.bootstrap import build_services
from accord.canonical import payload_digest
from accord.client import AccordClient
from accord.clock import FixedClock
from accord.entrypoints.cli import app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.entrypoints.test_client_harness import LiveServer
from tests.support import World


@pytest.fixture
def world(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    w = World(services)
    w.group("swarm", {"core": {}, "qa": {}, "sec": {"veto": True}, "boss": {"kind": "human", "role": "owner"}})
    yield w
    services.close()


def headers(world: World, member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[member]}"}


def mcp(world: World, member: str, tool: str, **args: Any) -> Any:
    async def run() -> Any:
        async with Client(build_mcp(world.services, token=world.tokens[member])) as client:
            result = await client.call_tool(tool, args)
        if result.is_error:
            return "error: " + " ".join(getattr(c, "text", "") for c in result.content)
        return result.structured_content

    return asyncio.run(run())


def cli(world: World, sqlite_url: str, member: str, *args: str) -> Result:
    env = {"ACCORD_DATABASE_URL": sqlite_url, "ACCORD_TOKEN": world.tokens[member], "ACCORD_URL": ""}
    return CliRunner().invoke(app, list(args), env=env)


def approved_and_closed(world: World, payload: Any) -> str:
    g = world.api("core").gate_request("deploy", payload, "swarm")
    for voter in ("qa", "sec", "boss"):
        world.api(voter).gate_vote(g["id"], "yes")
    world.api("core").gate_close(g["id"])
    return str(g["id"])


# -- REST --------------------------------------------------------------------------------------------------


def test_rest_finalize_force_request_approval_and_verify(world: World) -> None:
    with TestClient(create_app(world.services, with_mcp=False, with_web=False)) as http:
        body = {"group": "swarm", "title": "Ship?", "min_human_approvals": 1, "deadline_hours": 1}
        p = http.post("/v1/proposals", json={**body, "close_at_deadline": True}, headers=headers(world, "core"))
        assert p.status_code == 201
        assert (p.json()["min_human_approvals"], p.json()["close_at_deadline"]) == (1, True)
        pid = p.json()["id"]
        early = http.post(f"/v1/proposals/{pid}/finalize", headers=headers(world, "qa"))
        assert early.status_code == 409 and "cannot be finalized yet" in early.json()["error"]["message"]
        forced = http.post(
            f"/v1/proposals/{pid}/finalize",
            json={"force": True, "rationale": "policy says so"},
            headers=headers(world, "boss"),
        )
        assert forced.status_code == 200
        assert (forced.json()["outcome"], forced.json()["resolution"]["method"]) == ("rejected", "forced")

        m = world.api("core").create_milestone("M", [{"title": "Ship", "requires_consensus": True}], group="swarm")
        old = m["checkpoints"][0]["proposal_id"]
        world.api("core").cancel_proposal(old)
        asked = http.post(f"/v1/milestones/{m['id']}/checkpoints/1/approval", headers=headers(world, "qa"))
        assert asked.status_code == 201 and asked.json()["previous_proposal_id"] == old
        again = http.post(f"/v1/milestones/{m['id']}/checkpoints/1/approval", headers=headers(world, "qa"))
        assert again.status_code == 409 and "has an open proposal" in again.json()["error"]["message"]

        gid = approved_and_closed(world, {"v": "2.0"})
        verified = http.post(f"/v1/gates/{gid}/verify", json={"payload": {"v": "2.0"}}, headers=headers(world, "qa"))
        assert verified.status_code == 200 and verified.json()["verified"] is True
        bare = http.post(f"/v1/gates/{gid}/verify", headers=headers(world, "qa"))  # no body: the payload null
        assert bare.json()["verified"] is False and bare.json()["given_digest"] == payload_digest(None)
        none_open = http.get("/v1/gates/tally", params={"subject": "deploy"}, headers=headers(world, "core"))
        assert none_open.status_code == 200 and none_open.json()["status"] == "none_open"
        waited = http.get("/v1/gates/deploy/wait", params={"timeout": 5}, headers=headers(world, "core"))
        assert waited.json()["status"] == "none_open"


# -- MCP ---------------------------------------------------------------------------------------------------


def test_mcp_tools_for_force_approval_and_verify(world: World) -> None:
    p = mcp(world, "core", "create_proposal", group="swarm", title="Ship?", min_human_approvals=1)
    assert p["human_approvals"]["text"] == "needs 1 human approval: 0 so far"
    early = mcp(world, "qa", "finalize_proposal", proposal_id=p["id"])
    assert early.startswith(f"error: proposal {p['id']} cannot be finalized yet: 4 of 4 eligible voters")
    forced = mcp(world, "boss", "finalize_proposal", proposal_id=p["id"], force=True, rationale="we ship tonight")
    assert (forced["outcome"], forced["resolution"]["rationale"]) == ("rejected", "we ship tonight")
    m = world.api("core").create_milestone("M", [{"title": "Ship", "requires_consensus": True}], group="swarm")
    world.api("core").cancel_proposal(m["checkpoints"][0]["proposal_id"])
    asked = mcp(world, "qa", "request_checkpoint_approval", milestone_id=m["id"], order=1)
    assert asked["checkpoint"]["proposal_id"] == asked["proposal_id"]
    gid = approved_and_closed(world, {"v": "2.0"})
    assert mcp(world, "sec", "gate_verify", request_id=gid, payload={"v": "2.0"})["verified"] is True
    wrong = mcp(world, "sec", "gate_verify", request_id=gid, payload={"v": "2.1"})
    assert wrong["reason"].startswith(f"gate {gid} was approved for payload {payload_digest({'v': '2.0'})}, not ")
    assert mcp(world, "core", "gate_wait", subject="deploy", timeout=5)["status"] == "none_open"
    assert mcp(world, "qa", "gate_tally", subject="deploy")["latest"]["id"] == gid


# -- CLI ---------------------------------------------------------------------------------------------------


def test_cli_second_gate_wait_exits_1_and_verify_answers_by_exit_code(world: World, sqlite_url: str) -> None:
    """Issue 10, situation 3 through `accord gate wait deploy`."""
    opened = cli(world, sqlite_url, "core", "gate", "request", "deploy", '{"version": "2.0"}', "--group", "swarm")
    gid = opened.stdout.strip()
    for voter in ("qa", "sec", "boss"):
        assert cli(world, sqlite_url, voter, "gate", "vote", gid, "yes").exit_code == 0
    first = cli(world, sqlite_url, "core", "gate", "wait", "deploy", "--json")
    assert first.exit_code == 0 and json.loads(first.stdout)["actionable"] is True
    for member in ("core", "qa"):
        again = cli(world, sqlite_url, member, "gate", "wait", "deploy", "--timeout", "1")
        assert again.exit_code == 1
        assert again.stdout.startswith(f"no open request for subject 'deploy'; the latest, {gid}, closed at ")
        assert again.stdout.strip().endswith("as approved: request again to act again")
        assert cli(world, sqlite_url, member, "gate", "tally", "deploy").exit_code == 1
    assert cli(world, sqlite_url, "qa", "gate", "tally", "never-asked").exit_code == 66
    assert cli(world, sqlite_url, "qa", "gate", "tally", gid).exit_code == 0  # by id: the request it names
    ok = cli(world, sqlite_url, "qa", "gate", "verify", gid, '{"version":"2.0"}')
    assert (ok.exit_code, ok.stdout.strip()) == (0, f"gate {gid} was approved for this payload "
                                                    f"({payload_digest({'version': '2.0'})})")  # fmt: skip
    differs = cli(world, sqlite_url, "qa", "gate", "verify", gid, '{"version": "2.1"}')
    assert differs.exit_code == 1 and "was approved for payload" in differs.stdout
    bad = cli(world, sqlite_url, "qa", "gate", "verify", gid, '{"n": 1152921504606846976}')
    assert bad.exit_code == 65 and "payload is not canonical JSON" in bad.stderr


def test_cli_finalize_force_and_request_approval(world: World, sqlite_url: str) -> None:
    pid = cli(
        world, sqlite_url, "core", "proposal", "create", "--group", "swarm", "--title", "Ship?",
        "--min-human-approvals", "1", "--deadline-hours", "1", "--close-at-deadline",
    ).stdout.strip()  # fmt: skip
    shown = cli(world, sqlite_url, "qa", "proposal", "show", pid).stdout
    assert "human approvals: needs 1 human approval: 0 so far" in shown
    assert "finalize: 4 of 4 eligible voters have not voted and could change the outcome" in shown
    early = cli(world, sqlite_url, "core", "proposal", "finalize", pid)
    assert early.exit_code == 75 and "cannot be finalized yet" in early.stderr
    assert cli(world, sqlite_url, "core", "proposal", "finalize", pid, "--force", "--rationale", "x").exit_code == 77
    forced = cli(world, sqlite_url, "boss", "proposal", "finalize", pid, "--force", "--rationale", "deadline moved")
    assert forced.exit_code == 0 and "forced by boss: deadline moved" in forced.stdout
    m = world.api("core").create_milestone("M", [{"title": "Ship", "requires_consensus": True}], group="swarm")
    world.api("core").cancel_proposal(m["checkpoints"][0]["proposal_id"])
    asked = cli(world, sqlite_url, "qa", "milestone", "request-approval", m["id"], "1")
    assert (
        asked.exit_code == 0
        and asked.stdout.strip() == world.api("qa").get_milestone(m["id"])["checkpoints"][0]["proposal_id"]
    )
    assert cli(world, sqlite_url, "qa", "milestone", "request-approval", m["id"], "1").exit_code == 75


# -- the Python client -------------------------------------------------------------------------------------


def test_the_client_reports_no_open_request_as_rejected(world: World) -> None:
    gid = approved_and_closed(world, {"v": "2.0"})
    with LiveServer(world.services) as server, AccordClient(server.url, world.tokens["core"]) as client:
        answer = client.wait_for_consensus("deploy", timeout=5, group="swarm")
        assert (answer["status"], answer["reason"], answer["request_id"]) == ("rejected", "no_open_request", gid)
        assert client.gate_verify(gid, {"v": "2.0"})["verified"] is True
        m = world.api("core").create_milestone("M", [{"title": "Ship", "requires_consensus": True}], group="swarm")
        world.api("core").cancel_proposal(m["checkpoints"][0]["proposal_id"])
        assert client.request_checkpoint_approval(m["id"], 1)["previous_proposal_id"] is not None
        p = client.create_proposal("swarm", "Q?", min_human_approvals=1, deadline_hours=1, close_at_deadline=True)
        with AccordClient(server.url, world.tokens["boss"]) as boss:
            forced = boss.finalize_proposal(p["id"], None, True, "because")
        assert forced["resolution"]["method"] == "forced"


def test_the_instructions_say_who_may_finalize_and_how_gates_are_used() -> None:
    runner = CliRunner()
    agents = runner.invoke(app, ["instructions", "--for", "agents"]).stdout
    for words in ("the outcome is settled", "cannot be finalized yet", "request_checkpoint_approval",
                  "actionable: true", "accord gate verify", "human owner/admin"):  # fmt: skip
        assert words in agents, words
    humans = runner.invoke(app, ["instructions", "--for", "humans"]).stdout
    for words in ("--force --rationale", "fail-closed", "settled", "min_human_approvals", "Escalations are yours"):
        assert words in humans, words


def test_a_consensus_checkpoint_nobody_could_approve_is_refused_on_every_face(world: World, sqlite_url: str) -> None:
    """Issue 10, situation 4, through REST, MCP and the CLI."""
    world.group("solo", {"core": {}, "docs": {"advisory": True}})
    message = "group solo has no one but core who could approve checkpoint 1 (advisory members are not counted)"
    body = {"title": "Solo", "group": "solo", "checkpoints": [{"title": "Ship", "requires_consensus": True}]}
    with TestClient(create_app(world.services, with_mcp=False, with_web=False)) as http:
        refused = http.post("/v1/milestones", json=body, headers=headers(world, "core"))
    assert refused.status_code == 422 and refused.json()["error"]["message"] == message
    tool = mcp(world, "core", "create_milestone", **body)
    assert tool == f"error: {message}"
    m = world.api("core").create_milestone("Solo", [], group="solo")
    added = cli(world, sqlite_url, "core", "milestone", "add-checkpoint", m["id"], "Ship", "--requires-consensus")
    assert (added.exit_code, added.stderr.strip()) == (65, f"error: {message}")
    assert world.api("core").list_proposals() == []
