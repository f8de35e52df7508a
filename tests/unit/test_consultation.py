"""Consultations, pure (SPEC §4.2): normalization, weighted per-question consensus, conflicts, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from accord.domain.consultation import (
    Answer,
    check_question_id,
    consensus,
    normalize_answer,
    parse_contribution,
    question_consensus,
    severity,
)
from accord.domain.errors import ValidationError

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ONE = {"a": Fraction(1), "b": Fraction(1), "c": Fraction(1)}


def answer(member: str, text: str, confidence: str, qid: str = "ARCH-001") -> Answer:
    return Answer(member=member, question_id=qid, answer=text, confidence=Fraction(confidence), rationale="r")


def test_answers_group_after_trim_lowercase_and_collapsed_spaces() -> None:
    assert normalize_answer("  Event   Sourcing ") == "event sourcing"
    r = question_consensus("ARCH-001", [answer("a", "Monorepo", "0.9"), answer("b", " monorepo  ", "0.7")], ONE)
    assert (r.status, r.resolved, r.answer, r.share, r.flags) == ("unanimous", True, "monorepo", Fraction(1), [])
    assert r.conflicts == ()


def test_a_weighted_majority_resolves_and_weights_multiply_confidence() -> None:
    weights = {"a": Fraction(2), "b": Fraction(1), "c": Fraction(1)}
    answers = [answer("a", "REST", "0.9"), answer("b", "gRPC", "0.85"), answer("c", "gRPC", "0.5")]
    r = question_consensus("API-001", answers, weights)
    # REST 2 x 0.9 = 1.8 against gRPC 0.85 + 0.5 = 1.35: 1.8 / 3.15 > 1/2.
    assert (r.status, r.answer, r.share) == ("majority", "rest", Fraction(180, 315))
    assert r.conflicts == ({"answers": ["grpc", "rest"], "severity": "critical", "confidence": [0.85, 0.9]},)
    assert r.flags == ["critical_conflict"]  # resolved, but flagged for humans


def test_a_split_is_unresolved_and_ties_go_to_the_answer_that_sorts_first() -> None:
    answers = [answer("a", "zeta", "0.7"), answer("b", "alpha", "0.7"), answer("c", "mu", "0.4")]
    r = question_consensus("ARCH-002", answers, ONE)
    assert (r.status, r.resolved, r.answer, r.flags) == ("split", False, "alpha", ["split"])
    assert [c["severity"] for c in r.conflicts] == ["medium", "high", "medium"]


def test_advisory_contributors_are_shown_but_weigh_nothing() -> None:
    answers = [answer("a", "x", "0.6"), answer("adv", "y", "1.0")]
    r = question_consensus("Q-001", answers, ONE)
    assert (r.status, r.answer, r.share) == ("majority", "x", Fraction(1))
    assert [len(g.answers) for g in r.groups] == [1, 1]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("0.81", "0.9", "critical"),
        ("0.8", "0.9", "high"),
        ("0.61", "0.7", "high"),
        ("0.6", "0.7", "medium"),
        ("0.49", "0.1", "low"),
        ("0.5", "0.1", "medium"),
    ],
)
def test_conflict_severity_from_each_sides_highest_confidence(a: str, b: str, expected: str) -> None:
    assert severity(Fraction(a), Fraction(b)) == expected


def test_consensus_covers_every_answered_question_in_id_order() -> None:
    answers = [answer("a", "x", "1", "SEC-002"), answer("a", "y", "1", "ARCH-001"), answer("b", "y", "1", "ARCH-001")]
    results = consensus(answers, ONE, {"ARCH-001": "Layout?", "OPS-003": "Unanswered?"})
    assert [(r.question_id, r.question, r.status) for r in results] == [
        ("ARCH-001", "Layout?", "unanimous"),
        ("SEC-002", None, "unanimous"),
    ]


def item(**fields: Any) -> dict[str, Any]:
    return {"question_id": "ARCH-001", "answer": "Monorepo", "confidence": 0.8, "rationale": "one CI", **fields}


def test_a_contribution_is_parsed_exactly() -> None:
    [a] = parse_contribution("a", [item(evidence=["docs/adr/1.md"], alternatives=["polyrepo"], question="Q?")], at=NOW)
    assert (a.confidence, a.evidence, a.alternatives, a.question) == (
        Fraction(4, 5),
        ("docs/adr/1.md",),
        ("polyrepo",),
        "Q?",
    )


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([item(question_id="arch-001")], r"CONS-001: question_id 'arch-001' must look like ARCH-001"),
        ([item(question_id="ARCH-1")], r"\^\[A-Z\]\+-\\d\{3\}\$"),
        ([item(question_id="ARCH_001")], "must look like ARCH-001"),
        ([item(confidence=1.5)], "CONS-003: ARCH-001: confidence must be 0.0-1.0, got 1.5"),
        ([item(confidence=-0.1)], "CONS-003"),
        ([item(confidence=None)], "CONS-003: ARCH-001: confidence is required"),
        ([item(rationale="")], "CONS-002: ARCH-001: rationale is required"),
        ([item(answer="  ")], "answer must be text"),
        ([item(), item()], "question ARCH-001 is answered twice"),
        ([item(verdict="x")], "unknown field"),
        ([], "CONS-001: a contribution is a non-empty list"),
    ],
)
def test_bad_contributions_are_refused_naming_the_rule(items: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_contribution("a", items, at=NOW)


def test_question_ids_are_capitals_a_dash_and_three_digits() -> None:
    assert check_question_id("SECURITY-042") == "SECURITY-042"
    for bad in ("A-0001", "-001", "A1-001", "ARCH 001", 7):
        with pytest.raises(ValidationError, match="CONS-001"):
            check_question_id(bad)
