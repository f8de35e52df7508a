"""The queue, the list of proposals, and a proposal's page with its vote, finalize and cancel forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.web import queue, views
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import Form, ballot_of, evidence_of, form_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DONE = {
    "vote": "Your vote is recorded.",
    "finalize": "The proposal is finalized.",
    "revote": "No consensus yet: a new round of voting has started.",
    "escalate": "No consensus: the proposal is escalated to the group's humans.",
    "cancel": "The proposal is cancelled.",
    "resolve": "Your decision is recorded.",
}
STATUSES = ("open", "escalated", "finalized", "cancelled")


@router.get("/")
def home(v: Signed) -> Response:
    return page(v, "queue.html", queue=queue.queue(v.api))


@router.get("/proposals")
def proposals(v: Signed, group: str | None = None, status: str | None = None) -> Response:
    group = group or None
    status = status or None
    return page(
        v,
        "proposals.html",
        proposals=v.api.list_proposals(group=group, status=status, limit=200),
        groups=v.api.list_groups(),
        group_filter=group,
        status_filter=status,
        statuses=STATUSES,
    )


@router.get("/proposals/{proposal_id}")
def proposal(v: Signed, proposal_id: str, done: str | None = None) -> Response:
    view = views.proposal_page(v.api, proposal_id)
    if view.proposal["kind"] == "gate":  # a gate has its own page, the one notices link to
        return redirect(v, f"/gates/{proposal_id}" + ("?done=vote" if done == "vote" else ""))
    return show(v, proposal_id, notice=DONE.get(done or ""), view=view)


def show(v: Visitor, proposal_id: str, *, status: int = 200, **context: Any) -> Response:
    for name in ("form", "error", "error_action"):
        context.setdefault(name, None)
    if "view" not in context:
        context["view"] = views.proposal_page(v.api, proposal_id)
    return page(v, "proposal.html", status=status, **context)


def refused(v: Visitor, proposal_id: str, exc: AccordError, form: Form, action: str) -> Response:
    """The proposal page again, with the operation's own error text next to the form that failed."""
    return show(v, proposal_id, status=exc.http_status, error=exc.message, error_action=action, form=form)


@router.post("/proposals/{proposal_id}/vote")
async def vote(request: Request, v: Signed, proposal_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        p = v.api.get_proposal(proposal_id)
        if p["kind"] == "gate":  # a gate's own rules: the requester never votes, a veto tells the group
            v.api.gate_vote(proposal_id, form.get("vote") or "", comment=form.text("comment"))
        else:
            v.api.cast_vote(
                proposal_id,
                ballot_of(form, p),
                comment=form.text("comment"),
                confidence=form.text("confidence"),
                evidence=evidence_of(form),
            )
    except AccordError as exc:
        return refused(v, proposal_id, exc, form, "vote")
    if p["kind"] == "gate":
        return redirect(v, f"/gates/{proposal_id}?done=vote#votes")
    return redirect(v, f"/proposals/{proposal_id}?done=vote#votes")


@router.post("/proposals/{proposal_id}/finalize")
async def finalize(request: Request, v: Signed, proposal_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        result = v.api.finalize_proposal(proposal_id, mitigation=form.text("mitigation"))
    except AccordError as exc:
        return refused(v, proposal_id, exc, form, "finalize")
    done = {"revote": "revote"}.get(result.get("outcome") or "", "finalize")
    if result.get("status") == "escalated":
        done = "escalate"
    return redirect(v, f"/proposals/{proposal_id}?done={done}")


@router.post("/proposals/{proposal_id}/cancel")
async def cancel(request: Request, v: Signed, proposal_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        v.api.cancel_proposal(proposal_id)
    except AccordError as exc:
        return refused(v, proposal_id, exc, form, "cancel")
    return redirect(v, f"/proposals/{proposal_id}?done=cancel")


@router.post("/proposals/{proposal_id}/resolve")
async def resolve(request: Request, v: Signed, proposal_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        v.api.resolve_proposal(
            proposal_id, form.get("decision") or "", form.get("rationale") or "", mitigation=form.text("mitigation")
        )
    except AccordError as exc:
        return refused(v, proposal_id, exc, form, "resolve")
    return redirect(v, f"/proposals/{proposal_id}?done=resolve#decision")
