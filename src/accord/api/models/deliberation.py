"""Results of deliberation: decision records, consultations, completion gates (SPEC §4, §6)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.api.models.base import Out

Instant = str


class DecisionRecord(Out):
    proposal_id: str
    group: str
    topic: str
    status: str
    final: bool
    decision: Any
    outcome: str | None
    votes: list[dict[str, Any]]
    dissent: list[dict[str, Any]]
    mitigation: str | None
    participants: list[dict[str, Any]]
    markdown: str = Field(description="The same record as Markdown")


class ConsultationRow(Out):
    id: str = Field(description="cons_…")
    group: str
    title: str
    contributors: list[str]
    contributed: list[str]
    summary: dict[str, Any]
    created_by: str
    created_at: Instant


class Consultation(ConsultationRow):
    description: str
    questions: list[dict[str, Any]]
    markdown: str


class ConsultationList(Out):
    consultations: list[ConsultationRow]


class CompletionGate(Out):
    id: str = Field(description="cg_…")
    group: str
    title: str
    participants: list[str]
    min_completions: int
    status: str = Field(description="open, consensus_complete or single_agent_complete")
    done: bool
    warning: str | None
    completions: list[dict[str, Any]]
    pending: list[str]
    created_by: str
    created_at: Instant


class CompletionGateList(Out):
    completion_gates: list[CompletionGate]


class Sweep(Out):
    proposals: dict[str, Any]
    deliberation: dict[str, Any]
