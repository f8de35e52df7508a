"""The inbox on the web page (SPEC §7): my messages with a link to what each is about, replies, and the TASK
actions (claim, complete, release). Reading the page consumes nothing: agents' `recv` still gets each once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import Form, form_of
from accord.services.notices import SYSTEM

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DONE = {
    "sent": "Your message is sent.",
    "claim": "The task is yours until the claim runs out.",
    "complete": "The task is completed; its sender receives your response.",
    "release": "The task is back to pending.",
    "read": "Marked read.",
}
# Where a message's payload points: the first of these keys it carries names the item's page.
LINKS = (
    ("completion_gate_id", "/completion-gates/", "the completion gate"),
    ("consultation_id", "/consultations/", "the consultation"),
    ("request_id", "/gates/", "the gate"),
    ("proposal_id", "/proposals/", "the proposal"),
    ("milestone_id", "/milestones/", "the milestone"),
)


def link_of(message: dict[str, Any]) -> tuple[str, str] | None:
    """The page of the item a message is about, and how to name it (None when it names none)."""
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return None
    kind = payload.get("kind")
    for key, prefix, name in LINKS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            if key == "request_id" and kind not in (None, "gate"):
                continue  # a proposal's REQUEST carries request_id too: its own page is the proposal's
            return prefix + value, name
    return None


def inbox_context(v: Visitor, unread: bool) -> dict[str, Any]:
    messages = v.api.check_inbox(unread_only=unread, limit=100)
    return {
        "messages": [{**msg, "link": link_of(msg)} for msg in messages],
        "groups": v.api.list_groups(),
        "unread_filter": unread,
        "system": SYSTEM,  # system notices are not answered
    }


@router.get("/inbox")
def inbox(v: Signed, unread: str | None = None, done: str | None = None) -> Response:
    return show(v, unread=bool(unread), notice=DONE.get(done or ""))


def show(v: Visitor, *, unread: bool = False, status: int = 200, **context: Any) -> Response:
    for name in ("form", "error", "error_id"):
        context.setdefault(name, None)
    return page(v, "inbox.html", status=status, **inbox_context(v, unread), **context)


def refused(v: Visitor, exc: AccordError, form: Form, message_id: str | None) -> Response:
    return show(v, status=exc.http_status, error=exc.message, error_id=message_id or "send", form=form)


@router.post("/inbox/send")
async def send(request: Request, v: Signed) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    reply_to = form.text("reply_to")
    try:
        v.api.send_message(
            form.get("to") or "",
            form.get("content") or "",
            form.get("group") or "",
            type=form.get("type") or "NOTICE",
            subject=form.text("subject"),
            payload={"request_id": reply_to} if reply_to else None,
        )
    except AccordError as exc:
        return refused(v, exc, form, reply_to)
    return redirect(v, "/inbox?done=sent")


@router.post("/inbox/{message_id}/{action}")
async def task_action(request: Request, v: Signed, message_id: str, action: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    try:
        if action == "read":
            v.api.mark_message_read(message_id)
        elif action == "claim":
            v.api.claim_message(message_id)
        elif action == "complete":
            v.api.complete_message(message_id, form.text("response"))
        elif action == "release":
            v.api.release_message(message_id)
        else:
            return page(v, "error.html", status=404, error=f"no such action {action!r}", code="not_found")
    except AccordError as exc:
        return refused(v, exc, form, message_id)
    return redirect(v, f"/inbox?done={action}#{message_id}")
