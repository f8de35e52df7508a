"""The verdict table of SPEC §4.1 (seed 001), pure: only evidence-backed ballots decide a claim."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain import deliberation
from accord.domain.errors import ValidationError
from accord.domain.proposals import Proposal, ProposalSpec, Voter, build_rules
from accord.domain.tally import tally
from accord.domain.verdict import CONTESTED, INSUFFICIENT, PROVEN, REFUTED, decide, parse_verdict

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROOF = ["https://ci.example/run/42"]


def claim(n: int = 5, weights: dict[str, float] | None = None, **spec: object) -> Proposal:
    rules = build_rules(ProposalSpec(group="g", title="The cache is the bottleneck", voting_type="verdict", **spec))  # type: ignore[arg-type]
    voters = {f"p{i}": Voter(f"p{i}", weight=Fraction(str((weights or {}).get(f"p{i}", 1)))) for i in range(1, n + 1)}
    return Proposal(id="prop_claim", group="g", title="t", created_by="x", created_at=NOW, rules=rules, voters=voters)


def cast(p: Proposal, votes: list[tuple[str, str, float, bool]]) -> None:
    for voter, vote, confidence, backed in votes:
        p.cast(voter, vote, at=NOW, confidence=confidence, evidence=PROOF if backed else None)


def test_three_of_five_evidence_backed_accepts_prove_the_claim() -> None:
    p = claim()
    cast(p, [("p1", "accept", 0.6, True), ("p2", "accept", 0.6, True), ("p3", "accept", 0.6, True)])
    cast(p, [("p4", "reject", 1.0, True), ("p5", "reject", 1.0, True)])
    r = tally(p)
    assert (r.result, r.threshold_met, r.outcome) == (PROVEN, True, "passed")
    assert r.verdict is not None and r.verdict["rule"] == "3 evidence-backed accepts ≥ ⌈3N/5⌉ = 3"


def test_a_weighted_majority_with_more_ballots_proves_below_three_fifths() -> None:
    p = claim()
    cast(p, [("p1", "accept", 0.9, True), ("p2", "accept", 0.9, True), ("p3", "reject", 0.5, True)])
    r = tally(p)
    assert r.result == PROVEN and r.shares["accept"] == Fraction(18, 23)
    assert r.verdict is not None and r.verdict["rule"].startswith("weighted accept share 78.3% > 50%")


def test_weight_alone_does_not_prove_with_fewer_ballots() -> None:
    p = claim(weights={"p1": 5})
    cast(p, [("p1", "accept", 1.0, True), ("p2", "reject", 0.5, True), ("p3", "reject", 0.5, True)])
    r = tally(p)
    assert r.result == CONTESTED  # Wa/(Wa+Wr) = 5/6 > 1/2 but a = 1 < r = 2


def test_refuted_is_the_same_rule_swapped() -> None:
    p = claim()
    cast(p, [("p1", "reject", 0.7, True), ("p2", "reject", 0.7, True), ("p3", "reject", 0.7, True)])
    r = tally(p)
    assert (r.result, r.outcome, r.threshold_met) == (REFUTED, "rejected", False)


def test_ballots_without_evidence_are_opinions_and_do_not_count() -> None:
    p = claim()
    cast(p, [("p1", "accept", 1.0, True), ("p2", "accept", 1.0, False), ("p3", "accept", 1.0, False)])
    cast(p, [("p4", "abstain", 1.0, True)])
    r = tally(p)
    assert r.result == INSUFFICIENT  # 1 evidence-backed ballot < ⌈5/2⌉ = 3
    assert r.verdict is not None and r.verdict["opinions"] == ["p2", "p3"]
    assert r.tally == {"accept": 1, "reject": 0}


@pytest.mark.parametrize(
    ("n", "a", "r", "wa", "wr", "expected"),
    [
        (5, 2, 0, 2, 0, INSUFFICIENT),
        (5, 2, 1, 1, 1, CONTESTED),  # a > r but the weights are even
        (5, 2, 2, 2, 2, CONTESTED),
        (4, 2, 0, 2, 0, PROVEN),  # ⌈4/2⌉ = 2 backed, weighted majority with a > r
        (4, 2, 2, 2, 2, CONTESTED),
        (3, 2, 0, 1, 0, PROVEN),  # ⌈9/5⌉ = 2
        (1, 0, 1, 0, 1, REFUTED),
        (0, 0, 0, 0, 0, INSUFFICIENT),
    ],
)
def test_the_table(n: int, a: int, r: int, wa: int, wr: int, expected: str) -> None:
    assert decide(n, a, r, Fraction(wa), Fraction(wr))[0] == expected


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 9), data=st.data())
def test_proven_and_refuted_never_both_hold_and_swap_with_the_sides(n: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, n))
    r = data.draw(st.integers(0, n - a))
    wa = Fraction(data.draw(st.integers(0, 20)), 10) if a else Fraction(0)
    wr = Fraction(data.draw(st.integers(0, 20)), 10) if r else Fraction(0)
    verdict = decide(n, a, r, wa, wr)[0]
    mirrored = decide(n, r, a, wr, wa)[0]
    swap = {PROVEN: REFUTED, REFUTED: PROVEN}
    assert mirrored == swap.get(verdict, verdict)


@pytest.mark.parametrize("bad", ["maybe", "yes", "PROVEN", ["accept"]])
def test_verdict_ballots_are_accept_reject_or_abstain(bad: object) -> None:
    p = claim()
    with pytest.raises(ValidationError, match="CONS-001: a verdict ballot is accept, reject or abstain, got"):
        p.cast("p1", bad, at=NOW, evidence=PROOF)
    assert p.ballots == {}


def test_confidence_outside_zero_one_names_cons_003() -> None:
    p = claim()
    with pytest.raises(ValidationError, match=r"CONS-003: confidence must be 0.0-1.0, got 1.2"):
        p.cast("p1", "accept", at=NOW, confidence=1.2, evidence=PROOF)
    assert p.ballots == {}


def test_finalizing_a_contested_claim_opens_challenge_rounds_then_escalates() -> None:
    p = claim(max_rounds=2)
    cast(
        p, [("p1", "accept", 1, True), ("p2", "accept", 1, True), ("p3", "reject", 1, True), ("p4", "reject", 1, True)]
    )
    assert deliberation.next_step(p, tally(p)) == deliberation.Step("revote", reason="challenge_round")
    p.round = 2
    assert deliberation.next_step(p, tally(p)) == deliberation.Step("escalate", reason="contested")


def test_insufficient_evidence_escalates_at_once_and_suspicious_unanimity_needs_a_human() -> None:
    p = claim()
    cast(p, [("p1", "accept", 1, True)])
    assert deliberation.next_step(p, tally(p)) == deliberation.Step("escalate", reason="insufficient_evidence")
    q = claim()
    q.critical = True
    cast(q, [("p1", "accept", 1, True), ("p2", "accept", 1, True), ("p3", "accept", 1, True)])
    assert deliberation.next_step(q, tally(q)) == deliberation.Step("escalate", reason="unanimous_requires_scrutiny")
    q.critical = False
    assert deliberation.next_step(q, tally(q)) == deliberation.Step("finalize")


def test_parse_verdict_accepts_names_and_sides() -> None:
    assert [parse_verdict(x) for x in ("proven", "Refuted", "accept", "reject", "insufficient evidence", "no")] == [
        PROVEN,
        REFUTED,
        PROVEN,
        REFUTED,
        INSUFFICIENT,
        None,
    ]
