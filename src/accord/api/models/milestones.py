"""Results of the milestone operations (SPEC §3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.api.models.base import Out

Instant = str


class Checkpoint(Out):
    id: str
    order: int
    title: str
    description: str
    status: str = Field(description="completed, ready, blocked or awaiting_consensus")
    depends_on: list[int | str]
    blocked_by: list[Any]
    requires_consensus: Any
    proposal_id: str | None
    completed: bool
    completed_by: str | None
    completed_at: Instant | None


class MilestoneRow(Out):
    id: str = Field(description="ms_…")
    group: str
    project_id: str | None
    title: str
    description: str
    status: str = Field(description="active or closed")
    progress: dict[str, int]
    created_by: str
    created_at: Instant
    closed_at: Instant | None


class Milestone(MilestoneRow):
    milestone_id: str
    checkpoints: list[Checkpoint] | None = None


class MilestoneList(Out):
    milestones: list[MilestoneRow]


class CheckpointDone(Out):
    milestone_id: str
    order: int
    already_completed: bool
    checkpoint: Checkpoint
    milestone_status: str
    milestone_closed: bool
    progress: dict[str, int]
    unblocked: list[int | str]


class CheckpointApproval(Milestone):
    order: int
    proposal_id: str
    previous_proposal_id: str | None
    checkpoint: Checkpoint
