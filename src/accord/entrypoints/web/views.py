"""What a page shows, gathered from the operations the member may call (no rules decided here).

The buttons offered (vote, finalize, cancel, resolve) follow the rules of SPEC §2.5 and §4 so that a person
is not shown a button that can only fail; the operation itself still decides and its refusal is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.api import Api
from accord.domain.verdict import VERDICTS
from accord.entrypoints.web.forms import Form, rank_field
from accord.entrypoints.web.present import number


@dataclass
class ProposalPage:
    proposal: dict[str, Any]
    role: str | None
    my_vote: dict[str, Any] | None
    can_vote: bool
    can_finalize: bool
    can_cancel: bool
    can_resolve: bool
    record: dict[str, Any] | None = None
    voted: set[str] = field(default_factory=set)
    gate: dict[str, Any] | None = None


def role_in(api: Api, group: str) -> str | None:
    """The caller's role in `group` (None when it is a store administrator outside the group)."""
    for m in api.list_members(group):
        if m["member"] == api.actor.name:
            return str(m["role"])
    return None


def proposal_page(api: Api, proposal_id: str) -> ProposalPage:
    p = api.get_proposal(proposal_id)
    me = api.actor
    role = role_in(api, p["group"])
    manages = me.is_admin or role in ("owner", "admin")
    creator = p["created_by"] == me.name
    eligible = {v["member"]: v for v in p["eligible_voters"]}
    voted = {b["voter"] for b in p["votes"]}
    everyone = all(name in voted for name, v in eligible.items() if not v["advisory"])
    is_open = p["status"] == "open"
    gate = p["kind"] == "gate"  # gates close on their own or by their requester, never by finalize
    return ProposalPage(
        proposal=p,
        role=role,
        my_vote=next((b for b in p["votes"] if b["voter"] == me.name), None),
        can_vote=is_open and not p["voting_closed"] and me.name in eligible,
        can_finalize=is_open
        and not gate
        and (manages or creator or (me.name in eligible and (everyone or p["voting_closed"]))),
        can_cancel=p["status"] in ("open", "escalated") and not gate and (manages or creator),
        # resolve_proposal: a human owner/admin *of the group* (a store administrator outside it may not).
        can_resolve=p["status"] == "escalated" and me.kind == "human" and role in ("owner", "admin"),
        record=api.get_decision_record(p["id"]) if p["status"] == "finalized" else None,
        voted=voted,
        gate=api.gate_tally(p["id"]) if p["kind"] == "gate" else None,
    )


def decision_options(p: dict[str, Any]) -> list[str]:
    """What a human may decide on an escalated proposal: an option, or a verdict for a claim."""
    return list(VERDICTS) if p["voting_type"] == "verdict" else list(p["options"])


def vote_defaults(page: ProposalPage, form: Form | None) -> dict[str, Any]:
    """What the vote form shows filled in: the values just submitted (after a refusal), else the current vote."""
    options: list[str] = page.proposal["options"]
    if form is not None:
        return {
            "choice": form.get("vote"),
            "ranks": {o: form.get(rank_field(i)) or "" for i, o in enumerate(options)},
            "abstain": bool(form.get("abstain")),
            "comment": form.get("comment") or "",
            "confidence": form.get("confidence") or "1",
            "evidence": form.get("evidence") or "",
        }
    mine = page.my_vote or {}
    vote = mine.get("vote")
    ranking = vote if isinstance(vote, list) else []
    return {
        "choice": vote if isinstance(vote, str) else None,
        "ranks": {o: str(ranking.index(o) + 1) if o in ranking else "" for o in options},
        "abstain": vote == "abstain",
        "comment": mine.get("comment") or "",
        "confidence": number(mine["confidence"]) if mine else "1",
        "evidence": "\n".join(mine.get("evidence") or []),
    }
