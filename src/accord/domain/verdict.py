"""Claim verdicts (SPEC §4.1, seed 001): only evidence-backed accept/reject ballots decide a claim.

With N eligible panelists, `a`/`r` evidence-backed accepts/rejects and `Wa`/`Wr` their sums of
weight x confidence:

* INSUFFICIENT_EVIDENCE — fewer than ⌈N/2⌉ evidence-backed ballots (or quorum / min_votes short);
* PROVEN — `a ≥ ⌈3N/5⌉`, or `Wa/(Wa+Wr) > 1/2` with `a > r`; REFUTED — the same, swapped;
* CONTESTED — otherwise (finalizing opens challenge rounds until `max_rounds`, then escalates).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from accord.domain.numbers import as_float
from accord.domain.proposals import Ballot, Proposal
from accord.domain.tally_base import TallyResult

PROVEN, REFUTED, CONTESTED, INSUFFICIENT = "PROVEN", "REFUTED", "CONTESTED", "INSUFFICIENT_EVIDENCE"
VERDICTS = (PROVEN, REFUTED, CONTESTED, INSUFFICIENT)
ACCEPT, REJECT = "accept", "reject"
BALLOTS = (ACCEPT, REJECT, "abstain")
HALF = Fraction(1, 2)

# What a verdict means for the proposal's outcome (the vocabulary of SPEC §2.3).
OUTCOMES = {PROVEN: "passed", REFUTED: "rejected", CONTESTED: "no_consensus", INSUFFICIENT: "no_consensus"}


def evidence_backed(ballot: Ballot) -> bool:
    """A ballot counts toward a verdict only when it takes a side and cites evidence."""
    return not ballot.abstains and bool(ballot.evidence)


def decide(n: int, a: int, r: int, wa: Fraction, wr: Fraction) -> tuple[str, str]:
    """The verdict of the table and the rule that gave it, from the panel size and the counts."""
    needed = math.ceil(Fraction(n, 2))
    if n == 0 or a + r == 0 or a + r < needed:
        return INSUFFICIENT, f"{a + r} evidence-backed ballots, fewer than ⌈N/2⌉ = {needed}"
    count_bar = math.ceil(Fraction(3 * n, 5))
    total = wa + wr
    for verdict, mine, theirs, w_mine, side in ((PROVEN, a, r, wa, ACCEPT), (REFUTED, r, a, wr, REJECT)):
        if mine >= count_bar:
            return verdict, f"{mine} evidence-backed {side}s ≥ ⌈3N/5⌉ = {count_bar}"
        if total > 0 and w_mine / total > HALF and mine > theirs:
            share = f"{float(w_mine / total) * 100:.1f}%"
            return verdict, f"weighted {side} share {share} > 50% with {mine} > {theirs} ballots"
    return CONTESTED, f"{a} accepts and {r} rejects decide nothing (⌈3N/5⌉ = {count_bar}, no weighted majority)"


def tally_verdict(proposal: Proposal) -> TallyResult:
    """Count a verdict proposal's current ballots: `result` is the verdict."""
    rules = proposal.rules
    voters = {v.name: v for v in proposal.counted_voters}
    n = len(voters)
    present = [b for name, b in proposal.ballots.items() if name in voters]
    backed = [b for b in present if evidence_backed(b)]
    opinions = sorted(b.voter for b in proposal.ballots.values() if not evidence_backed(b) and not b.abstains)
    a = sum(1 for b in backed if b.choice == ACCEPT)
    r = len(backed) - a
    support = {ACCEPT: Fraction(0), REJECT: Fraction(0)}
    for b in backed:
        assert isinstance(b.choice, str)
        support[b.choice] += voters[b.voter].weight * b.confidence
    total = support[ACCEPT] + support[REJECT]
    shares = {k: (v / total if total else Fraction(0)) for k, v in support.items()}

    participation = Fraction(len(present), n) if n else Fraction(0)
    quorum_met = rules.quorum is None or participation >= rules.quorum
    min_votes_met = len(present) >= rules.min_votes
    verdict, rule = decide(n, a, r, support[ACCEPT], support[REJECT])
    if not (quorum_met and min_votes_met):
        verdict, rule = INSUFFICIENT, "quorum or min_votes not met"
    detail: dict[str, Any] = {
        "verdict": verdict,
        "rule": rule,
        "panel": n,
        "evidence_backed": a + r,
        "evidence_needed": math.ceil(Fraction(n, 2)),
        "count_needed": math.ceil(Fraction(3 * n, 5)),
        "accepts": a,
        "rejects": r,
        "accept_weight": as_float(support[ACCEPT]),
        "reject_weight": as_float(support[REJECT]),
        "opinions": opinions,
    }
    unanimous = len(backed) if backed and (a == 0 or r == 0) else 0
    return TallyResult(
        result=verdict,
        threshold_met=verdict == PROVEN,
        outcome=OUTCOMES[verdict],
        tally={ACCEPT: a, REJECT: r},
        support=support,
        shares=shares,
        participation=participation,
        eligible=n,
        ballots=len(present),
        abstentions=sum(1 for b in present if b.abstains),
        min_votes_met=min_votes_met,
        quorum_met=quorum_met,
        leader_share=shares[ACCEPT],
        unanimous_count=unanimous,
        verdict=detail,
    )


def parse_verdict(raw: str) -> str | None:
    """A human's ruling on a claim: a verdict name (any case) or accept/reject; None when it is neither."""
    text = raw.strip().upper().replace(" ", "_")
    return {"ACCEPT": PROVEN, "REJECT": REFUTED}.get(text, text if text in VERDICTS else None)
