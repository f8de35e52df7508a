"""What finalizing does when a vote finds no consensus (SPEC §4): re-vote, expert override, escalate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from accord.domain.proposals import Ballot, Proposal, Voter
from accord.domain.tally import TallyResult, tally

StepKind = Literal["finalize", "revote", "override", "escalate"]
SCRUTINY = "unanimous_requires_scrutiny"
EXPERT_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Step:
    """The next move for a proposal being finalized."""

    kind: StepKind
    reason: str | None = None
    decision: str | None = None
    expert: str | None = None


def next_step(proposal: Proposal, result: TallyResult) -> Step:
    """Choose between finalizing, a discussion round, an expert's decision and escalation to humans."""
    if result.outcome == "passed":
        if proposal.critical and result.unanimous_count >= 3:
            return Step("escalate", reason=SCRUTINY)
        return Step("finalize")
    if result.outcome == "vetoed":
        return Step("finalize")
    for strategy in proposal.on_no_consensus:
        if strategy == "discussion_round" and proposal.round < proposal.max_rounds:
            return Step("revote", reason="no_consensus")
        if strategy == "expert_override":
            expert = find_expert(proposal)
            if expert is not None:
                ballot = proposal.ballots[expert.name]
                decision = ballot.choice[0] if isinstance(ballot.choice, tuple) else ballot.choice
                return Step("override", reason="no_consensus", decision=decision, expert=expert.name)
        if strategy == "escalate":
            return Step("escalate", reason="no_consensus")
    return Step("finalize")


def find_expert(proposal: Proposal) -> Voter | None:
    """The one confident expert whose choice decides, or None when there is none or they are tied."""
    ballots = {b.voter: b for b in proposal.ballots.values() if not b.abstains}
    counted = [v for v in proposal.counted_voters if v.name in ballots]
    if proposal.domain:
        pool = [v for v in counted if proposal.domain in v.expertise]
    else:
        heaviest = max((v.weight for v in counted), default=None)
        pool = [v for v in counted if v.weight == heaviest]
    pool = [v for v in pool if ballots[v.name].confidence > EXPERT_CONFIDENCE]
    if not pool:
        return None
    best = max((v.weight, ballots[v.name].confidence) for v in pool)
    top = [v for v in pool if (v.weight, ballots[v.name].confidence) == best]
    choices = {_choice(ballots[v.name]) for v in top}
    if len(top) > 1 and len(choices) > 1:
        return None
    return top[0]


def _choice(ballot: Ballot) -> str:
    return ballot.choice[0] if isinstance(ballot.choice, tuple) else ballot.choice


def leading_arguments(proposal: Proposal, result: TallyResult) -> list[dict[str, Any]]:
    """The comments of the leader's voters, sent with a discussion-round notice."""
    leader = result.result if result.result is not None else (result.tied[0] if result.tied else None)
    return [
        {"voter": b.voter, "vote": b.shown(), "comment": b.comment, "confidence": float(b.confidence)}
        for b in proposal.ballots.values()
        if b.comment and leader is not None and _choice(b) == leader
    ]


__all__ = ["Step", "find_expert", "leading_arguments", "next_step", "tally"]
