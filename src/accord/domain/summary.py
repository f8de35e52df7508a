"""A proposal's state in one sentence that never contradicts itself (every face shows the same words).

While a veto stands the sentence is "vetoed by <holder>: <comment>", never the counts' "result yes"; an open
proposal without a ballot reads "no votes yet", never the provisional "rejected" of an empty tally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accord.domain.proposals import Proposal

OUTCOME_WORDS = {
    "passed": "passed",
    "rejected": "rejected",
    "vetoed": "vetoed",
    "no_quorum": "not enough votes",
    "no_consensus": "no consensus",
    "revote": "re-vote",
    "escalated": "escalated",
    "expired": "expired",
}

VOTING_TYPE_WORDS = {"yes_no": "yes / no", "single": "single choice", "ranked": "ranked choice", "verdict": "verdict"}


def veto_text(vetoed_by: Sequence[str], comments: Mapping[str, str | None]) -> str:
    """'vetoed by cy: no rollback plan' (several holders: '…; dee: …'); a holder without a comment is named alone."""
    parts = [f"{h}: {comments[h]}" if comments.get(h) else h for h in vetoed_by]
    return "vetoed by " + "; ".join(parts)


def percent(share: float) -> str:
    text = f"{share * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def summarize(p: Proposal, figures: Mapping[str, Any]) -> str:
    """The proposal's state for people. `figures` is the tally as every face reports it (`TallyResult.as_dict`
    while open, the frozen outcome once decided)."""
    if p.status == "cancelled":
        return f"cancelled by {p.finalized_by}" if p.finalized_by else "cancelled"
    vetoed_by = list(figures.get("vetoed_by") or [])
    outcome = figures.get("outcome")
    if vetoed_by and (p.status == "open" or outcome == "vetoed"):
        return veto_text(vetoed_by, {name: b.comment for name, b in p.ballots.items()})
    if p.status == "escalated":
        reason = (p.resolution or {}).get("reason") or "no consensus"
        return f"escalated to humans ({reason}): waiting for a human owner/admin to decide"
    if p.status == "open" and not p.ballots:
        return "no votes yet" if p.round == 1 else f"no votes yet in round {p.round}"
    word = OUTCOME_WORDS.get(str(outcome), str(outcome))
    decided = _how_decided(p.resolution or {}) if p.status != "open" else ""
    if decided:  # the vote's figures did not decide it: say who did, not a share that seems to disagree
        return word + decided
    text = word + _detail(p, figures)
    if p.status != "open":
        return text
    counted = figures.get("ballots", 0)
    return f"if finalized now: {text} ({counted} of {figures.get('eligible', 0)} counted voters have voted)"


def _detail(p: Proposal, figures: Mapping[str, Any]) -> str:
    outcome = figures.get("outcome")
    shares: Mapping[str, float] = figures.get("shares") or {}
    needed = figures.get("threshold")
    if figures.get("verdict"):
        return f": verdict {figures['verdict'].get('verdict')}"
    if outcome == "no_quorum":
        reasons = []
        if not figures.get("quorum_met", True):
            reasons.append(f"participation {percent(float(figures.get('participation', 0)))} is below the quorum")
        if not figures.get("min_votes_met", True):
            reasons.append(f"fewer than {p.rules.min_votes} ballots")
        return ": " + ", ".join(reasons) if reasons else ""
    if p.rules.binary:
        yes = p.rules.options[0]
        return f": {yes} {percent(float(shares.get(yes, 0)))}, {needed} needed"
    if figures.get("tied"):
        return ": tied between " + ", ".join(figures["tied"])
    leader = figures.get("result")
    if leader is None:
        return ""
    verb = "with" if outcome == "passed" else "leads with"
    return f": {leader} {verb} {percent(float(shares.get(leader, 0)))}, {needed} needed"


def _how_decided(resolution: Mapping[str, Any]) -> str:
    method = resolution.get("method")
    if method == "human_decision":
        return f" (decided by {resolution.get('by')}: {resolution.get('rationale')})"
    if method == "expert_override":
        return f" (expert override by {resolution.get('expert')})"
    return ""
