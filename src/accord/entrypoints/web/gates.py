"""Gates on the web page (SPEC §5, §9): the list, a gate's page with its vote form and the requester's close button.

`/gates/{id}` is the address notices and sign-in links point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.api import Api
from accord.domain.errors import AccordError
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import Form, form_of
from accord.entrypoints.web.live import live_response

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DONE = {
    "vote": "Your vote is recorded.",
    "close": "The gate is closed: its result is frozen and the subject is free again.",
}
STATUSES = ("open", "closed")


@dataclass
class GatePage:
    gate: dict[str, Any]
    voters: list[dict[str, Any]]  # every eligible voter (advisory ones too), from the voter snapshot
    my_vote: dict[str, Any] | None
    can_vote: bool
    can_close: bool
    receipt: str | None = None  # the signed receipt of a closed gate: its requester's and administrators' only

    @property
    def voted(self) -> set[str]:
        return {b["voter"] for b in self.gate["votes"]}


def gate_page(api: Api, gate_id: str) -> GatePage:
    gate = api.gate_tally(gate_id)
    voters = api.get_proposal(gate["id"])["eligible_voters"]
    me = api.actor.name
    is_open = not gate["closed"]
    return GatePage(
        gate=gate,
        voters=voters,
        my_vote=next((b for b in gate["votes"] if b["voter"] == me), None),
        can_vote=is_open and any(v["member"] == me for v in voters),
        can_close=is_open and gate["requester"] == me,
        receipt=api.get_decision_record(gate["id"])["receipt"] if gate["closed"] else None,
    )


@router.get("/gates")
def gates(v: Signed, group: str | None = None, status: str | None = None, awaiting: str | None = None) -> Response:
    group, status = group or None, status or None
    return page(
        v,
        "gates.html",
        gates=v.api.gate_list(status=status, group=group, awaiting_me=awaiting == "me", limit=200),
        groups=v.api.list_groups(),
        group_filter=group,
        status_filter=status,
        awaiting_filter=awaiting == "me",
        statuses=STATUSES,
    )


@router.get("/gates/{gate_id}")
def gate(v: Signed, gate_id: str, done: str | None = None) -> Response:
    return show(v, gate_id, notice=DONE.get(done or ""))


def show(v: Visitor, gate_id: str, *, status: int = 200, **context: Any) -> Response:
    for name in ("form", "error", "error_action"):
        context.setdefault(name, None)
    return page(v, "gate.html", status=status, view=gate_page(v.api, gate_id), **context)


def refused(v: Visitor, gate_id: str, exc: AccordError, form: Form, action: str) -> Response:
    return show(v, gate_id, status=exc.http_status, error=exc.message, error_action=action, form=form)


@router.get("/gates/{gate_id}/live")
def gate_live(v: Signed, gate_id: str) -> Response:
    """The gate's status, count and votes, re-sent whenever an event about it commits."""
    first = gate_page(v.api, gate_id)  # 404 for a gate of another group
    return live_response(v, [first.gate["id"]], "_gate_live.html", lambda: {"view": gate_page(v.api, gate_id)})


@router.post("/gates/{gate_id}/vote")
async def vote(request: Request, v: Signed, gate_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        v.api.gate_vote(gate_id, form.get("vote") or "", comment=form.text("comment"))
    except AccordError as exc:
        return refused(v, gate_id, exc, form, "vote")
    return redirect(v, f"/gates/{gate_id}?done=vote#votes")


@router.post("/gates/{gate_id}/close")
async def close(request: Request, v: Signed, gate_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        v.api.gate_close(gate_id)
    except AccordError as exc:
        return refused(v, gate_id, exc, form, "close")
    return redirect(v, f"/gates/{gate_id}?done=close")
