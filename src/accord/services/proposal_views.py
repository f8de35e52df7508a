"""How a proposal is shown on every face: rules, voters, current ballots, the (provisional) result and whether
it may be finalized now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.domain import gates as gate_rules
from accord.domain.closing import closability
from accord.domain.proposals import Proposal
from accord.domain.summary import summarize
from accord.domain.tally import tally


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def proposal_view(p: Proposal, now: datetime, *, history: list[Any] | None = None) -> dict[str, Any]:
    """The full picture of a proposal: its rules, voters, current ballots and (provisional) result."""
    r = p.rules
    view: dict[str, Any] = {
        "id": p.id,
        "kind": p.kind,
        "group": p.group,
        "title": p.title,
        "description": p.description,
        "voting_type": r.voting_type,
        "options": list(r.options),
        "threshold_type": r.threshold_type,
        "threshold": None if r.threshold is None else float(r.threshold),
        "quorum": None if r.quorum is None else float(r.quorum),
        "min_votes": r.min_votes,
        "weighted": r.weighted,
        "weighted_denominator": r.weighted_denominator,
        "allow_abstain": r.allow_abstain,
        "prevent_self_vote": p.prevent_self_vote,
        "on_no_consensus": list(p.on_no_consensus),
        "max_rounds": p.max_rounds,
        "domain": p.domain,
        "critical": p.critical,
        "min_human_approvals": r.min_human_approvals,
        "close_at_deadline": p.close_at_deadline,
        "subject": p.subject,
        "deadline": iso(p.deadline),
        "voting_closed": p.past_deadline(now) or not p.is_open,
        "status": p.status,
        "round": p.round,
        "created_by": p.created_by,
        "created_at": iso(p.created_at),
        "finalized_at": iso(p.finalized_at),
        "finalized_by": p.finalized_by,
        "eligible_voters": [
            {
                "member": v.name,
                "kind": v.kind,
                "weight": float(v.weight),
                "advisory": v.advisory,
                "veto": v.veto,
            }
            for v in p.voters.values()
        ],
        "votes": [
            {
                "voter": b.voter,
                "vote": b.shown(),
                "comment": b.comment,
                "confidence": float(b.confidence),
                "evidence": list(b.evidence),
                "cast_at": iso(b.cast_at),
                "advisory": p.voters[b.voter].advisory if b.voter in p.voters else False,
                "round": b.round,
            }
            for b in p.ballots.values()
        ],
        "resolution": p.resolution,
        "mitigation": p.mitigation,
    }
    if p.outcome is not None and p.status != "open":
        view.update(p.outcome)
        view["provisional"] = False
    else:
        view.update(tally(p).as_dict(r))
        view["provisional"] = True
    view["finalize"] = closability(p, now).view() if p.is_open and p.kind != "gate" else None
    # A gate's words come from its own counting rules (SPEC §5), a proposal's from §2.3.
    view["summary"] = gate_rules.state(p, now).reason if p.kind == "gate" else summarize(p, view)
    if history is not None:
        view["history"] = history
    return view
