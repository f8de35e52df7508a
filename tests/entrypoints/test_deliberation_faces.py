"""Deliberation on every face (REST, MCP, CLI): the same flows and refusals, with nothing written on refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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

Json = dict[str, Any]


@dataclass
class Outcome:
    ok: bool
    code: int  # HTTP status, CLI exit code, or 0/1 for MCP
    message: str = ""
    data: Any = None


class Rest:
    name = "rest"

    def __init__(self, services: Services, url: str, tmp: Path) -> None:
        self.client = TestClient(create_app(services, with_mcp=False, with_web=False))

    def call(self, token: str, op: str, **a: Any) -> Outcome:
        c, h = self.client, {"Authorization": f"Bearer {token}"}
        routes: dict[str, Callable[[], Any]] = {
            "create_proposal": lambda: c.post("/v1/proposals", json=a, headers=h),
            "cast_vote": lambda: c.post(f"/v1/proposals/{a.pop('proposal_id')}/votes", json=a, headers=h),
            "finalize_proposal": lambda: c.post(f"/v1/proposals/{a['proposal_id']}/finalize", headers=h),
            "resolve_proposal": lambda: c.post(f"/v1/proposals/{a.pop('proposal_id')}/resolve", json=a, headers=h),
            "get_decision_record": lambda: c.get(f"/v1/proposals/{a['proposal_id']}/record", headers=h),
            "create_consultation": lambda: c.post("/v1/consultations", json=a, headers=h),
            "submit_contribution": lambda: c.post(
                f"/v1/consultations/{a.pop('consultation_id')}/contributions", json=a, headers=h
            ),
            "get_consultation": lambda: c.get(f"/v1/consultations/{a['consultation_id']}", headers=h),
            "create_completion_gate": lambda: c.post("/v1/completion-gates", json=a, headers=h),
            "signal_completion": lambda: c.post(f"/v1/completion-gates/{a.pop('gate_id')}/signals", json=a, headers=h),
            "get_completion_gate": lambda: c.get(f"/v1/completion-gates/{a['gate_id']}", headers=h),
            "sweep": lambda: c.post("/v1/sweep", headers=h),
        }
        response = routes[op]()
        body = response.json()
        if response.status_code >= 400:
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
            return Outcome(False, response.status_code, body["error"]["message"])
        return Outcome(True, response.status_code, data=body)


class Mcp:
    name = "mcp"

    def __init__(self, services: Services, url: str, tmp: Path) -> None:
        self.services = services

    def call(self, token: str, op: str, **a: Any) -> Outcome:
        async def run() -> Outcome:
            async with Client(build_mcp(self.services, token=token)) as client:
                result = await client.call_tool(op, a)
            if result.is_error:
                return Outcome(False, 1, " ".join(getattr(c, "text", "") for c in result.content))
            return Outcome(True, 0, data=result.structured_content)

        return asyncio.run(run())


class Cli:
    name = "cli"

    def __init__(self, services: Services, url: str, tmp: Path) -> None:
        self.url, self.tmp, self.runner = url, tmp, CliRunner()

    def argv(self, op: str, a: dict[str, Any]) -> list[str]:
        if op == "create_proposal":
            argv = ["proposal", "create", "--group", a.pop("group"), "--title", a.pop("title")]
            for key, value in a.items():
                argv += [f"--{key.replace('_', '-')}", ",".join(value) if isinstance(value, list) else str(value)]
            return argv
        if op == "cast_vote":
            argv = ["proposal", "vote", a["proposal_id"], a["vote"]]
            argv += ["--confidence", str(a["confidence"])] if "confidence" in a else []
            return argv + [x for e in a.get("evidence", []) for x in ("--evidence", e)]
        if op == "resolve_proposal":
            argv = ["proposal", "resolve", a["proposal_id"], a["decision"], "--rationale", a["rationale"]]
            return argv + (["--mitigation", a["mitigation"]] if a.get("mitigation") else [])
        if op == "create_consultation":
            questions = [x for q, text in (a.get("questions") or {}).items() for x in ("--question", f"{q}={text}")]
            return ["consult", "create", "--group", a["group"], "--title", a["title"], *questions]
        if op == "submit_contribution":
            path = self.tmp / "decisions.json"
            path.write_text(json.dumps(a["decisions"]))
            return ["consult", "submit", a["consultation_id"], "--file", str(path)]
        if op == "create_completion_gate":
            argv = ["completion", "create", "--group", a["group"], "--title", a["title"]]
            argv += ["--participant", ",".join(a["participants"])]
            return argv + [x for k in ("min_completions",) if k in a for x in ("--min-completions", str(a[k]))]
        simple = {
            "finalize_proposal": ["proposal", "finalize", a.get("proposal_id", "")],
            "get_decision_record": ["proposal", "record", a.get("proposal_id", "")],
            "get_consultation": ["consult", "show", a.get("consultation_id", "")],
            "signal_completion": ["completion", "signal", a.get("gate_id", ""), a.get("signal", "complete")],
            "get_completion_gate": ["completion", "show", a.get("gate_id", "")],
            "sweep": ["sweep"],
        }
        return simple[op]

    def call(self, token: str, op: str, **a: Any) -> Outcome:
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": token, "ACCORD_URL": ""}
        result = self.runner.invoke(cli_app, [*self.argv(op, dict(a)), "--json"], env=env)
        if result.exit_code != 0:
            return Outcome(False, result.exit_code, result.stderr.strip())
        return Outcome(True, 0, data=json.loads(result.stdout))


FACES = [Rest, Mcp, Cli]
Face = Rest | Mcp | Cli


@pytest.fixture
def world(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    w = World(services)
    w.group(
        "team",
        {"a1": {}, "a2": {}, "a3": {}, "a4": {}, "lead": {"kind": "human", "role": "owner", "advisory": True}},
    )
    yield w
    services.close()


def face(face_class: type[Face], world: World, sqlite_url: str, tmp_path: Path) -> Face:
    return face_class(world.services, sqlite_url, tmp_path)


def ok(outcome: Outcome) -> Json:
    assert outcome.ok, outcome.message
    assert isinstance(outcome.data, dict)
    return outcome.data


@pytest.mark.parametrize("face_class", FACES, ids=lambda f: f.name)
def test_escalate_resolve_and_record(face_class: type[Face], world: World, sqlite_url: str, tmp_path: Path) -> None:
    f, t = face(face_class, world, sqlite_url, tmp_path), world.tokens
    pid = ok(f.call(t["a1"], "create_proposal", group="team", title="A or B?", voting_type="single",
                    options=["A", "B"], on_no_consensus=["escalate"]))["id"]  # fmt: skip
    for name, vote in (("a1", "A"), ("a2", "A"), ("a3", "B"), ("a4", "B")):
        ok(f.call(t[name], "cast_vote", proposal_id=pid, vote=vote))
    assert ok(f.call(t["a1"], "finalize_proposal", proposal_id=pid))["status"] == "escalated"
    done = ok(f.call(t["lead"], "resolve_proposal", proposal_id=pid, decision="A", rationale="A is reversible"))
    assert (done["status"], done["result"], done["resolution"]["method"]) == ("finalized", "A", "human_decision")
    record = ok(f.call(t["a3"], "get_decision_record", proposal_id=pid))
    assert "### Resolution Method\nHuman decision - lead\nA is reversible\n" in record["markdown"]
    assert [d["voter"] for d in record["dissent"]] == ["a3", "a4"]


@pytest.mark.parametrize("face_class", FACES, ids=lambda f: f.name)
def test_consultation_and_completion_gate(
    face_class: type[Face], world: World, sqlite_url: str, tmp_path: Path
) -> None:
    f, t = face(face_class, world, sqlite_url, tmp_path), world.tokens
    cid = ok(f.call(t["a1"], "create_consultation", group="team", title="Map", questions={"ARCH-001": "Repo?"}))["id"]
    for name, answer in (("a1", "Monorepo"), ("a2", "monorepo"), ("a3", "Polyrepo")):
        item = {"question_id": "ARCH-001", "answer": answer, "confidence": 0.7, "rationale": "CI"}
        ok(f.call(t[name], "submit_contribution", consultation_id=cid, decisions=[item]))
    synthesis = ok(f.call(t["a4"], "get_consultation", consultation_id=cid))
    assert (synthesis["questions"][0]["status"], synthesis["questions"][0]["answer"]) == ("majority", "monorepo")
    assert "## ARCH-001: Repo?\nStatus: majority (resolved)" in synthesis["markdown"]

    gid = ok(f.call(t["a1"], "create_completion_gate", group="team", title="Done?", participants=["a1", "a2"]))["id"]
    assert ok(f.call(t["a1"], "signal_completion", gate_id=gid, signal="complete"))["status"] == "open"
    assert ok(f.call(t["a2"], "signal_completion", gate_id=gid, signal="complete"))["status"] == "consensus_complete"
    assert ok(f.call(t["a1"], "get_completion_gate", gate_id=gid))["done"] is True
    assert ok(f.call(t["admin"], "sweep"))["deliberation"]["checked"] == 0


def _escalated(world: World) -> Json:
    api = world.api("a1")
    pid = api.create_proposal("team", "Q", voting_type="single", options=["A", "B"], on_no_consensus=["escalate"])["id"]
    for name, vote in (("a1", "A"), ("a2", "A"), ("a3", "B"), ("a4", "B")):
        world.api(name).cast_vote(pid, vote)
    api.finalize_proposal(pid)
    return {"pid": pid}


@dataclass
class Refusal:
    name: str
    op: str
    args: Callable[[Json], Json]
    message: str
    rest: int
    cli: int
    member: str = "a2"
    setup: Callable[[World], Json] = field(default=lambda w: {})


REFUSALS = [
    Refusal(
        "confidence outside 0-1",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes", "confidence": 1.5},
        "CONS-003: confidence must be 0.0-1.0, got 1.5",
        422,
        65,
        setup=lambda w: {"pid": w.api("a1").create_proposal("team", "Q")["id"]},
    ),
    Refusal(
        "fewer than two options",
        "create_proposal",
        lambda c: {"group": "team", "title": "Q", "voting_type": "single", "options": ["only"]},
        "CONS-001: options must list 2-64 distinct names, got 1",
        422,
        65,
    ),
    Refusal(
        "verdict ballot other than accept/reject/abstain",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "maybe", "evidence": ["https://ci/1"]},
        "CONS-001: a verdict ballot is accept, reject or abstain, got 'maybe'",
        422,
        65,
        setup=lambda w: {"pid": w.api("a1").create_proposal("team", "Claim", voting_type="verdict")["id"]},
    ),
    Refusal(
        "question id of the wrong shape",
        "submit_contribution",
        lambda c: {
            "consultation_id": c["cid"],
            "decisions": [{"question_id": "arch-1", "answer": "x", "confidence": 0.5, "rationale": "r"}],
        },
        "CONS-001: question_id 'arch-1' must look like ARCH-001",
        422,
        65,
        setup=lambda w: {"cid": w.api("a1").create_consultation("team", "Map")["id"]},
    ),
    Refusal(
        "resolving a proposal that is not escalated",
        "resolve_proposal",
        lambda c: {"proposal_id": c["pid"], "decision": "yes", "rationale": "r"},
        "is open, not escalated",
        409,
        75,
        member="lead",
        setup=lambda w: {"pid": w.api("a1").create_proposal("team", "Q")["id"]},
    ),
    Refusal(
        "resolving as an agent",
        "resolve_proposal",
        lambda c: {"proposal_id": c["pid"], "decision": "A", "rationale": "r"},
        "only a human owner/admin of group team may",
        403,
        77,
        setup=_escalated,
    ),
    Refusal(
        "a signal from a non-participant",
        "signal_completion",
        lambda c: {"gate_id": c["gid"], "signal": "complete"},
        "a3 is not a participant of completion gate",
        403,
        77,
        member="a3",
        setup=lambda w: {"gid": w.api("a1").create_completion_gate("team", "Done?", ["a1", "a2"])["id"]},
    ),
]


def _everything(world: World) -> tuple[Any, ...]:
    admin = world.api("admin")
    proposals = [admin.get_proposal(p["id"], history=True) for p in admin.list_proposals()]
    return tuple(proposals), tuple(e["id"] for e in admin.list_events(limit=500))


@pytest.mark.parametrize("face_class", FACES, ids=lambda f: f.name)
@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.name)
def test_refusals_name_the_rule_and_write_nothing(
    case: Refusal, face_class: type[Face], world: World, sqlite_url: str, tmp_path: Path
) -> None:
    context = case.setup(world)
    before = _everything(world)
    outcome = face(face_class, world, sqlite_url, tmp_path).call(
        world.tokens[case.member], case.op, **case.args(context)
    )
    assert not outcome.ok
    assert case.message in outcome.message
    assert outcome.code == {"rest": case.rest, "cli": case.cli, "mcp": 1}[face_class.name]
    assert _everything(world) == before


def test_rest_serves_markdown_on_request(world: World, sqlite_url: str, tmp_path: Path) -> None:
    client = TestClient(create_app(world.services, with_mcp=False, with_web=False))
    pid = _escalated(world)["pid"]
    headers = {"Authorization": f"Bearer {world.tokens['a1']}"}
    response = client.get(f"/v1/proposals/{pid}/record?format=markdown", headers=headers)
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("## Decision Record\n### Topic\nQ\n")


def test_cli_prints_the_record_as_markdown(world: World, sqlite_url: str) -> None:
    pid = _escalated(world)["pid"]
    env = {"ACCORD_DATABASE_URL": sqlite_url, "ACCORD_TOKEN": world.tokens["a1"], "ACCORD_URL": ""}
    result = CliRunner().invoke(cli_app, ["proposal", "record", pid], env=env)
    assert result.exit_code == 0
    assert "### Decision\nPending a human decision (escalated: no_consensus)\n" in result.stdout
