"""The tally, pure: SPEC §2.6's examples exactly, the threshold table, and properties."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.errors import ConflictError, DeadlineError, ForbiddenError, ValidationError
from accord.domain.proposals import Proposal, ProposalSpec, Voter, build_rules
from accord.domain.tally import tally

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def proposal(voters: dict[str, Voter] | list[str], **spec: object) -> Proposal:
    rules = build_rules(ProposalSpec(group="g", title="t", **spec))  # type: ignore[arg-type]
    if isinstance(voters, list):
        voters = {name: Voter(name) for name in voters}
    return Proposal(id="prop_test", group="g", title="t", created_by="x", created_at=NOW, rules=rules, voters=voters)


def vote_all(p: Proposal, votes: dict[str, object], confidence: dict[str, float] | None = None) -> None:
    for voter, choice in votes.items():
        p.cast(voter, choice, at=NOW, confidence=(confidence or {}).get(voter))


def test_seed000_two_thirds_four_yes_one_no() -> None:
    p = proposal(["a", "b", "c", "d", "e"], voting_type="yes_no", threshold_type="two_thirds")
    vote_all(p, {"a": "yes", "b": "yes", "c": "yes", "d": "yes", "e": "no"})
    r = tally(p)
    assert (r.result, r.threshold_met, r.tally, r.outcome) == ("yes", True, {"yes": 4, "no": 1}, "passed")


def test_seed000_unanimous_with_one_no_is_rejected() -> None:
    p = proposal(["a", "b", "c"], voting_type="yes_no", threshold_type="unanimous")
    vote_all(p, {"a": "yes", "b": "yes", "c": "no"})
    r = tally(p)
    assert (r.threshold_met, r.outcome, r.result) == (False, "rejected", "no")


def test_seed000_single_choice_redis() -> None:
    p = proposal(["a", "b", "c"], voting_type="single", options=["Redis", "Memcached", "Valkey"])
    vote_all(p, {"a": "Redis", "b": "Redis", "c": "Memcached"})
    r = tally(p)
    assert (r.result, r.threshold_met, r.outcome) == ("Redis", True, "passed")
    assert r.tally == {"Redis": 2, "Memcached": 1, "Valkey": 0}


def test_seed000_ranked_api_v2() -> None:
    p = proposal(["a", "b", "c"], voting_type="ranked", options=["Dark mode", "Mobile app", "API v2", "SSO"])
    vote_all(
        p,
        {
            "a": "API v2,SSO,Dark mode,Mobile app",
            "b": "SSO,API v2,Mobile app,Dark mode",
            "c": "API v2,Dark mode,SSO,Mobile app",
        },
    )
    r = tally(p)
    assert r.result == "API v2" and r.threshold_met
    assert r.tally["API v2"] == 2 and r.rounds[0]["counts"]["API v2"] == 2


def seed004_example1() -> Proposal:
    voters = {
        "database-architect": Voter("database-architect", weight=Fraction(2)),
        "security-architect": Voter("security-architect", weight=Fraction(1)),
        "devops": Voter("devops", weight=Fraction(3, 2)),
    }
    p = proposal(
        voters,
        voting_type="single",
        options=["PostgreSQL", "MongoDB", "DynamoDB"],
        threshold_type="custom",
        threshold=0.6,
        min_votes=3,
        weighted=True,
    )
    vote_all(
        p,
        {"database-architect": "PostgreSQL", "security-architect": "PostgreSQL", "devops": "DynamoDB"},
        {"database-architect": 0.9, "security-architect": 0.8, "devops": 0.7},
    )
    return p


def test_seed004_weighted_postgresql_not_reached() -> None:
    r = tally(seed004_example1())
    assert r.shares["PostgreSQL"] == Fraction(26, 45)  # 2.6 / 4.5 exactly
    assert round(float(r.shares["PostgreSQL"]) * 100, 1) == 57.8
    assert round(float(r.shares["DynamoDB"]) * 100, 1) == 23.3
    assert r.shares["MongoDB"] == 0
    assert (r.result, r.threshold_met, r.outcome) == ("PostgreSQL", False, "no_consensus")


def test_seed004_scores_denominator_microservices_reached() -> None:
    voters = {
        "architect": Voter("architect", weight=Fraction(3, 2)),
        "developer": Voter("developer"),
        "devops": Voter("devops"),
    }
    p = proposal(
        voters,
        voting_type="single",
        options=["Microservices", "Monolith"],
        threshold_type="custom",
        threshold=0.6,
        weighted=True,
        weighted_denominator="scores",
    )
    vote_all(
        p,
        {"architect": "Microservices", "developer": "Monolith", "devops": "Microservices"},
        {"architect": 0.8, "developer": 0.9, "devops": 0.6},
    )
    r = tally(p)
    assert r.shares["Microservices"] == Fraction(2, 3)
    assert (r.result, r.threshold_met, r.outcome) == ("Microservices", True, "passed")


@pytest.mark.parametrize(
    ("threshold_type", "yes", "no", "met"),
    [
        ("majority", 2, 2, False),  # a tie is not a majority
        ("majority", 3, 2, True),
        ("two_thirds", 2, 1, True),  # exactly 2/3, not 66.7%
        ("two_thirds", 3, 2, False),
        ("unanimous", 5, 0, True),
        ("supermajority", 4, 1, True),
    ],
)
def test_threshold_rows(threshold_type: str, yes: int, no: int, met: bool) -> None:
    names = [f"v{i}" for i in range(yes + no)]
    p = proposal(names, threshold_type=threshold_type)
    vote_all(p, {n: ("yes" if i < yes else "no") for i, n in enumerate(names)})
    assert tally(p).threshold_met is met


def test_quorum_threshold_needs_half_participation() -> None:
    p = proposal(["a", "b", "c", "d", "e"], threshold_type="quorum")
    vote_all(p, {"a": "yes", "b": "yes"})
    r = tally(p)
    assert (r.outcome, r.threshold_met, r.participation) == ("no_quorum", False, Fraction(2, 5))
    p.cast("c", "no", at=NOW)
    assert tally(p).outcome == "passed"


def test_supermajority_needs_three_quarters_participation() -> None:
    p = proposal(["a", "b", "c", "d"], threshold_type="supermajority")
    vote_all(p, {"a": "yes", "b": "yes"})
    assert tally(p).outcome == "no_quorum"
    p.cast("c", "yes", at=NOW)
    assert tally(p).outcome == "passed"


def test_min_votes_counts_abstentions() -> None:
    p = proposal(["a", "b", "c"], min_votes=3)
    vote_all(p, {"a": "yes", "b": "abstain"})
    assert tally(p).outcome == "no_quorum"
    p.cast("c", "abstain", at=NOW)
    r = tally(p)
    assert (r.outcome, r.ballots, r.abstentions) == ("passed", 3, 2)


def test_decisive_no_is_rejected_and_fails_closed() -> None:
    p = proposal(["a", "b", "c"])
    vote_all(p, {"a": "no", "b": "no", "c": "yes"})
    r = tally(p)
    assert (r.result, r.threshold_met, r.outcome) == ("no", False, "rejected")


def test_no_votes_at_all_never_passes() -> None:
    r = tally(proposal(["a"], threshold_type="custom", threshold=0.1))
    assert (r.threshold_met, r.outcome) == (False, "rejected")


def test_veto_wins_whatever_the_counts_and_only_its_holder_lifts_it() -> None:
    voters = {"sec": Voter("sec", veto=True), **{n: Voter(n) for n in ("a", "b", "c")}}
    p = proposal(voters)
    vote_all(p, {"sec": "no", "a": "yes", "b": "yes", "c": "yes"})
    r = tally(p)
    assert (r.outcome, r.vetoed_by) == ("vetoed", ("sec",))
    p.cast("a", "no", at=NOW)
    p.cast("a", "yes", at=NOW)
    assert tally(p).outcome == "vetoed"
    p.cast("sec", "yes", at=NOW)
    assert tally(p).outcome == "passed"


def test_advisory_votes_are_never_counted_nor_block() -> None:
    voters = {"docs": Voter("docs", advisory=True, veto=True), "a": Voter("a"), "b": Voter("b")}
    p = proposal(voters, threshold_type="unanimous")
    vote_all(p, {"docs": "no", "a": "yes", "b": "yes"})
    r = tally(p)
    assert (r.outcome, r.eligible, r.tally) == ("passed", 2, {"yes": 2, "no": 0})


def test_single_choice_tie_has_no_leader() -> None:
    p = proposal(["a", "b"], voting_type="single", options=["x", "y"])
    vote_all(p, {"a": "x", "b": "y"})
    r = tally(p)
    assert (r.result, r.tied, r.outcome) == (None, ("x", "y"), "no_consensus")


def test_ranked_multi_round_with_exhaustion() -> None:
    p = proposal([f"v{i}" for i in range(5)], voting_type="ranked", options=["A", "B", "C"])
    vote_all(p, {"v0": "A", "v1": "A,B", "v2": "B,C", "v3": "C,B", "v4": ["C"]})
    r = tally(p)
    # Round 1: A 2, B 1, C 2 -> B out; v2's vote moves to C: C 3 of 5 continuing.
    assert r.rounds[0]["counts"] == {"A": 2, "B": 1, "C": 2} and r.rounds[0]["eliminated"] == "B"
    assert (r.result, r.shares["C"]) == ("C", Fraction(3, 5))


def test_option_names_match_loosely_but_store_the_proposals_spelling() -> None:
    p = proposal(["a"], voting_type="single", options=["API  v2", "SSO"])
    ballot, _ = p.cast("a", "  api   V2 ", at=NOW)
    assert ballot.choice == "API v2"


@pytest.mark.parametrize(
    ("spec", "vote", "message"),
    [
        ({"voting_type": "single", "options": ["x", "y"]}, "z", "unknown option 'z': allowed options are x, y"),
        ({"voting_type": "ranked", "options": ["x", "y"]}, "x,x", "lists x more than once"),
        ({"voting_type": "ranked", "options": ["x", "y"]}, " , ", "must rank at least one option"),
        ({"threshold_type": "unanimous"}, "abstain", "abstain is not allowed under unanimous"),
        ({}, "maybe", "unknown option 'maybe'"),
    ],
)
def test_malformed_ballots_are_refused(spec: dict[str, object], vote: str, message: str) -> None:
    p = proposal(["a"], **spec)
    with pytest.raises(ValidationError, match=message):
        p.cast("a", vote, at=NOW)
    assert p.ballots == {}


@pytest.mark.parametrize("confidence", [-0.1, 1.5, float("nan")])
def test_confidence_outside_zero_one_is_refused(confidence: float) -> None:
    p = proposal(["a"])
    with pytest.raises(ValidationError, match="confidence"):
        p.cast("a", "yes", at=NOW, confidence=confidence)


def test_closed_proposals_and_strangers_are_refused() -> None:
    p = proposal(["a"])
    with pytest.raises(ForbiddenError, match="mallory is not an eligible voter of prop_test"):
        p.cast("mallory", "yes", at=NOW)
    p.deadline = NOW
    with pytest.raises(DeadlineError, match=re.escape(f"voting closed at {NOW.isoformat()}")):
        p.cast("a", "yes", at=NOW)
    p.deadline = None
    p.status = "finalized"
    with pytest.raises(ConflictError, match="proposal prop_test is finalized"):
        p.cast("a", "yes", at=NOW)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"voting_type": "single", "options": ["only"]}, "options must list 2-64 distinct names, got 1"),
        ({"voting_type": "single", "options": ["A", " a "]}, "duplicate option"),
        ({"threshold_type": "custom"}, "threshold is required"),
        ({"threshold_type": "custom", "threshold": 1.5}, "threshold must be greater than 0 and at most 1"),
        ({"threshold": 0.5}, "threshold is only allowed with threshold_type custom"),
        ({"voting_type": "plurality"}, "voting_type 'plurality' is not allowed"),
        ({"quorum": 0}, "quorum must be greater than 0"),
        ({"preset": "nope"}, "preset 'nope' is not allowed"),
    ],
)
def test_bad_rules_are_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build_rules(ProposalSpec(group="g", title="t", **spec))  # type: ignore[arg-type]


def test_presets_fill_defaults_that_fields_override() -> None:
    rules = build_rules(ProposalSpec(group="g", title="t", preset="supermajority"))
    assert (rules.threshold_type, rules.quorum) == ("supermajority", Fraction(3, 4))
    rules = build_rules(ProposalSpec(group="g", title="t", preset="simple_majority", quorum=0.9))
    assert rules.quorum == Fraction(9, 10)


# -- properties ----------------------------------------------------------------------------------------------

OPTIONS = ["A", "B", "C", "D"]
ballots_strategy = st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(choices=ballots_strategy, rotate=st.integers(0, 11))
def test_ballot_order_never_matters(choices: list[str], rotate: int) -> None:
    names = [f"v{i}" for i in range(len(choices))]
    first = proposal(names, voting_type="single", options=OPTIONS)
    second = proposal(names, voting_type="single", options=OPTIONS)
    order = list(zip(names, choices, strict=True))
    k = rotate % len(order)
    vote_all(first, dict(order))
    vote_all(second, dict(order[k:] + order[:k]))
    assert tally(first).shares == tally(second).shares and tally(first).result == tally(second).result


@settings(max_examples=60, deadline=None)
@given(
    choices=ballots_strategy,
    weights=st.lists(st.integers(1, 5), min_size=12, max_size=12),
    scale=st.integers(2, 7),
)
def test_shares_add_up_and_weights_scale(choices: list[str], weights: list[int], scale: int) -> None:
    def run(factor: int) -> dict[str, Fraction]:
        voters = {f"v{i}": Voter(f"v{i}", weight=Fraction(weights[i] * factor)) for i in range(len(choices))}
        p = proposal(voters, voting_type="single", options=OPTIONS, weighted=True, weighted_denominator="scores")
        vote_all(p, {f"v{i}": c for i, c in enumerate(choices)})
        return tally(p).shares

    shares = run(1)
    assert sum(shares.values()) == 1
    assert run(scale) == shares
