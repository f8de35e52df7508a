"""The gate rules of SPEC §5 as pure functions: who counts, approval, rejection, veto, timeout, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.domain import gates
from accord.domain.errors import ValidationError
from accord.domain.proposals import Ballot, Proposal, Rules, Voter

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def gate(
    votes: dict[str, str],
    *,
    voters: list[str] | None = None,
    advisory: tuple[str, ...] = (),
    veto: tuple[str, ...] = (),
    irreversible: bool = False,
    timeout: float = 60,
) -> Proposal:
    names = voters if voters is not None else sorted(set(votes) | set(advisory) | set(veto))
    p = Proposal(
        id="prop_aaaaaaaaaaaa",
        group="eng",
        title="gate: x",
        created_by="req",
        created_at=T0,
        rules=Rules(threshold_type=gates.threshold_type(irreversible)),
        deadline=T0 + timedelta(seconds=timeout),
        subject="x",
        prevent_self_vote=True,
        kind="gate",
        voters={n: Voter(name=n, advisory=n in advisory, veto=n in veto) for n in names},
    )
    p.ballots = {n: Ballot(voter=n, choice=v, cast_at=T0) for n, v in votes.items()}
    return p


def test_gate_voters_leave_out_advisory_members_and_the_requester() -> None:
    p = gate({}, voters=["a", "b", "docs", "req"], advisory=("docs",))
    assert [v.name for v in gates.gate_voters(p)] == ["a", "b"]


@pytest.mark.parametrize(
    ("votes", "status"),
    [
        ({"a": "yes", "b": "yes"}, "approved"),
        ({"a": "yes"}, "pending"),  # 1 of 3 have voted: no quorum yet
        ({"a": "yes", "b": "no"}, "pending"),  # a 1-1 tie is not consent; c may still vote
        ({"a": "yes", "b": "no", "c": "no"}, "rejected"),
        ({"a": "yes", "b": "abstain"}, "approved"),  # abstentions count for the quorum only
        ({"a": "abstain", "b": "abstain"}, "pending"),
        ({"a": "abstain", "b": "abstain", "c": "abstain"}, "rejected"),
    ],
)
def test_standard_gates_need_more_than_half_yes_and_more_than_half_voting(votes: dict[str, str], status: str) -> None:
    assert gates.count(gate(votes, voters=["a", "b", "c", "req"])).status == status


def test_a_one_one_tie_rejects_a_standard_gate_once_everyone_voted() -> None:
    c = gates.count(gate({"a": "yes", "b": "no"}, voters=["a", "b"]))
    assert (c.status, c.yes_share) == ("rejected", Fraction(1, 2))
    assert "does not reach > 1/2" in c.reason


def test_irreversible_gates_need_two_thirds_exactly() -> None:
    two_of_three = gate({"a": "yes", "b": "yes", "c": "no"}, irreversible=True)
    assert gates.count(two_of_three).status == "approved"  # exact 2/3, where seed 002's 66% integer would not
    assert gates.count(two_of_three).yes_share == Fraction(2, 3)
    three_of_five = gate({"a": "yes", "b": "yes", "c": "yes", "d": "no", "e": "no"}, irreversible=True)
    assert gates.count(three_of_five).status == "rejected"
    standard = gate({"a": "yes", "b": "yes", "c": "yes", "d": "no", "e": "no"})
    assert gates.count(standard).status == "approved"


def test_irreversible_gates_need_every_veto_holders_yes() -> None:
    waiting = gate(
        {"a": "yes", "b": "yes", "c": "yes"}, voters=["a", "b", "c", "sec"], veto=("sec",), irreversible=True
    )
    c = gates.count(waiting)
    assert (c.status, c.holders_without_yes) == ("pending", ("sec",))
    abstained = gate({"a": "yes", "b": "yes", "c": "yes", "sec": "abstain"}, veto=("sec",), irreversible=True)
    assert gates.count(abstained).status == "rejected"
    agreed = gate({"a": "yes", "b": "yes", "c": "yes", "sec": "yes"}, veto=("sec",), irreversible=True)
    assert gates.count(agreed).status == "approved"
    standard = gate({"a": "yes", "b": "yes", "c": "yes"}, voters=["a", "b", "c", "sec"], veto=("sec",))
    assert gates.count(standard).status == "approved"  # standard subjects need no veto holder's yes


def test_a_veto_holders_no_vetoes_whatever_the_counts() -> None:
    c = gates.count(gate({"a": "yes", "b": "yes", "c": "yes", "sec": "no"}, veto=("sec",)))
    assert (c.status, c.vetoed_by) == ("vetoed", ("sec",))


def test_advisory_votes_never_count_nor_block() -> None:
    blocked = gates.count(gate({"a": "yes", "b": "yes", "docs": "no"}, advisory=("docs",), veto=("docs",)))
    assert (blocked.status, blocked.vetoed_by, blocked.no) == ("approved", (), 0)
    alone = gates.count(gate({"docs": "yes"}, voters=["a", "b", "docs"], advisory=("docs",)))
    assert (alone.status, alone.yes, alone.ballots) == ("pending", 0, 0)


def test_timeout_fails_closed_unless_it_stood_approved_or_vetoed() -> None:
    end = T0 + timedelta(seconds=60)
    pending = gate({"a": "yes"}, voters=["a", "b", "c"])
    assert gates.state(pending, end - timedelta(microseconds=1)).status == "pending"
    expired = gates.state(pending, end)
    assert (expired.status, expired.closed) == ("expired", True)
    assert "a timeout is a rejection" in expired.reason
    assert gates.state(gate({"a": "yes", "b": "yes"}), end).status == "approved"
    assert gates.state(gate({"a": "yes", "sec": "no"}, veto=("sec",)), end).status == "vetoed"
    assert gates.state(gate({"a": "no", "b": "no"}), end).status == "expired"


def test_close_freezes_approved_or_vetoed_and_anything_else_as_rejected() -> None:
    assert gates.on_close(gate({}), gates.count(gate({"a": "yes", "b": "yes"})), "req")[0] == "approved"
    vetoed = gate({"a": "yes", "sec": "no"}, veto=("sec",))
    assert gates.on_close(vetoed, gates.count(vetoed), "req")[0] == "vetoed"
    pending = gate({"a": "yes"}, voters=["a", "b", "c"])
    status, reason = gates.on_close(pending, gates.count(pending), "req")
    assert status == "rejected" and "closed by req before approval" in reason


def test_a_frozen_gate_stays_as_it_was_frozen() -> None:
    p = gate({"a": "yes", "b": "yes"})
    p.finalize({"gate": {"status": "vetoed", "reason": "vetoed by sec"}}, by="req", at=T0, resolution=None)
    assert (gates.state(p, T0).status, gates.state(p, T0).closed) == ("vetoed", True)


def test_a_gate_finalized_outside_the_gate_rules_is_read_fail_closed() -> None:
    p = gate({"a": "yes"}, voters=["a", "b", "c"])
    p.finalize({"outcome": "passed"}, by="req", at=T0, resolution=None)
    assert gates.state(p, T0).status == "rejected"
    p.status = "cancelled"
    assert gates.state(p, T0).status == "rejected"


def test_irreversible_pattern_matches_anywhere_ignoring_case() -> None:
    assert gates.is_irreversible("Deploy-prod", gates.DEFAULT_PATTERN)
    assert gates.is_irreversible("git push origin", gates.DEFAULT_PATTERN)
    assert not gates.is_irreversible("commit-gate", gates.DEFAULT_PATTERN)
    assert gates.is_irreversible("commit-gate", "^commit")


@pytest.mark.parametrize("raw", ["maybe", "", None, 1, ["yes"]])
def test_votes_other_than_yes_no_abstain_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError, match="use yes, no or abstain"):
        gates.check_vote(raw)


@pytest.mark.parametrize("raw", [0, -1, float("inf"), float("nan"), True, gates.MAX_TIMEOUT_SECONDS + 1])
def test_timeouts_must_be_positive_and_bounded(raw: float) -> None:
    with pytest.raises(ValidationError, match="timeout_seconds must be greater than 0"):
        gates.check_timeout(raw)


@given(
    st.lists(st.sampled_from(["yes", "no", "abstain", None]), min_size=1, max_size=9),
    st.booleans(),
)
def test_approval_always_means_quorum_share_and_no_veto(choices: list[str | None], irreversible: bool) -> None:
    names = [f"v{i}" for i in range(len(choices))]
    votes = {n: c for n, c in zip(names, choices, strict=True) if c is not None}
    c = gates.count(gate(votes, voters=names, veto=(names[0],), irreversible=irreversible))
    if c.status == "approved":
        assert 2 * c.ballots > len(names) and not c.vetoed_by
        assert c.yes_share >= Fraction(2, 3) if irreversible else c.yes_share > Fraction(1, 2)
        assert not irreversible or votes.get(names[0]) == "yes"
    if votes.get(names[0]) == "no":
        assert c.status == "vetoed"
