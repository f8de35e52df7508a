"""Pure tallies (SPEC §2.3-2.4): ballots in, a TallyResult out, in exact fractions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from accord.domain.irv import instant_runoff
from accord.domain.numbers import as_float
from accord.domain.proposals import Ballot, Proposal, Rules, Voter
from accord.domain.tally_base import (
    SHARE_RULES,
    TallyResult,
    describe_threshold,
    humans_text,
    meets,
    participation_needed,
    share_rule,
)
from accord.domain.verdict import tally_verdict

__all__ = [
    "SHARE_RULES",
    "TallyResult",
    "ballot_weight",
    "describe_threshold",
    "humans_text",
    "meets",
    "participation_needed",
    "share_rule",
    "tally",
]


def tally(proposal: Proposal) -> TallyResult:
    """Count a proposal's current ballots under its rules, as if it were finalized now."""
    if proposal.rules.voting_type == "verdict":
        return tally_verdict(proposal)
    rules = proposal.rules
    counted_voters = proposal.counted_voters
    voters = {v.name: v for v in counted_voters}
    present = [b for name, b in proposal.ballots.items() if name in voters]
    counted = [b for b in present if not b.abstains]
    eligible = len(counted_voters)
    participation = Fraction(len(present), eligible) if eligible else Fraction(0)
    needed = participation_needed(rules)
    quorum_met = needed is None or participation >= needed
    min_votes_met = len(present) >= rules.min_votes

    counts = dict.fromkeys(rules.options, 0)
    for b in counted:
        first = b.choice[0] if isinstance(b.choice, tuple) else b.choice
        counts[first] += 1

    if rules.voting_type == "ranked":
        support, shares, leader, tied, leader_share, rounds = _ranked(proposal.id, rules, counted, voters)
    else:
        support, shares, leader, tied, leader_share = _plurality(rules, counted, voters)
        rounds = []

    op, bound = share_rule(rules)
    if rules.binary:
        leader_share = shares[rules.options[0]]
        share_ok = meets(leader_share, op, bound) and sum(support.values()) > 0
    else:
        share_ok = leader is not None and meets(leader_share, op, bound)
    humans_required = rules.min_human_approvals if rules.voting_type == "yes_no" else 0
    human_yes = sum(1 for b in counted if voters[b.voter].kind == "human" and b.choice == "yes")
    humans_met = human_yes >= humans_required
    threshold_met = share_ok and quorum_met and min_votes_met and humans_met

    vetoed_by: tuple[str, ...] = ()
    if rules.voting_type == "yes_no":
        vetoed_by = tuple(sorted(b.voter for b in counted if voters[b.voter].veto and b.choice == "no"))

    if rules.binary:
        result: str | None = rules.options[0] if threshold_met else rules.options[1]
    else:
        result = leader
    if vetoed_by:
        outcome = "vetoed"
    elif not (quorum_met and min_votes_met and humans_met):
        outcome = "no_quorum"
    elif threshold_met:
        outcome = "passed"
    else:
        outcome = "rejected" if rules.binary else "no_consensus"
    unanimous = len(counted) if counted and len({_first(b) for b in counted}) == 1 else 0
    return TallyResult(
        result=result,
        threshold_met=threshold_met,
        outcome=outcome,
        tally=counts,
        support=support,
        shares=shares,
        participation=participation,
        eligible=eligible,
        ballots=len(present),
        abstentions=len(present) - len(counted),
        min_votes_met=min_votes_met,
        quorum_met=quorum_met,
        leader_share=leader_share,
        tied=tied,
        vetoed_by=vetoed_by,
        rounds=rounds,
        unanimous_count=unanimous,
        humans_required=humans_required,
        human_approvals=human_yes,
        rules_needing=(
            *_needing(rules, participation, needed, quorum_met, len(present), min_votes_met),
            *((humans_text(humans_required, human_yes),) if not humans_met else ()),
        ),
    )


def _needing(
    rules: Rules,
    participation: Fraction,
    needed: Fraction | None,
    quorum_met: bool,
    ballots: int,
    min_votes_met: bool,
) -> tuple[str, ...]:
    reasons = []
    if not quorum_met and needed is not None:
        have, need = as_float(participation * 100), as_float(needed * 100)
        reasons.append(f"participation {have:g}% is below the {need:g}% needed")
    if not min_votes_met:
        reasons.append(f"{ballots} ballots, fewer than the {rules.min_votes} needed")
    return tuple(reasons)


def _first(b: Ballot) -> str:
    return b.choice[0] if isinstance(b.choice, tuple) else b.choice


def ballot_weight(rules: Rules, ballot: Ballot, voter: Voter) -> Fraction:
    return voter.weight * ballot.confidence if rules.weighted else Fraction(1)


def _plurality(
    rules: Rules, counted: list[Ballot], voters: dict[str, Voter]
) -> tuple[dict[str, Fraction], dict[str, Fraction], str | None, tuple[str, ...], Fraction]:
    support = {o: Fraction(0) for o in rules.options}
    for b in counted:
        assert isinstance(b.choice, str)
        support[b.choice] += ballot_weight(rules, b, voters[b.voter])
    if rules.weighted and rules.weighted_denominator == "weights":
        denominator = sum((voters[b.voter].weight for b in counted), Fraction(0))
    elif rules.weighted:
        denominator = sum(support.values(), Fraction(0))
    else:
        denominator = Fraction(len(counted))
    shares = {o: (s / denominator if denominator else Fraction(0)) for o, s in support.items()}
    top = max(support.values())
    leaders = tuple(o for o, s in support.items() if s == top)
    if not counted or len(leaders) > 1:
        return support, shares, None, leaders if counted else (), Fraction(0)
    return support, shares, leaders[0], (), shares[leaders[0]]


def _scale(weights: Iterable[Fraction]) -> int:
    """The least common denominator, so exact fractional weights count as integers."""
    return math.lcm(*(w.denominator for w in weights)) if weights else 1


def _ranked(
    proposal_id: str, rules: Rules, counted: list[Ballot], voters: dict[str, Voter]
) -> tuple[dict[str, Fraction], dict[str, Fraction], str | None, tuple[str, ...], Fraction, list[dict[str, Any]]]:
    index = {o: i for i, o in enumerate(rules.options)}
    n_options = len(rules.options)
    weights = [ballot_weight(rules, b, voters[b.voter]) for b in counted]
    scale = _scale(weights)
    matrix = np.full((len(counted), n_options), -1, dtype=np.int16)
    for row, b in enumerate(counted):
        ranking = [index[o] for o in b.choice]
        matrix[row, : len(ranking)] = ranking
    int_weights = np.array([int(w * scale) for w in weights], dtype=np.int64) if rules.weighted else None
    irv = instant_runoff(matrix, n_options, int_weights, tiebreak_seed=proposal_id)

    def amount(value: int) -> Fraction:
        return Fraction(value, scale)

    rounds = [
        {
            "counts": {o: _report(amount(r.counts[i]), rules) for o, i in index.items()},
            "eliminated": None if r.eliminated is None else rules.options[r.eliminated],
            "exhausted": _report(amount(r.exhausted), rules),
        }
        for r in irv.rounds
    ]
    support = {o: amount(irv.rounds[0].counts[i]) if irv.rounds else Fraction(0) for o, i in index.items()}
    total = amount(irv.continuing_total)
    final = irv.rounds[-1].counts if irv.rounds else (0,) * n_options
    shares = {o: (amount(final[i]) / total if total else Fraction(0)) for o, i in index.items()}
    if irv.winner is None:
        tied = tuple(rules.options[i] for i in irv.tied) if counted else ()
        return support, shares, None, tied, Fraction(0), rounds
    winner = rules.options[irv.winner]
    return support, shares, winner, (), shares[winner], rounds


def _report(value: Fraction, rules: Rules) -> int | float:
    return as_float(value) if rules.weighted else int(value)
