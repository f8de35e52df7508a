"""Status that does not contradict itself (issue 9 item 7): while a veto stands every face says "vetoed by
<holder>: <comment>", never "result yes · threshold met"; an open proposal without ballots reads "no votes yet",
never "rejected"; the web queue marks vetoed items."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import Client
from typer.testing import CliRunner

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.support import World
from tests.web.server import sign_in

VETO = "vetoed by cy: No rollback plan for the schema change"


class Team:
    def __init__(self, services: Services, url: str) -> None:
        self.services = services
        self.url = url
        self.world = World(services)
        self.world.group(
            "backend-team",
            {"ana": {"role": "owner"}, "bo": {}, "cy": {"kind": "human", "veto": True}, "dee": {"kind": "human"}},
        )

    def vetoed(self) -> str:
        """4 voters, 3 yes (75% ≥ 2/3: the counts alone would pass) and cy's veto."""
        ana, bo, cy, dee = (self.world.api(n) for n in ("ana", "bo", "cy", "dee"))
        pid: str = ana.create_proposal(group="backend-team", title="Deploy v2.0?", threshold_type="two_thirds")["id"]
        ana.cast_vote(pid, "yes", "Staging tests passed")
        bo.cast_vote(pid, "yes")
        dee.cast_vote(pid, "yes", "Fine by me")
        cy.cast_vote(pid, "no", "No rollback plan for the schema change")
        return pid

    def rest(self, member: str, path: str) -> Any:
        with TestClient(create_app(self.services, with_mcp=False, with_web=False)) as client:
            response = client.get(path, headers={"Authorization": f"Bearer {self.world.tokens[member]}"})
            assert response.status_code == 200, response.text
            return response.json()

    def mcp(self, member: str, tool: str, **args: Any) -> Any:
        async def run() -> Any:
            async with Client(build_mcp(self.services, token=self.world.tokens[member])) as client:
                result = await client.call_tool(tool, args)
                assert not result.is_error
                return result.structured_content

        return asyncio.run(run())

    def cli(self, member: str, *args: str) -> str:
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[member], "ACCORD_URL": None}
        result = CliRunner().invoke(cli_app, list(args), env=env)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    def web(self, member: str) -> TestClient:
        client = TestClient(create_app(self.services), follow_redirects=False)
        sign_in(client, self.world.tokens[member])
        return client


@pytest.fixture
def team(store_url: str) -> Iterator[Team]:
    services = build_services(store_url, FixedClock())
    yield Team(services, store_url)
    services.close()


def test_a_standing_veto_reads_the_same_on_every_face(team: Team) -> None:
    pid = team.vetoed()
    rest = team.rest("bo", f"/v1/proposals/{pid}")
    assert (rest["summary"], rest["outcome"], rest["vetoed_by"]) == (VETO, "vetoed", ["cy"])
    assert team.mcp("bo", "get_proposal", proposal_id=pid)["summary"] == VETO
    shown = team.cli("bo", "proposal", "show", pid)
    assert VETO in shown.splitlines()
    assert "result" not in shown and "threshold_met" not in shown
    with team.web("dee") as web:
        page = web.get(f"/proposals/{pid}").text
        assert VETO in page
        outcome = re.search(r'<p class="outcome"[^>]*>(.*?)</p>', page, re.DOTALL)
        assert outcome is not None and "threshold" not in outcome.group(1) and "result" not in outcome.group(1)
        queue = web.get("/").text  # dee has voted: the item is among the other open work, marked
        item = queue.split("Deploy v2.0?", 1)[1].split("</li>", 1)[0]
        assert 'class="badge outcome-vetoed">vetoed</span>' in item and VETO in item
    record = team.mcp("bo", "get_decision_record", proposal_id=pid)
    assert f"NOT REACHED ({VETO})" in record["markdown"]


def test_a_vetoed_finalized_proposal_records_no_with_the_reason(team: Team) -> None:
    pid = team.vetoed()
    final = team.world.api("ana").finalize_proposal(pid)
    assert (final["outcome"], final["summary"]) == ("vetoed", VETO)
    record = team.rest("bo", f"/v1/proposals/{pid}/record")
    assert record["decision"] == "no"  # a veto decides "no", whatever the counts
    assert record["decision_text"] == f"no ({VETO})"
    assert "### Decision\nno (vetoed by cy:" in record["markdown"]
    assert [d["voter"] for d in record["dissent"]] == ["ana", "bo", "dee"]
    with team.web("dee") as web:
        page = web.get(f"/proposals/{pid}").text
        assert VETO in page and "threshold ≥ 66.7% met" not in page


def test_an_open_proposal_without_ballots_reads_no_votes_yet(team: Team) -> None:
    pid = team.world.api("ana").create_proposal(group="backend-team", title="Nobody voted yet")["id"]
    assert team.rest("bo", f"/v1/proposals/{pid}")["summary"] == "no votes yet"
    assert team.mcp("bo", "get_proposal", proposal_id=pid)["summary"] == "no votes yet"
    shown = team.cli("bo", "proposal", "show", pid)
    assert "no votes yet" in shown.splitlines() and "rejected" not in shown
    with team.web("dee") as web:
        page = web.get(f"/proposals/{pid}").text
        outcome = re.search(r'<p class="outcome"[^>]*>(.*?)</p>', page, re.DOTALL)
        assert outcome is not None and "no votes yet" in outcome.group(1) and "rejected" not in outcome.group(1)
    # Once someone votes, the provisional reading says so, with how many have voted.
    team.world.api("bo").cast_vote(pid, "no")
    assert team.rest("bo", f"/v1/proposals/{pid}")["summary"] == (
        "if finalized now: rejected: yes 0%, > 50% needed (1 of 4 counted voters have voted)"
    )


def test_a_vetoed_gate_gives_the_holders_reason(team: Team) -> None:
    gate = team.world.api("ana").gate_request("deploy", {"v": 2}, "backend-team", 600)["id"]
    team.world.api("cy").gate_vote(gate, "no", "No rollback plan for the schema change")
    assert team.mcp("bo", "gate_tally", subject="deploy")["reason"] == VETO
    assert team.rest("bo", f"/v1/proposals/{gate}")["summary"] == VETO
