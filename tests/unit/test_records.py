"""Decision records, pure: seed 004's two examples render as the seed shows them (figures to one decimal)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from accord.domain import deliberation
from accord.domain.proposals import Proposal, ProposalSpec, Voter, build_rules
from accord.domain.records import build_record, number, percent
from accord.domain.tally import tally

DATE = datetime(2026, 1, 23, 15, 30, tzinfo=UTC)


def seed004_database() -> Proposal:
    spec = ProposalSpec(
        group="g",
        title="Which database to use for the new service",
        voting_type="single",
        options=["PostgreSQL", "MongoDB", "DynamoDB"],
        weighted=True,
        threshold_type="custom",
        threshold=0.6,
        min_votes=3,
    )
    voters = {
        "database-architect": Voter("database-architect", weight=Fraction(2), expertise=("databases",)),
        "security-architect": Voter("security-architect"),
        "devops": Voter("devops", weight=Fraction(3, 2)),
    }
    p = Proposal(
        id="prop_db",
        group="g",
        title=spec.title,
        created_by="x",
        created_at=DATE,
        rules=build_rules(spec),
        voters=voters,
        on_no_consensus=("expert_override",),
        domain="databases",
    )
    p.cast(
        "database-architect", "PostgreSQL", at=DATE, confidence=0.9, comment="Strong ACID guarantees, mature ecosystem"
    )
    p.cast(
        "security-architect", "PostgreSQL", at=DATE, confidence=0.8, comment="Better encryption at rest, audit logging"
    )
    p.cast("devops", "DynamoDB", at=DATE, confidence=0.7, comment="Managed service, auto-scaling")
    return p


def test_seed004_example1_expert_override_record() -> None:
    p = seed004_database()
    result = tally(p)
    assert (result.shares["PostgreSQL"], result.shares["DynamoDB"]) == (Fraction(26, 45), Fraction(7, 30))
    step = deliberation.next_step(p, result)
    assert (step.kind, step.decision, step.expert) == ("override", "PostgreSQL", "database-architect")
    p.mitigation = "Will use managed PostgreSQL (RDS) to reduce operational burden."
    p.finalize(
        {**result.as_dict(p.rules), "result": "PostgreSQL", "outcome": "passed"},
        by="x",
        at=DATE,
        resolution={"method": "expert_override", "expert": "database-architect", "decision": "PostgreSQL"},
    )
    record = build_record(p, result, list(p.ballots.values()))
    md = record["markdown"]
    assert md.startswith("## Decision Record\n### Topic\nWhich database to use for the new service\n### Decision\n")
    assert "### Decision\nPostgreSQL\n" in md
    assert (
        "### Voting Summary\n- PostgreSQL: 57.8% (2 votes)\n- DynamoDB: 23.3% (1 vote)\n"
        "- Consensus: NOT REACHED (below 60% threshold)\n"
    ) in md
    assert (
        "### Resolution Method\nExpert override - database-architect (domain expert)\n"
        "had 0.9 confidence in PostgreSQL\n"
    ) in md
    assert "### Dissenting Opinion\ndevops preferred DynamoDB (confidence 0.7): Managed service, auto-scaling\n" in md
    assert "Mitigation: Will use managed PostgreSQL (RDS) to reduce operational burden.\n" in md
    assert md.endswith("### Decision Date\n2026-01-23\n")
    # Seed 004's step 3, line for line.
    assert (
        "PostgreSQL: (2.0 * 0.9) + (1.0 * 0.8) = 2.6\nDynamoDB: (1.5 * 0.7) = 1.05\nMongoDB: 0\nTotal weight: 4.5\n"
        "PostgreSQL: 2.6 / 4.5 = 57.8%\nDynamoDB: 1.05 / 4.5 = 23.3%\nThreshold: 60% → No clear consensus\n"
    ) in md
    # Options with no ballots: in the JSON, not in the Markdown summary.
    assert "- MongoDB" not in md
    assert [(s["option"], s["percent"], s["ballots"]) for s in record["summary"]] == [
        ("PostgreSQL", "57.8%", 2),
        ("MongoDB", "0.0%", 0),
        ("DynamoDB", "23.3%", 1),
    ]
    assert record["consensus"] == {
        "threshold": "60%",
        "participation": 1.0,
        "reached": False,
        "text": "NOT REACHED (below 60% threshold)",
    }
    assert record["dissent"] == [
        {
            "voter": "devops",
            "vote": "DynamoDB",
            "rationale": "Managed service, auto-scaling",
            "confidence": 0.7,
            "weight": 1.5,
            "advisory": False,
        }
    ]
    assert (record["date"], record["decision"], record["resolution"]["method"]) == (
        "2026-01-23",
        "PostgreSQL",
        "expert_override",
    )


def test_seed004_example2_microservices_record() -> None:
    spec = ProposalSpec(
        group="g",
        title="Architecture Style",
        voting_type="single",
        options=["Microservices", "Monolith"],
        weighted=True,
        weighted_denominator="scores",
        threshold_type="custom",
        threshold=0.6,
    )
    voters = {"architect": Voter("architect", weight=Fraction(3, 2)), "developer": Voter("developer")}
    voters["devops"] = Voter("devops")
    p = Proposal(id="prop_arch", group="g", title=spec.title, created_by="x", created_at=DATE, rules=build_rules(spec))
    p.voters = voters
    for name, vote, conf in (("architect", "Microservices", 0.8), ("developer", "Monolith", 0.9)):
        p.cast(name, vote, at=DATE, confidence=conf)
    p.cast("devops", "Microservices", at=DATE, confidence=0.6)
    result = tally(p)
    assert (result.shares["Microservices"], result.outcome) == (Fraction(2, 3), "passed")
    p.mitigation = "Start with modular monolith, extract services incrementally"
    p.finalize(result.as_dict(p.rules), by="x", at=DATE, resolution={"method": "vote"})
    md = build_record(p, result, list(p.ballots.values()))["markdown"]
    assert (
        "### Votes\n- architect: Microservices (weight 1.5, confidence 0.8)\n"
        "- developer: Monolith (weight 1.0, confidence 0.9)\n- devops: Microservices (weight 1.0, confidence 0.6)\n"
    ) in md
    assert "Microservices: (1.5 * 0.8) + (1.0 * 0.6) = 1.8\nMonolith: (1.0 * 0.9) = 0.9\n" in md
    assert "\nMicroservices: 66.7% → CONSENSUS REACHED\n" in md
    assert "### Decision\nMicroservices\n" in md
    assert "- Consensus: REACHED (60% threshold met)" in md
    assert "Mitigation: Start with modular monolith, extract services incrementally" in md


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(26, 45), "57.8%"), (Fraction(7, 30), "23.3%"), (Fraction(2, 3), "66.7%"), (Fraction(1, 8), "12.5%")],
)
def test_percent_rounds_half_up_from_the_exact_value(value: Fraction, text: str) -> None:
    assert percent(value) == text


def test_numbers_read_as_the_seed_writes_them() -> None:
    assert [number(Fraction(x)) for x in ("2", "0.9", "1.05", "2.6", "1/3")] == ["2.0", "0.9", "1.05", "2.6", "0.3333"]


def test_an_open_proposal_has_a_pending_record() -> None:
    p = seed004_database()
    record = build_record(p, tally(p), list(p.ballots.values()))
    assert (record["final"], record["decision"], record["date"]) == (False, None, None)
    assert "### Decision\nPending: voting is open\n" in record["markdown"]
    assert record["markdown"].endswith("### Decision Date\nPending\n")
