"""Milestones and checkpoints as operations (SPEC §3), named and shaped as the seed's MCP tools."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase


class MilestoneApi(ApiBase):
    def create_milestone(
        self,
        title: str,
        checkpoints: list[Any] | None = None,
        group: str | None = None,
        description: str = "",
        project_id: str | None = None,
    ) -> dict[str, Any]:
        return self.services.milestones.create(
            self.actor,
            title=title,
            checkpoints=checkpoints if checkpoints is not None else [],
            group=group,
            description=description,
            project_id=project_id,
        )

    def get_milestone(self, milestone_id: str) -> dict[str, Any]:
        return self.services.milestones.get(self.actor, milestone_id)

    def list_milestones(
        self,
        group: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        return self.services.milestones.search(
            self.actor, group=group, project_id=project_id, status=status, limit=limit
        )

    def complete_checkpoint(self, milestone_id: str, order: int) -> dict[str, Any]:
        return self.services.milestones.complete(self.actor, milestone_id, order)

    def update_checkpoint(
        self,
        milestone_id: str,
        order: int,
        title: str | None = None,
        description: str | None = None,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        depends_on: list[int | str] | None = None,
    ) -> dict[str, Any]:
        return self.services.milestones.update(
            self.actor,
            milestone_id,
            order,
            title=title,
            description=description,
            depends_on=depends_on,
            git_branch_url=git_branch_url,
            git_pr_url=git_pr_url,
            git_commit_url=git_commit_url,
        )

    def add_checkpoint(
        self,
        milestone_id: str,
        title: str,
        position: int | None = None,
        description: str = "",
        depends_on: list[int | str] | None = None,
        requires_consensus: bool | dict[str, Any] = False,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        completion_gate: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        checkpoint = {
            "title": title,
            "description": description,
            "depends_on": depends_on,
            "requires_consensus": requires_consensus,
            "git_branch_url": git_branch_url,
            "git_pr_url": git_pr_url,
            "git_commit_url": git_commit_url,
            "completion_gate": completion_gate,
        }
        return self.services.milestones.add(self.actor, milestone_id, checkpoint, position=position)

    def request_checkpoint_approval(self, milestone_id: str, order: int) -> dict[str, Any]:
        """A new linked proposal for a consensus checkpoint whose proposal did not pass (SPEC §3 rev. 2)."""
        return self.services.milestones.request_approval(self.actor, milestone_id, order)

    def delete_checkpoint(self, milestone_id: str, order: int) -> dict[str, Any]:
        return self.services.milestones.delete(self.actor, milestone_id, order)

    def reopen_milestone(self, milestone_id: str) -> dict[str, Any]:
        return self.services.milestones.reopen(self.actor, milestone_id)
