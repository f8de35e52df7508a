"""MCP tools of the milestones feature, with the seed system's names and arguments (SPEC §3, §9)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json
from accord.entrypoints.rest.milestones import CheckpointIn, ConsensusRule, Dependency


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add this feature's tools to `server`."""

    @server.tool()
    async def create_milestone(
        title: str,
        checkpoints: list[CheckpointIn],
        ctx: Context[Any, Any],
        group: str | None = None,
        description: str = "",
        project_id: str | None = None,
    ) -> Json:
        """Create a milestone: an ordered list of checkpoints (numbered 1..n by `order`) that must be
        completed in dependency order.

        checkpoints: [{title, description?, depends_on?, requires_consensus?, git_branch_url?, git_pr_url?,
        git_commit_url?, completion_gate?}]. depends_on lists checkpoints of this milestone by order (e.g.
        [1, 2]) and of other milestones as "ms_id:order" (e.g. "ms_backend_v2:3"); dependencies must exist
        and form no cycle. requires_consensus: true opens a yes/no proposal "Approve checkpoint: <title>"
        (majority, this milestone's group; you cannot vote on it); an object {group, threshold_type,
        min_human_approvals, deadline_hours, ...} picks another voting group or rule ({min_human_approvals: 1}
        needs a human's yes). The checkpoint can be completed only after that proposal is finalized with outcome
        passed. A consensus checkpoint nobody but you could approve (or with too few humans) is refused.
        group: defaults to your only group. project_id: groups milestones.
        Returns the milestone (milestone_id, status, progress, checkpoints with status and proposal_id)."""
        return await caller.run(
            ctx,
            lambda api: api.create_milestone(
                title=title,
                checkpoints=[cp.as_input() for cp in checkpoints],
                group=group,
                description=description,
                project_id=project_id,
            ),
        )

    @server.tool()
    async def get_milestone(milestone_id: str, ctx: Context[Any, Any]) -> Json:
        """A milestone: status (active/closed), progress {completed, total}, `ready` (orders you can
        complete now), and each checkpoint's order, title, status (completed, ready, blocked,
        awaiting_consensus), depends_on, blocked_by (what it waits for), proposal_id and consensus state,
        git links, and who completed it and when. Dependencies on other milestones show as "ms_id:order"."""
        return await caller.run(ctx, lambda api: api.get_milestone(milestone_id))

    @server.tool()
    async def list_milestones(
        ctx: Context[Any, Any],
        group: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> Json:
        """Milestones of your groups, newest first, with status and progress; filter by group, project_id
        and status (active or closed). Returns {"milestones": [...]}."""
        return {"milestones": await caller.run(ctx, lambda api: api.list_milestones(group, project_id, status, limit))}

    @server.tool()
    async def complete_checkpoint(milestone_id: str, order: int, ctx: Context[Any, Any]) -> Json:
        """Mark checkpoint `order` of a milestone completed. Refused while a dependency is pending
        ("depends on checkpoint 2 which is pending", "depends on ms_backend_v2:3 which is pending") or
        while its consensus proposal is not finalized as passed ("consensus proposal prop_… is not yet
        approved" / "… was rejected: ask again with accord milestone request-approval <ms> <n>", then use
        request_checkpoint_approval). Completing a completed checkpoint changes nothing
        (already_completed: true). Returns the checkpoint, `unblocked` (dependents now free of pending
        dependencies), progress, and milestone_closed (true when this was the last checkpoint)."""
        return await caller.run(ctx, lambda api: api.complete_checkpoint(milestone_id, order))

    @server.tool()
    async def update_checkpoint(
        milestone_id: str,
        order: int,
        ctx: Context[Any, Any],
        title: str | None = None,
        description: str | None = None,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        depends_on: list[Dependency] | None = None,
    ) -> Json:
        """Change checkpoint `order`: title, description, git_branch_url, git_pr_url, git_commit_url
        (http/https URLs; "" removes one). depends_on replaces its whole dependency list (orders, or
        "ms_id:order"); refused for a completed checkpoint or when it would make a cycle (the error names
        it, e.g. "cycle: 2 → 4 → 2"). Fields left out stay as they are."""
        return await caller.run(
            ctx,
            lambda api: api.update_checkpoint(
                milestone_id, order, title, description, git_branch_url, git_pr_url, git_commit_url, depends_on
            ),
        )

    @server.tool()
    async def add_checkpoint(
        milestone_id: str,
        title: str,
        ctx: Context[Any, Any],
        position: int | None = None,
        description: str = "",
        depends_on: list[Dependency] | None = None,
        requires_consensus: bool | ConsensusRule = False,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        completion_gate: dict[str, Any] | None = None,
    ) -> Json:
        """Add a checkpoint to a milestone: at `position` (1-based; the checkpoint there and later ones move
        down one), or at the end when position is left out. depends_on names checkpoints by their current
        order (before the insertion) or "ms_id:order"; references elsewhere keep pointing at the same
        checkpoints. requires_consensus as in create_milestone. Adding to a closed milestone reopens it."""
        rule = (
            requires_consensus.model_dump(exclude_none=True)
            if isinstance(requires_consensus, ConsensusRule)
            else requires_consensus
        )
        return await caller.run(
            ctx,
            lambda api: api.add_checkpoint(
                milestone_id,
                title,
                position=position,
                description=description,
                depends_on=depends_on,
                requires_consensus=rule,
                git_branch_url=git_branch_url,
                git_pr_url=git_pr_url,
                git_commit_url=git_commit_url,
                completion_gate=completion_gate,
            ),
        )

    @server.tool()
    async def delete_checkpoint(milestone_id: str, order: int, ctx: Context[Any, Any]) -> Json:
        """Delete checkpoint `order`; later checkpoints move up one. Refused for a completed checkpoint and
        for one that any checkpoint (of any milestone) depends on. Cancels its open approval proposal
        (you need the right to cancel it: its creator or a group owner/admin)."""
        return await caller.run(ctx, lambda api: api.delete_checkpoint(milestone_id, order))

    @server.tool()
    async def request_checkpoint_approval(milestone_id: str, order: int, ctx: Context[Any, Any]) -> Json:
        """Ask again for a consensus checkpoint's approval after its proposal was rejected, vetoed, expired or
        cancelled: opens a new linked yes/no proposal with the same rule, in the name of the checkpoint's
        creator (who does not vote on it); the old proposal stays in the record. Any group member may ask.
        Refused while the checkpoint has an open proposal ("checkpoint <n> of <ms> has an open proposal <id>")
        and once it is approved ("... is already approved by <id>"). Returns the checkpoint and its new
        proposal_id (previous_proposal_id: the one that did not pass)."""
        return await caller.run(ctx, lambda api: api.request_checkpoint_approval(milestone_id, order))

    @server.tool()
    async def reopen_milestone(milestone_id: str, ctx: Context[Any, Any]) -> Json:
        """Make a closed milestone active again, to add checkpoints or fix work (already_active: true when
        it was not closed)."""
        return await caller.run(ctx, lambda api: api.reopen_milestone(milestone_id))
