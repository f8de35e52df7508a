"""How milestones and checkpoints are shown: orders instead of ids, status, what blocks what, progress."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.domain.dag import Consensus, consensus_state, status_of
from accord.domain.milestones import Checkpoint, Milestone, Node


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sort_deps(deps: Sequence[Node], viewer: str) -> list[Node]:
    """This milestone's checkpoints first (by order), then other milestones' (by id and order)."""
    return sorted(deps, key=lambda n: (n.milestone_id != viewer, n.milestone_id, n.order))


def label(node: Node, viewer: str) -> str:
    """'checkpoint 2' in the same milestone, 'ms_backend_v2:3' in another."""
    return f"checkpoint {node.order}" if node.milestone_id == viewer else f"{node.milestone_id}:{node.order}"


def checkpoint_view(cp: Checkpoint, deps: Sequence[Node], proposal: tuple[str, str | None] | None) -> dict[str, Any]:
    """A checkpoint as callers see it; `deps` are its dependencies, `proposal` its (status, outcome)."""
    viewer = cp.milestone_id
    ordered = sort_deps(deps, viewer)
    pending = [n.shown(viewer) for n in ordered if not n.completed]
    consensus: Consensus = None
    if cp.proposal_id is not None:
        consensus = consensus_state(*(proposal or ("open", None)))
    status = status_of(completed=cp.is_completed, pending=pending, consensus=consensus)
    blocked_by: list[int | str] = list(pending) if not cp.is_completed else []
    if status == "blocked" and consensus == "failed" and cp.proposal_id:
        blocked_by.append(cp.proposal_id)
    return {
        "id": cp.id,
        "order": cp.order,
        "title": cp.title,
        "description": cp.description,
        "status": status,
        "depends_on": [n.shown(viewer) for n in ordered],
        "blocked_by": blocked_by,
        "requires_consensus": cp.proposal_id is not None,
        "proposal_id": cp.proposal_id,
        "consensus": None
        if cp.proposal_id is None
        else {
            "proposal_id": cp.proposal_id,
            "group": (cp.consensus or {}).get("group"),
            "min_human_approvals": (cp.consensus or {}).get("min_human_approvals") or 0,
            "proposal_status": proposal[0] if proposal else None,
            "outcome": proposal[1] if proposal else None,
            "state": consensus,
        },
        "completion_gate": cp.completion_gate,
        "git_branch_url": cp.git_branch_url,
        "git_pr_url": cp.git_pr_url,
        "git_commit_url": cp.git_commit_url,
        "completed": cp.is_completed,
        "completed_by": cp.completed_by,
        "completed_at": iso(cp.completed_at),
        "created_by": cp.created_by,
        "created_at": iso(cp.created_at),
    }


def summary_view(m: Milestone) -> dict[str, Any]:
    """A milestone without its checkpoints (lists, and answers that must not cost the milestone's size)."""
    return {
        "id": m.id,
        "group": m.group,
        "project_id": m.project_id,
        "title": m.title,
        "description": m.description,
        "status": m.status,
        "progress": m.progress(),
        "created_by": m.created_by,
        "created_at": iso(m.created_at),
        "closed_at": iso(m.closed_at),
    }


def milestone_view(
    m: Milestone,
    checkpoints: Sequence[Checkpoint],
    edges: Sequence[tuple[str, Node]],
    proposals: dict[str, tuple[str, str | None]],
) -> dict[str, Any]:
    """The whole milestone: every checkpoint with its status, dependencies, approval and links."""
    deps: dict[str, list[Node]] = {}
    for checkpoint_id, node in edges:
        deps.setdefault(checkpoint_id, []).append(node)
    views = [
        checkpoint_view(cp, deps.get(cp.id, []), proposals.get(cp.proposal_id) if cp.proposal_id else None)
        for cp in checkpoints
    ]
    counts: dict[str, int] = {}
    for v in views:
        counts[v["status"]] = counts.get(v["status"], 0) + 1
    return {
        **summary_view(m),
        "milestone_id": m.id,
        "counts": counts,
        "ready": [v["order"] for v in views if v["status"] == "ready"],
        "checkpoints": views,
    }
