"""Milestones: the list with progress, and one milestone's checkpoints as a dependency graph."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import form_of
from accord.entrypoints.web.graph import layout
from accord.entrypoints.web.live import live_response

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STATUSES = ("active", "closed")


def milestone_context(v: Visitor, milestone_id: str) -> dict[str, Any]:
    milestone = v.api.get_milestone(milestone_id)
    external = {x["ref"]: x for x in milestone.get("external", [])}
    return {"milestone": milestone, "graph": layout(milestone), "external": external}


@router.get("/milestones")
def milestones(v: Signed, group: str | None = None, status: str | None = None) -> Response:
    group = group or None
    status = status or None
    return page(
        v,
        "milestones.html",
        milestones=v.api.list_milestones(group=group, status=status, limit=200),
        groups=v.api.list_groups(),
        group_filter=group,
        status_filter=status,
        statuses=STATUSES,
    )


@router.get("/milestones/{milestone_id}")
def milestone(v: Signed, milestone_id: str, done: str | None = None) -> Response:
    notice = "The checkpoint is completed." if done == "complete" else None
    return page(v, "milestone.html", notice=notice, error=None, **milestone_context(v, milestone_id))


@router.get("/milestones/{milestone_id}/live")
def milestone_live(v: Signed, milestone_id: str) -> Response:
    """The graph and checkpoints, re-sent when the milestone or one of its approval votes changes."""
    first = v.api.get_milestone(milestone_id)  # 404 for a milestone of another group
    refs = [milestone_id] + [cp["proposal_id"] for cp in first["checkpoints"] if cp.get("proposal_id")]
    return live_response(v, refs, "_milestone.html", lambda: milestone_context(v, milestone_id))


@router.post("/milestones/{milestone_id}/checkpoints/{order}/complete")
async def complete(request: Request, v: Signed, milestone_id: str, order: int) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        v.api.complete_checkpoint(milestone_id, order)
    except AccordError as exc:
        context = milestone_context(v, milestone_id)
        return page(v, "milestone.html", status=exc.http_status, error=exc.message, error_order=order, **context)
    return redirect(v, f"/milestones/{milestone_id}?done=complete#checkpoint-{order}")
