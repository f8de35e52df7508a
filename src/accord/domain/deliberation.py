"""What finalizing does when a vote finds no consensus (SPEC §4): re-vote, expert override, escalate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from accord.domain import verdict as v
from accord.domain.errors import ConflictError, ForbiddenError, ValidationError
from accord.domain.proposals import MAX_COMMENT, MAX_DESCRIPTION, Ballot, Proposal, Voter
from accord.domain.tally import TallyResult, meets, share_rule, tally

StepKind = Literal["finalize", "revote", "override", "escalate"]
SCRUTINY = "unanimous_requires_scrutiny"
EXPERT_CONFIDENCE = Fraction(4, 5)  # exact: a confidence must be above 0.8, and 0.8 itself is not


@dataclass(frozen=True)
class Step:
    """The next move for a proposal being finalized."""

    kind: StepKind
    reason: str | None = None
    decision: str | None = None
    expert: str | None = None


def next_step(proposal: Proposal, result: TallyResult) -> Step:
    """Choose between finalizing, a discussion round, an expert's decision and escalation to humans."""
    if proposal.rules.voting_type == "verdict":
        return _verdict_step(proposal, result)
    if result.outcome == "vetoed":
        return Step("finalize")
    if reached_consensus(proposal, result):
        if proposal.critical and result.unanimous_count >= 3:
            return Step("escalate", reason=SCRUTINY)
        return Step("finalize")
    for strategy in proposal.on_no_consensus:
        if strategy == "discussion_round" and proposal.round < proposal.max_rounds:
            return Step("revote", reason="no_consensus")
        if strategy == "expert_override" and result.quorum_met and result.min_votes_met and result.humans_met:
            # Seed 004: never decide without quorum; an expert overrides a split vote, not an absent one, and
            # never stands in for the human approvals a proposal requires (SPEC §2.1).
            expert = find_expert(proposal)
            if expert is not None:
                ballot = proposal.ballots[expert.name]
                decision = ballot.choice[0] if isinstance(ballot.choice, tuple) else ballot.choice
                return Step("override", reason="no_consensus", decision=decision, expert=expert.name)
        if strategy == "escalate":
            return Step("escalate", reason="no_consensus")
    return Step("finalize")


def reached_consensus(proposal: Proposal, result: TallyResult) -> bool:
    """Passed, or (yes/no) a decisive "no": the no side's share meets the row the yes side missed."""
    if result.outcome == "passed":
        return True
    if result.outcome != "rejected" or proposal.rules.voting_type != "yes_no":
        return False
    op, bound = share_rule(proposal.rules)
    return sum(result.support.values()) > 0 and meets(result.shares["no"], op, bound)


def _verdict_step(proposal: Proposal, result: TallyResult) -> Step:
    """SPEC §4.1: challenge rounds while CONTESTED; CONTESTED at the last round and INSUFFICIENT_EVIDENCE escalate."""
    if result.result in (v.PROVEN, v.REFUTED):
        if proposal.critical and result.unanimous_count >= 3:
            return Step("escalate", reason=SCRUTINY)
        return Step("finalize")
    if result.result == v.CONTESTED:
        if proposal.round < proposal.max_rounds:
            return Step("revote", reason="challenge_round")
        return Step("escalate", reason="contested")
    return Step("escalate", reason="insufficient_evidence")


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
    """The comments of the leader's voters (of every tied leader), sent with a discussion-round notice.

    A claim's challenge round sends both sides' evidence-backed arguments (seed 001: "document both sides")."""
    if proposal.rules.voting_type == "verdict":
        wanted = {b.voter for b in proposal.ballots.values() if v.evidence_backed(b)}
    else:
        top = max(result.support.values(), default=Fraction(0))
        leaders = {o for o, s in result.support.items() if s == top and top > 0}
        if proposal.rules.voting_type == "ranked" and result.result is not None:
            leaders = {result.result}
        wanted = {b.voter for b in proposal.ballots.values() if not b.abstains and _choice(b) in leaders}
    return [
        {
            "voter": b.voter,
            "vote": b.shown(),
            "comment": b.comment,
            "confidence": float(b.confidence),
            "evidence": list(b.evidence),
        }
        for b in proposal.ballots.values()
        if b.voter in wanted and (b.comment or b.evidence)
    ]


def human_decision(
    proposal: Proposal,
    decision: str,
    rationale: str,
    *,
    by: str,
    is_human: bool,
    manages_group: bool,
    at: datetime,
    mitigation: str | None = None,
) -> None:
    """A human owner/admin ends an escalated proposal (SPEC §4, `resolve_proposal`); refuses anything else."""
    if proposal.status != "escalated":
        raise ConflictError(
            f"proposal {proposal.id} is {proposal.status}, not escalated: only an escalated proposal is "
            "resolved by a human (finalize_proposal decides the others)",
            mentions=("finalize_proposal",),
            proposal_id=proposal.id,
            status=proposal.status,
        )
    if not (is_human and manages_group):
        raise ForbiddenError(
            f"{by} may not resolve {proposal.id}: only a human owner/admin of group {proposal.group} may",
            proposal_id=proposal.id,
            member=by,
        )
    if not isinstance(rationale, str) or not rationale.strip():
        raise ValidationError("CONS-002: rationale is required: say why the humans decided this", field="rationale")
    if len(rationale) > MAX_COMMENT:
        raise ValidationError(
            f"rationale is {len(rationale)} characters; at most {MAX_COMMENT} allowed", field="rationale"
        )
    if mitigation is not None and len(mitigation) > MAX_DESCRIPTION:
        raise ValidationError(
            f"mitigation is {len(mitigation)} characters; at most {MAX_DESCRIPTION} allowed", field="mitigation"
        )
    rules = proposal.rules
    if rules.voting_type == "verdict":
        chosen = v.parse_verdict(decision) if isinstance(decision, str) else None
        if chosen is None:
            raise ValidationError(
                f"decision {decision!r} is not a verdict: use one of {', '.join(v.VERDICTS)} (or accept/reject)",
                field="decision",
                allowed=list(v.VERDICTS),
            )
        outcome = v.OUTCOMES[chosen]
    else:
        if not isinstance(decision, str) or not decision.strip():
            raise ValidationError(f"decision is required: one of {', '.join(rules.options)}", field="decision")
        chosen = rules.option_named(decision)
        outcome = "rejected" if rules.voting_type == "yes_no" and chosen == "no" else "passed"
    before = dict(proposal.outcome or {})
    previous = proposal.resolution or {}
    vote_result = before.get("result")
    figures = {**before, "result": chosen, "outcome": outcome}
    figures.pop("vote_outcome", None)
    resolution: dict[str, Any] = {
        "method": "human_decision",
        "decision": chosen,
        "rationale": rationale.strip(),
        "by": by,
        "at": at.isoformat(),
        "escalated_for": previous.get("reason"),
        "vote_result": vote_result,
        "vote_outcome": before.get("vote_outcome"),
    }
    if previous.get("reason") == SCRUTINY:
        resolution["confirmed"] = chosen == vote_result
    if mitigation is not None:
        proposal.mitigation = mitigation.strip() or None
    proposal.finalize(figures, by=by, at=at, resolution=resolution)


__all__ = ["Step", "find_expert", "human_decision", "leading_arguments", "next_step", "reached_consensus", "tally"]
