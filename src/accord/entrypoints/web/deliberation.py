"""Consultations and completion gates on the web page (SPEC §4.2, §6): the synthesis with its flags and a form to
answer, and a completion gate with who has signalled and the buttons to signal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import Form, form_of
from accord.entrypoints.web.live import live_response

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DONE = {
    "answer": "Your answer is recorded.",
    "complete": "Your completion is recorded.",
    "needs_revision": "Recorded: the task needs revision (the completions so far are cleared).",
}


# -- consultations -----------------------------------------------------------------------------------------


def consultation_context(v: Visitor, consultation_id: str) -> dict[str, Any]:
    c = v.api.get_consultation(consultation_id)
    me = v.member.name if v.member else ""
    # Flagged questions first: they are what a human is asked to look at.
    questions = sorted(c["questions"], key=lambda q: (not q["flagged"], q["question_id"]))
    mine = {
        q["question_id"]: a
        for q in c["questions"]
        for group in q["answers"]
        for a in group["contributors"]
        if a["member"] == me
    }
    return {"c": c, "questions": questions, "mine": mine, "can_answer": me in c["contributors"]}


@router.get("/consultations/{consultation_id}")
def consultation(v: Signed, consultation_id: str, done: str | None = None) -> Response:
    return show_consultation(v, consultation_id, notice=DONE.get(done or ""))


def show_consultation(v: Visitor, consultation_id: str, *, status: int = 200, **context: Any) -> Response:
    for name in ("form", "error", "error_question"):
        context.setdefault(name, None)
    return page(v, "consultation.html", status=status, **consultation_context(v, consultation_id), **context)


@router.get("/consultations/{consultation_id}/live")
def consultation_live(v: Signed, consultation_id: str) -> Response:
    """The synthesis, re-sent whenever a contribution commits."""
    consultation_context(v, consultation_id)  # 404 for a consultation of another group
    return live_response(v, [consultation_id], "_consultation.html", lambda: consultation_context(v, consultation_id))


@router.post("/consultations/{consultation_id}/answer")
async def answer(request: Request, v: Signed, consultation_id: str) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    question_id = form.get("question_id") or ""
    decision: dict[str, Any] = {
        "question_id": question_id,
        "answer": form.get("answer") or "",
        "confidence": form.text("confidence"),
        "rationale": form.get("rationale") or "",
    }
    if form.text("question"):
        decision["question"] = form.text("question")
    evidence = [line.strip() for line in (form.get("evidence") or "").splitlines() if line.strip()]
    if evidence:
        decision["evidence"] = evidence
    try:
        v.api.submit_contribution(consultation_id, [decision])
    except AccordError as exc:
        return show_consultation(
            v, consultation_id, status=exc.http_status, error=exc.message, error_question=question_id, form=form
        )
    return redirect(v, f"/consultations/{consultation_id}?done=answer#q-{question_id}")


# -- completion gates --------------------------------------------------------------------------------------


def completion_context(v: Visitor, gate_id: str) -> dict[str, Any]:
    g = v.api.get_completion_gate(gate_id)
    me = v.member.name if v.member else ""
    completed = {c["member"]: c["at"] for c in g["completions"]}
    return {"g": g, "completed": completed, "can_signal": g["status"] == "open" and me in g["participants"]}


@router.get("/completion-gates/{gate_id}")
def completion_gate(v: Signed, gate_id: str, done: str | None = None) -> Response:
    return show_completion(v, gate_id, notice=DONE.get(done or ""))


def show_completion(v: Visitor, gate_id: str, *, status: int = 200, **context: Any) -> Response:
    for name in ("form", "error"):
        context.setdefault(name, None)
    return page(v, "completion_gate.html", status=status, **completion_context(v, gate_id), **context)


@router.get("/completion-gates/{gate_id}/live")
def completion_live(v: Signed, gate_id: str) -> Response:
    """The gate's state, re-sent whenever a signal or a closing commits."""
    completion_context(v, gate_id)
    return live_response(v, [gate_id], "_completion_gate.html", lambda: completion_context(v, gate_id))


@router.post("/completion-gates/{gate_id}/signal")
async def signal(request: Request, v: Signed, gate_id: str) -> Response:
    form: Form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    kind = form.get("signal") or ""
    try:
        v.api.signal_completion(gate_id, kind, form.text("note"))
    except AccordError as exc:
        return show_completion(v, gate_id, status=exc.http_status, error=exc.message, form=form)
    return redirect(v, f"/completion-gates/{gate_id}?done={kind}")
