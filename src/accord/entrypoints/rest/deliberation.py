"""REST routes of the deliberation feature (SPEC §4, §4.2, §6)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import PlainTextResponse

from accord.entrypoints.rest.common import Body, CallerApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")

Json = dict[str, Any]
Format = Annotated[Literal["json", "markdown"], Query(description="json (with a `markdown` field) or markdown.")]


class Resolve(Body):
    decision: str
    rationale: str
    mitigation: str | None = None


class NewConsultation(Body):
    group: str
    title: str
    description: str = ""
    questions: dict[str, str] | None = None


class DecisionIn(Body):
    """One answer: question_id like ARCH-001, answer (free text), confidence 0.0-1.0, rationale (why),
    evidence (URLs, paths, quotes), alternatives (answers considered and rejected)."""

    question_id: str
    answer: str
    confidence: float | str | None = None
    rationale: str | None = None
    question: str | None = None
    evidence: list[str] | None = None
    alternatives: list[str] | None = None


class Contribution(Body):
    decisions: list[DecisionIn]


class NewCompletionGate(Body):
    group: str
    title: str
    participants: list[str]
    min_completions: int = 2
    window_seconds: int = 60
    nudge_after_seconds: int = 30
    fallback_timeout: int = 120


class CompletionSignal(Body):
    signal: str = "complete"
    note: str | None = None


def _markdown(data: Json, fmt: str) -> Json | PlainTextResponse:
    if fmt == "markdown":
        return PlainTextResponse(data["markdown"], media_type="text/markdown; charset=utf-8")
    return data


# With ?format=markdown these answer the same record as Markdown.
MARKDOWN: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}}, "description": "The record"}
}


@router.post("/proposals/{proposal_id}/resolve", tags=["deliberation"])
def resolve_proposal(proposal_id: str, body: Resolve, api: CallerApi) -> Json:
    """A human owner/admin of the group decides an escalated proposal (method `human_decision`)."""
    return api.resolve_proposal(proposal_id, body.decision, body.rationale, body.mitigation)


@router.get("/proposals/{proposal_id}/record", tags=["deliberation"], responses=MARKDOWN)
def get_decision_record(proposal_id: str, api: CallerApi, format: Format = "json") -> Json | PlainTextResponse:
    """The decision record in seed 004's layout: JSON (with `markdown`), or the Markdown alone."""
    return _markdown(api.get_decision_record(proposal_id), format)


@router.post("/consultations", status_code=201, tags=["deliberation"])
def create_consultation(body: NewConsultation, api: CallerApi) -> Json:
    """Open a consultation in a group; its members now are the contributors. Question ids look like ARCH-001."""
    return api.create_consultation(body.group, body.title, body.description, body.questions)


@router.post("/consultations/{consultation_id}/contributions", status_code=201, tags=["deliberation"])
def submit_contribution(consultation_id: str, body: Contribution, api: CallerApi) -> Json:
    """Submit the caller's answers to many questions at once; returns the updated synthesis."""
    return api.submit_contribution(consultation_id, [d.model_dump(exclude_none=True) for d in body.decisions])


@router.get("/consultations", tags=["deliberation"])
def list_consultations(
    api: CallerApi,
    group: str | None = None,
    flagged: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Consultations of your groups, newest first, each with its synthesis summary; `flagged=true` keeps those
    with a question flagged for humans (split, or a critical conflict)."""
    return api.list_consultations(group, flagged, limit)


@router.get("/consultations/{consultation_id}", tags=["deliberation"], responses=MARKDOWN)
def get_consultation(consultation_id: str, api: CallerApi, format: Format = "json") -> Json | PlainTextResponse:
    """The synthesis: per-question consensus (unanimous/majority/split), conflicts, questions flagged for humans."""
    return _markdown(api.get_consultation(consultation_id), format)


@router.post("/completion-gates", status_code=201, tags=["deliberation"])
def create_completion_gate(body: NewCompletionGate, api: CallerApi) -> Json:
    """Open a completion gate: `min_completions` participants must signal complete within `window_seconds`."""
    return api.create_completion_gate(**body.model_dump())


@router.post("/completion-gates/{gate_id}/signals", status_code=201, tags=["deliberation"])
def signal_completion(gate_id: str, body: CompletionSignal, api: CallerApi) -> Json:
    """A participant signals `complete` or `needs_revision` (which clears the completions so far)."""
    return api.signal_completion(gate_id, body.signal, body.note)


@router.get("/completion-gates", tags=["deliberation"])
def list_completion_gates(
    api: CallerApi,
    group: str | None = None,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open or closed")] = None,
    awaiting: Annotated[Literal["me"] | None, Query(description="me: open gates waiting for your signal")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Completion gates of your groups, newest first; `awaiting=me` keeps the open ones where you are a
    participant still expected to signal."""
    return api.list_completion_gates(group, status, awaiting == "me", limit)


@router.get("/completion-gates/{gate_id}", tags=["deliberation"])
def get_completion_gate(gate_id: str, api: CallerApi) -> Json:
    """The gate's state now: open, consensus_complete or single_agent_complete, with any warning."""
    return api.get_completion_gate(gate_id)


@router.post("/sweep", tags=["deliberation"])
def sweep(api: CallerApi) -> Json:
    """Send the notices that are due now (nudges, fallback closings); the server also does this by itself."""
    return api.sweep()
