"""Claim verdicts through the services (SPEC §4.1) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from accord.domain.errors import ValidationError
from tests.support import World

PROOF = ["https://ci.example/runs/42", "bench/results.csv"]


def panel(world: World) -> None:
    world.group(
        "review",
        {name: {} for name in ("p1", "p2", "p3", "p4", "p5")}
        | {"lead": {"kind": "human", "role": "admin", "advisory": True}},
    )


def claim(world: World, **fields: Any) -> str:
    return str(
        world.api("p1").create_proposal("review", "Caching halves p99 latency", voting_type="verdict", **fields)["id"]
    )


def test_a_proven_claim_is_finalized_with_its_figures(world: World) -> None:
    panel(world)
    pid = claim(world)
    for name in ("p1", "p2", "p3"):
        world.api(name).cast_vote(pid, "accept", confidence=0.8, evidence=PROOF, comment="reproduced on staging")
    world.api("p4").cast_vote(pid, "reject", confidence=0.9)  # no evidence: an opinion
    world.api("p5").cast_vote(pid, "abstain")  # a verdict is finalized once the whole panel has voted
    view = world.api("p1").get_proposal(pid)
    assert (view["result"], view["provisional"], view["verdict"]["opinions"]) == ("PROVEN", True, ["p4"])
    done = world.api("p1").finalize_proposal(pid)
    assert (done["status"], done["result"], done["outcome"], done["threshold_met"]) == (
        "finalized",
        "PROVEN",
        "passed",
        True,
    )
    record = world.api("p5").get_decision_record(pid)
    assert "### Decision\nPROVEN\n" in record["markdown"]
    assert "- Verdict: PROVEN (3 evidence-backed accepts ≥ ⌈3N/5⌉ = 3)" in record["markdown"]
    assert record["dissent"][0]["voter"] == "p4"


def test_contested_claims_get_a_challenge_round_then_go_to_humans(world: World) -> None:
    panel(world)
    pid = claim(world, max_rounds=2)
    for name, vote in (("p1", "accept"), ("p2", "accept"), ("p3", "reject"), ("p4", "reject")):
        world.api(name).cast_vote(pid, vote, evidence=PROOF, comment=f"{name}: {vote}")
    world.api("p5").cast_vote(pid, "abstain")
    challenge = world.api("p1").finalize_proposal(pid)
    assert (challenge["outcome"], challenge["round"]) == ("revote", 2)
    assert {a["voter"] for a in challenge["leading_arguments"]} == {"p1", "p2", "p3", "p4"}  # both sides
    for name, vote in (("p1", "accept"), ("p2", "accept"), ("p3", "reject"), ("p4", "reject"), ("p5", "abstain")):
        world.api(name).cast_vote(pid, vote, evidence=PROOF)
    escalated = world.api("p1").finalize_proposal(pid)
    assert (escalated["status"], escalated["result"], escalated["resolution"]["reason"]) == (
        "escalated",
        "CONTESTED",
        "contested",
    )
    done = world.api("lead").resolve_proposal(pid, "refuted", "The benchmark ran with a warm cache")
    assert (done["result"], done["outcome"], done["threshold_met"]) == ("REFUTED", "rejected", False)


def test_insufficient_evidence_goes_to_humans_at_once(world: World) -> None:
    panel(world)
    pid = claim(world)
    world.api("p1").cast_vote(pid, "accept", evidence=PROOF)
    world.api("p2").cast_vote(pid, "accept", comment="I believe it")
    for name in ("p3", "p4", "p5"):
        world.api(name).cast_vote(pid, "abstain")
    result = world.api("p1").finalize_proposal(pid)
    assert (result["status"], result["result"], result["resolution"]["reason"]) == (
        "escalated",
        "INSUFFICIENT_EVIDENCE",
        "insufficient_evidence",
    )
    with pytest.raises(ValidationError, match="decision 'maybe' is not a verdict: use one of PROVEN, REFUTED"):
        world.api("lead").resolve_proposal(pid, "maybe", "unsure")
    assert (
        world.api("lead").resolve_proposal(pid, "INSUFFICIENT_EVIDENCE", "Investigate first")["status"] == "finalized"
    )


def test_a_verdict_ballot_other_than_accept_reject_or_abstain_is_refused(world: World) -> None:
    panel(world)
    pid = claim(world)
    before = world.api("p1").get_proposal(pid, history=True)
    with pytest.raises(ValidationError, match="CONS-001: a verdict ballot is accept, reject or abstain, got 'yes'"):
        world.api("p2").cast_vote(pid, "yes", evidence=PROOF)
    assert world.api("p1").get_proposal(pid, history=True) == before
