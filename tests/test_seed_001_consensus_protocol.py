"""Seed 001 (consensus protocol) through the REST face: the HITL escalation table's four conditions, the
verdict thresholds, per-question consensus of contributions, and the validation hook's CONS rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.entrypoints.rest import create_app
from tests.support import World

PROOF = ["https://ci.example/runs/7"]
PANEL = ["p1", "p2", "p3", "p4", "p5"]


class Caller:
    """REST as one member."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = self.client.post(f"/v1{path}", json=body, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str) -> Any:
        response = self.client.get(f"/v1{path}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def world(store_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(store_url, clock)
    w = World(services)
    w.group("review", {**{p: {} for p in PANEL}, "hitl": {"kind": "human", "role": "owner", "advisory": True}})
    yield w
    services.close()


@pytest.fixture
def rest(world: World) -> dict[str, Caller]:
    client = TestClient(create_app(world.services, with_mcp=False, with_web=False))
    return {name: Caller(client, token) for name, token in world.tokens.items()}


def claim(rest: dict[str, Caller], **fields: Any) -> str:
    body = {"group": "review", "title": "The N+1 query causes the slowdown", "voting_type": "verdict", **fields}
    return str(rest["p1"].post("/proposals", body, 201)["id"])


def vote(rest: dict[str, Caller], pid: str, ballots: list[tuple[str, str]], evidence: list[str] | None = PROOF) -> None:
    for name, choice in ballots:
        body = {"vote": choice, "confidence": 0.9, "evidence": evidence or [], "comment": f"{name} says {choice}"}
        rest[name].post(f"/proposals/{pid}/votes", body, 201)


def human_notices(rest: dict[str, Caller]) -> list[str]:
    return [m["content"] for m in rest["hitl"].get("/inbox")]


def test_hitl_contested_verdict_is_presented_to_the_user(rest: dict[str, Caller]) -> None:
    pid = claim(rest)  # max_rounds 2: the first vote and one challenge round
    split = [("p1", "accept"), ("p2", "accept"), ("p3", "reject"), ("p4", "reject"), ("p5", "abstain")]
    vote(rest, pid, split)
    assert rest["p1"].post(f"/proposals/{pid}/finalize")["outcome"] == "revote"
    vote(rest, pid, split)
    result = rest["p1"].post(f"/proposals/{pid}/finalize")
    assert (result["status"], result["result"], result["resolution"]["reason"]) == (
        "escalated",
        "CONTESTED",
        "contested",
    )
    assert any("Escalated to humans (contested)" in n for n in human_notices(rest))
    record = rest["hitl"].get(f"/proposals/{pid}/record")
    assert "- Consensus: NOT REACHED (verdict CONTESTED)" in record["markdown"]


def test_hitl_critical_severity_conflict_is_escalated_immediately(rest: dict[str, Caller]) -> None:
    cid = rest["p1"].post("/consultations", {"group": "review", "title": "Codebase map"}, 201)["id"]
    for name, answer, confidence in (("p1", "Layered", 0.95), ("p2", "Hexagonal", 0.9), ("p3", "layered", 0.85)):
        decision = {"question_id": "ARCH-001", "answer": answer, "confidence": confidence, "rationale": "experience"}
        synthesis = rest[name].post(f"/consultations/{cid}/contributions", {"decisions": [decision]}, 201)
    [question] = synthesis["questions"]
    assert (question["status"], question["flags"]) == ("majority", ["critical_conflict"])
    assert synthesis["escalated"] == ["ARCH-001"]
    assert any("Critical conflict" in n and "ARCH-001" in n for n in human_notices(rest))


def test_hitl_insufficient_evidence_requests_user_guidance(rest: dict[str, Caller], clock: FixedClock) -> None:
    pid = claim(rest, deadline_hours=1)
    vote(rest, pid, [("p1", "accept"), ("p2", "accept")])  # 2 evidence-backed ballots < ⌈5/2⌉
    vote(rest, pid, [("p3", "accept")], evidence=None)  # an opinion
    clock.advance(hours=1)  # a verdict is finalized once the panel has voted or its deadline has passed
    result = rest["p1"].post(f"/proposals/{pid}/finalize")
    assert (result["status"], result["result"]) == ("escalated", "INSUFFICIENT_EVIDENCE")
    assert any("Escalated to humans (insufficient_evidence)" in n for n in human_notices(rest))
    decided = rest["hitl"].post(f"/proposals/{pid}/resolve", {"decision": "PROVEN", "rationale": "Profiler trace"})
    assert (decided["status"], decided["result"], decided["outcome"]) == ("finalized", "PROVEN", "passed")


def test_hitl_unanimous_suspicious_consensus_is_verified_with_the_user(rest: dict[str, Caller]) -> None:
    pid = claim(rest, critical=True)
    vote(rest, pid, [(p, "accept") for p in PANEL])
    result = rest["p1"].post(f"/proposals/{pid}/finalize")
    assert (result["status"], result["warnings"]) == ("escalated", ["unanimous_requires_scrutiny"])
    verified = rest["hitl"].post(f"/proposals/{pid}/resolve", {"decision": "PROVEN", "rationale": "Reproduced it"})
    assert (verified["result"], verified["resolution"]["confirmed"]) == ("PROVEN", True)


def test_verdict_thresholds_three_of_five_or_weighted_confidence(rest: dict[str, Caller], clock: FixedClock) -> None:
    proven = claim(rest, deadline_hours=1)
    vote(rest, proven, [("p1", "accept"), ("p2", "accept"), ("p3", "accept"), ("p4", "reject")])
    refuted = claim(rest, deadline_hours=1)
    vote(rest, refuted, [("p1", "reject"), ("p2", "reject"), ("p3", "accept")])
    clock.advance(hours=1)
    assert rest["p1"].post(f"/proposals/{proven}/finalize")["result"] == "PROVEN"
    assert rest["p1"].post(f"/proposals/{refuted}/finalize")["result"] == "REFUTED"  # 50%+ weighted, 2 > 1


def test_contributions_classify_questions_and_flag_the_unresolved(rest: dict[str, Caller]) -> None:
    cid = rest["hitl"].post("/consultations", {"group": "review", "title": "Epic T100"}, 201)["id"]
    answers = {"p1": ("REST", "Postgres"), "p2": ("REST", "SQLite"), "p3": ("REST", "DuckDB")}
    for name, (api_style, store) in answers.items():
        decisions = [
            {"question_id": "API-001", "answer": api_style, "confidence": 0.7, "rationale": "r"},
            {"question_id": "DATA-001", "answer": store, "confidence": 0.7, "rationale": "r"},
        ]
        rest[name].post(f"/consultations/{cid}/contributions", {"decisions": decisions}, 201)
    synthesis = rest["p4"].get(f"/consultations/{cid}")
    assert [(q["question_id"], q["status"], q["resolved"]) for q in synthesis["questions"]] == [
        ("API-001", "unanimous", True),
        ("DATA-001", "split", False),
    ]
    assert synthesis["summary"]["flagged"] == ["DATA-001"]
    response = rest["p4"].client.get(f"/v1/consultations/{cid}?format=markdown", headers=rest["p4"].headers)
    assert "- Flagged for human review: DATA-001" in response.text


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/proposals", {"group": "review", "title": "Q", "voting_type": "single", "options": ["A"]}, "CONS-001"),
        ("/proposals", {"group": "review", "title": "Q", "voting_type": "ranked", "options": []}, "CONS-001"),
    ],
)
def test_validation_hook_at_least_two_options(
    rest: dict[str, Caller], path: str, body: dict[str, Any], message: str
) -> None:
    response = rest["p1"].client.post(f"/v1{path}", json=body, headers=rest["p1"].headers)
    assert response.status_code == 422 and message in response.json()["error"]["message"]


def test_validation_hook_confidence_scores_0_to_1(rest: dict[str, Caller]) -> None:
    pid = claim(rest)
    response = rest["p2"].client.post(
        f"/v1/proposals/{pid}/votes",
        json={"vote": "accept", "confidence": 1.01, "evidence": PROOF},
        headers=rest["p2"].headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "CONS-003: confidence must be 0.0-1.0, got 1.01"
