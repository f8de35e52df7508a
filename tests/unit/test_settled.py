"""Settled outcomes (SPEC §2.5 rev. 2), pure: the monotone argument checked against every completion.

A completion gives each missing voter one of: absent, abstaining (where allowed), or a ballot for an option at
confidence 0, 0.5, 0.9 or 1 (0.9: a confident expert who does not carry a full vote). `settle` says "settled as
X" only when every completion decides X; "not settled" only when two completions differ; and always "settled"
once everyone has voted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.domain.proposals import ABSTAIN, Ballot, Proposal, ProposalSpec, Voter, build_rules
from accord.domain.settled import Key, completed, outcome_key, settle
from accord.domain.tally import tally

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CONFIDENCES = (Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(1))
THRESHOLDS = ("majority", "two_thirds", "unanimous", "quorum", "supermajority", "custom")


def proposal(
    voters: list[Voter],
    ballots: dict[str, tuple[str, Fraction]] | None = None,
    /,
    *,
    on_no_consensus: tuple[str, ...] = (),
    domain: str | None = None,
    round: int = 1,
    max_rounds: int = 2,
    **spec: object,
) -> Proposal:
    rules = build_rules(ProposalSpec(group="g", title="t", **spec))  # type: ignore[arg-type]
    p = Proposal(
        id="prop_settle",
        group="g",
        title="t",
        created_by="creator",
        created_at=NOW,
        rules=rules,
        voters={v.name: v for v in voters},
        on_no_consensus=on_no_consensus,
        domain=domain,
        round=round,
        max_rounds=max_rounds,
    )
    p.ballots = {name: Ballot(name, choice, conf) for name, (choice, conf) in (ballots or {}).items()}
    return p


def completions(p: Proposal) -> list[Key]:
    """The decision of every completion of `p`'s missing ballots (brute force, the oracle)."""
    missing = [v.name for v in p.voters.values() if not v.advisory and v.name not in p.ballots]
    choices: list[tuple[str, Fraction] | None] = [None]
    if p.rules.allow_abstain:
        choices.append((ABSTAIN, Fraction(1)))
    choices += [(o, c) for o in p.rules.options for c in CONFIDENCES]
    keys = []
    for picks in product(choices, repeat=len(missing)):
        extra = {name: Ballot(name, pick[0], pick[1]) for name, pick in zip(missing, picks, strict=True) if pick}
        q = completed(p, extra)
        keys.append(outcome_key(q, tally(q)))
    return keys


# -- the SPEC's examples -----------------------------------------------------------------------------------


def agents(*names: str, **settings_: object) -> list[Voter]:
    return [Voter(n, **settings_) for n in names]  # type: ignore[arg-type]


YES, NO = ("yes", Fraction(1)), ("no", Fraction(1))


def test_four_yes_of_five_under_majority_is_settled_as_passed() -> None:
    p = proposal(agents("a", "b", "c", "d", "e"), dict.fromkeys("abcd", YES))
    s = settle(p)
    assert (s.settled, s.outcome, s.result, s.missing) == (True, "passed", "yes", ("e",))


def test_the_lone_agent_deploy_is_not_settled() -> None:
    """Issue 10's first situation: one yes of five under two_thirds."""
    p = proposal(agents("a", "b", "c", "d", "e"), {"a": YES}, threshold_type="two_thirds")
    assert settle(p).settled is False
    assert set(completions(p)) >= {("passed", "yes"), ("rejected", None)}


def test_a_quorum_the_missing_voters_could_make_or_break_is_not_settled() -> None:
    p = proposal(agents("a", "b", "c", "d"), {"a": YES, "b": YES}, quorum="0.75")
    assert settle(p).settled is False
    assert tally(p).outcome == "no_quorum"


def test_a_quorum_no_one_can_reach_is_settled_as_no_quorum() -> None:
    p = proposal(agents("a", "b", "c", "d"), {"a": YES}, min_votes=4)
    p.voters["d"] = Voter("d", advisory=True)  # advisory ballots never count
    assert (settle(p).settled, settle(p).outcome) == (True, "no_quorum")


def test_a_standing_veto_is_settled_as_vetoed_even_with_quorum_short() -> None:
    voters = [Voter("a"), Voter("b", veto=True), Voter("c"), Voter("d")]
    p = proposal(voters, {"b": NO}, quorum="1")
    assert (settle(p).settled, settle(p).outcome) == (True, "vetoed")


def test_a_missing_veto_holder_keeps_it_open() -> None:
    voters = [Voter("a"), Voter("b"), Voter("c"), Voter("v", veto=True)]
    p = proposal(voters, {"a": YES, "b": YES, "c": YES})
    assert settle(p).settled is False


def test_a_missing_advisory_member_changes_nothing() -> None:
    voters = [Voter("a"), Voter("b"), Voter("x", advisory=True, veto=True)]
    p = proposal(voters, {"a": YES, "b": YES})
    s = settle(p)
    assert (s.settled, s.outcome, s.missing) == (True, "passed", ())


def test_human_approvals_not_yet_given_keep_it_open_and_none_to_give_settle_it() -> None:
    voters = [Voter("a"), Voter("b"), Voter("c"), Voter("h", kind="human")]
    p = proposal(voters, {"a": YES, "b": YES, "c": YES}, min_human_approvals=1)
    assert tally(p).outcome == "no_quorum" and settle(p).settled is False
    p.ballots["h"] = Ballot("h", "no")
    assert (settle(p).settled, settle(p).outcome) == (True, "no_quorum")


def test_single_choice_settles_on_one_option() -> None:
    redis = ("Redis", Fraction(1))
    p = proposal(agents("a", "b", "c", "d"), {"a": redis, "b": redis, "c": redis}, voting_type="single",
                 options=["Redis", "Valkey"])  # fmt: skip
    assert (settle(p).outcome, settle(p).result) == ("passed", "Redis")
    p.ballots.pop("c")
    assert settle(p).settled is False


def test_weighted_confidence_is_judged_at_its_extremes() -> None:
    """Weights 3, 1, 1: a yes of weight 3 is 3/5 of the weights, yet the two missing could vote no at 1."""
    voters = [Voter("a", weight=Fraction(3)), Voter("b"), Voter("c")]
    p = proposal(voters, {"a": YES}, weighted=True, threshold_type="custom", threshold="0.6")
    s = settle(p)
    assert (s.settled, s.outcome) == (True, "passed")
    p.ballots["a"] = Ballot("a", "yes", Fraction(9, 10))  # 2.7 of 5 < 0.6 when both vote no
    assert settle(p).settled is False


def test_ranked_and_verdict_settle_only_when_everyone_voted() -> None:
    p = proposal(agents("a", "b", "c"), voting_type="ranked", options=["X", "Y"])
    p.ballots = {"a": Ballot("a", ("X", "Y")), "b": Ballot("b", ("X", "Y"))}
    assert settle(p).settled is False
    p.ballots["c"] = Ballot("c", ("Y",))
    assert (settle(p).settled, settle(p).outcome, settle(p).result) == (True, "passed", "X")


def test_an_expert_override_can_settle_what_the_vote_alone_does_not() -> None:
    """4 voters, majority: a (domain expert, sure) and d vote yes, c no; b is missing. b yes: passes; b no:
    2-2, no consensus, and the expert's yes decides; b absent or abstaining: 2 of 3 pass. Settled as passed."""
    voters = [Voter("a", expertise=("db",)), Voter("b"), Voter("c"), Voter("d")]
    p = proposal(voters, {"a": YES, "c": NO, "d": YES}, on_no_consensus=("expert_override",), domain="db")
    assert settle(p, with_override=False).settled is False  # a forced finalize skips the override
    s = settle(p)
    assert (s.settled, s.outcome, s.result) == (True, "passed", "yes")
    assert set(completions(p)) == {("passed", "yes")}
    p.voters["b"] = Voter("b", expertise=("db",))  # b could now be an expert who disagrees: no override
    assert settle(p).settled is False


# -- the property ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    p: Proposal


@st.composite
def cases(draw: st.DrawFn) -> Case:
    voting_type = draw(st.sampled_from(["yes_no", "single"]))
    options = ["yes", "no"] if voting_type == "yes_no" else draw(st.sampled_from([["A", "B"], ["A", "B", "C"]]))
    threshold_type = draw(st.sampled_from(THRESHOLDS))
    n = draw(st.integers(1, 5))
    domain = draw(st.sampled_from([None, "db"]))
    voters = [
        Voter(
            f"v{i}",
            kind=draw(st.sampled_from(["agent", "human"])),
            weight=draw(st.sampled_from([Fraction(1), Fraction(2), Fraction(1, 2)])),
            advisory=draw(st.booleans()) if i == n - 1 and n > 1 else False,
            veto=voting_type == "yes_no" and draw(st.integers(0, 4)) == 0,
            expertise=("db",) if draw(st.booleans()) else (),
        )
        for i in range(n)
    ]
    spec: dict[str, object] = {
        "voting_type": voting_type,
        "threshold_type": threshold_type,
        "weighted": draw(st.booleans()),
        "weighted_denominator": draw(st.sampled_from(["weights", "scores"])),
        "allow_abstain": draw(st.booleans()),
        "min_votes": draw(st.integers(0, n)),
    }
    if voting_type == "single":
        spec["options"] = options
    if threshold_type == "custom":
        spec["threshold"] = draw(st.sampled_from(["0.3", "0.5", "0.6", "1"]))
    quorum = draw(st.sampled_from([None, "0.25", "0.5", "0.75", "1"]))
    if quorum is not None:
        spec["quorum"] = quorum
    if voting_type == "yes_no":
        spec["min_human_approvals"] = draw(st.integers(0, 2))
    strategies = draw(
        st.sampled_from([(), ("expert_override",), ("discussion_round", "expert_override"), ("escalate",)])
    )
    rounds = {"round": draw(st.integers(1, 2)), "max_rounds": 2}
    p = proposal(voters, on_no_consensus=strategies, domain=domain, **rounds, **spec)  # type: ignore[arg-type]
    allowed = [*p.rules.options, *([ABSTAIN] if p.rules.allow_abstain else [])]
    missing = draw(st.sets(st.sampled_from([v.name for v in voters]), max_size=3))
    for v in voters:
        if v.name not in missing:
            p.ballots[v.name] = Ballot(v.name, draw(st.sampled_from(allowed)), draw(st.sampled_from(CONFIDENCES)))
    return Case(p)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_settled_exactly_when_every_completion_decides_the_same(case: Case) -> None:
    p = case.p
    decided = set(completions(p))
    s = settle(p)
    if s.settled:
        assert decided == {(s.outcome, s.result)}
    else:
        assert s.exact and len(decided) > 1
    if not s.missing:
        assert s.settled


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_without_the_override_settled_is_judged_on_the_vote_alone(case: Case) -> None:
    """What a forced finalize uses: the §2.3 outcome only."""
    p = case.p
    missing = [v.name for v in p.voters.values() if not v.advisory and v.name not in p.ballots]
    choices: list[tuple[str, Fraction] | None] = [None, *((o, c) for o in p.rules.options for c in CONFIDENCES)]
    if p.rules.allow_abstain:
        choices.append((ABSTAIN, Fraction(1)))
    decided = set()
    for picks in product(choices, repeat=len(missing)):
        q = completed(p, {m: Ballot(m, c[0], c[1]) for m, c in zip(missing, picks, strict=True) if c})
        decided.add(outcome_key(q, tally(q), with_override=False))
    s = settle(p, with_override=False)
    assert (decided == {(s.outcome, s.result)}) if s.settled else len(decided) > 1


def test_a_large_expert_override_corner_is_reported_unsettled_not_guessed() -> None:
    """Beyond OVERRIDE_CAP extreme completions the answer is fail-closed: unsettled, and says it was not exact."""
    voters = [Voter(f"v{i}", expertise=("db",)) for i in range(12)]
    p = proposal(
        voters,
        {f"v{i}": ("A", Fraction(1)) for i in range(6)},  # B or C can never pass; A can, or tie, or be overridden
        voting_type="single",
        options=["A", "B", "C"],
        on_no_consensus=("expert_override",),
        domain="db",
    )
    s = settle(p)
    assert (s.settled, s.exact, len(s.missing)) == (False, False, 6)


def test_a_thousand_voters_are_judged_by_their_extremes() -> None:
    """The monotone argument: a few tallies, not 2^999 completions."""
    voters = [Voter(f"v{i}") for i in range(1000)]
    p = proposal(voters, {f"v{i}": YES for i in range(667)}, threshold_type="two_thirds")
    assert (settle(p).settled, settle(p).outcome) == (True, "passed")  # 667 of 1000 >= 2/3 even if all say no
    p.ballots.pop("v0")
    assert settle(p).settled is False  # 666 of 1000 < 2/3 if the other 334 say no
