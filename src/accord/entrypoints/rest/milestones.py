"""REST routes of the milestones feature (SPEC §3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import Field, StrictInt, StrictStr

from accord.entrypoints.rest.common import Body, CallerApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")

Json = dict[str, Any]
Dependency = StrictInt | StrictStr  # 2 (this milestone) or "ms_id:3"; never true or 2.5


class ConsensusRule(Body):
    """Who approves a consensus checkpoint and by what rule (defaults: the milestone's group, majority)."""

    group: str | None = None
    threshold_type: str | None = None
    threshold: float | str | None = None
    quorum: float | str | None = None
    min_votes: int | None = None
    weighted: bool | None = None
    weighted_denominator: str | None = None
    deadline_hours: float | str | None = None
    allow_abstain: bool | None = None
    on_no_consensus: list[str] | None = None
    max_rounds: int | None = None
    preset: str | None = None
    min_human_approvals: int | None = None
    close_at_deadline: bool | None = None


class CheckpointIn(Body):
    """One checkpoint: `depends_on` lists orders of this milestone (2) or "ms_id:order" of another."""

    title: str
    description: str = ""
    depends_on: list[Dependency] = Field(default_factory=list)
    requires_consensus: bool | ConsensusRule = False
    git_branch_url: str | None = None
    git_pr_url: str | None = None
    git_commit_url: str | None = None
    completion_gate: dict[str, Any] | None = None

    def as_input(self) -> Json:
        data = self.model_dump(exclude_none=True)
        if isinstance(self.requires_consensus, ConsensusRule):
            data["requires_consensus"] = self.requires_consensus.model_dump(exclude_none=True)
        return data


class NewMilestone(Body):
    title: str
    checkpoints: list[CheckpointIn] = Field(default_factory=list)
    group: str | None = None
    description: str = ""
    project_id: str | None = None


class NewCheckpoint(CheckpointIn):
    position: int | None = None


class CheckpointChange(Body):
    title: str | None = None
    description: str | None = None
    git_branch_url: str | None = None
    git_pr_url: str | None = None
    git_commit_url: str | None = None
    depends_on: list[Dependency] | None = None


@router.post("/milestones", status_code=201, tags=["milestones"])
def create_milestone(body: NewMilestone, api: CallerApi) -> Json:
    """Create a milestone with its ordered checkpoints; consensus checkpoints get their approval proposal."""
    return api.create_milestone(
        title=body.title,
        checkpoints=[cp.as_input() for cp in body.checkpoints],
        group=body.group,
        description=body.description,
        project_id=body.project_id,
    )


@router.get("/milestones", tags=["milestones"])
def list_milestones(
    api: CallerApi,
    group: str | None = None,
    project_id: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Milestones of the caller's groups, newest first, with progress; filter by group, project, status."""
    return api.list_milestones(group, project_id, status, limit)


@router.get("/milestones/{milestone_id}", tags=["milestones"])
def get_milestone(milestone_id: str, api: CallerApi) -> Json:
    """A milestone with every checkpoint's status, dependencies, approval proposal, git links and progress."""
    return api.get_milestone(milestone_id)


@router.post("/milestones/{milestone_id}/checkpoints", status_code=201, tags=["milestones"])
def add_checkpoint(milestone_id: str, body: NewCheckpoint, api: CallerApi) -> Json:
    """Insert a checkpoint at `position` (later ones shift) or append it; reopens a closed milestone."""
    data = body.as_input()
    data.pop("position", None)
    return api.add_checkpoint(milestone_id, position=body.position, **data)


@router.patch("/milestones/{milestone_id}/checkpoints/{order}", tags=["milestones"])
def update_checkpoint(milestone_id: str, order: int, body: CheckpointChange, api: CallerApi) -> Json:
    """Change a checkpoint's title, description, git links ("" clears one) or its whole depends_on list."""
    return api.update_checkpoint(milestone_id, order, **body.model_dump(exclude_none=True))


@router.delete("/milestones/{milestone_id}/checkpoints/{order}", tags=["milestones"])
def delete_checkpoint(milestone_id: str, order: int, api: CallerApi) -> Json:
    """Delete a pending checkpoint nothing depends on; cancels its approval proposal; later ones shift up."""
    return api.delete_checkpoint(milestone_id, order)


@router.post("/milestones/{milestone_id}/checkpoints/{order}/complete", tags=["milestones"])
def complete_checkpoint(milestone_id: str, order: int, api: CallerApi) -> Json:
    """Complete a checkpoint whose dependencies are done and whose approval (if any) has passed."""
    return api.complete_checkpoint(milestone_id, order)


@router.post("/milestones/{milestone_id}/checkpoints/{order}/approval", status_code=201, tags=["milestones"])
def request_checkpoint_approval(milestone_id: str, order: int, api: CallerApi) -> Json:
    """Ask again: a new linked approval proposal for a consensus checkpoint whose proposal was rejected, vetoed,
    expired or cancelled (409 while one is open or once approved). Any group member may ask (SPEC §3)."""
    return api.request_checkpoint_approval(milestone_id, order)


@router.post("/milestones/{milestone_id}/reopen", tags=["milestones"])
def reopen_milestone(milestone_id: str, api: CallerApi) -> Json:
    """Make a closed milestone active again."""
    return api.reopen_milestone(milestone_id)
