"""Milestones (SPEC §3): checkpoints with dependencies, across milestones, gated by consensus.

Each operation is one short transaction. Completing a checkpoint reads only its own dependencies,
its linked proposal, its dependents and the milestone's counters, never the whole milestone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.domain.dag import consensus_state, describe_cycle, find_cycle
from accord.domain.errors import ConflictError, ValidationError
from accord.domain.members import Member
from accord.domain.milestones import (
    MAX_CHECKPOINTS,
    Checkpoint,
    CheckpointInput,
    Milestone,
    Node,
    check_description,
    check_project,
    check_status,
    check_title,
    parse_checkpoint,
)
from accord.services.access import require_group, visible_groups
from accord.services.completion_gates import require_gate_closed
from accord.services.context import record
from accord.services.ids import new_id
from accord.services.milestone_approvals import MilestoneApprovals
from accord.services.milestone_base import note, repo
from accord.services.milestone_changes import MilestoneChanges
from accord.services.milestone_views import checkpoint_view, label, sort_deps, summary_view
from accord.storage.milestone_repository import MilestoneRepository
from accord.storage.uow import UnitOfWork

ANALYZE_AFTER = 500  # checkpoints created at once


class MilestoneService(MilestoneApprovals, MilestoneChanges):
    """Create, read, change and complete milestones; `services.milestones`."""

    # -- reading -------------------------------------------------------------------------------------------

    def get(self, actor: Member, milestone_id: str) -> dict[str, Any]:
        """The milestone with every checkpoint's status, dependencies, approval, git links and progress."""
        with self.ctx.uow(write=False) as uow:
            m = self.load(uow, actor, milestone_id)
            return self.view(uow, m, actor)

    def search(
        self,
        actor: Member,
        *,
        group: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Milestones of the caller's groups, newest first, optionally of one group, project or status."""
        check_status(status)
        if not 1 <= limit <= 500:
            raise ValidationError("limit must be 1-500", field="limit")
        with self.ctx.uow(write=False) as uow:
            if group is not None:
                require_group(uow, actor, group)
            found = repo(uow).search(
                visible_groups(uow, actor), group=group, project_id=project_id, status=status, limit=limit
            )
        return [summary_view(m) for m in found]

    # -- creating ------------------------------------------------------------------------------------------

    def create(
        self,
        actor: Member,
        *,
        title: str,
        checkpoints: Sequence[object],
        group: str | None = None,
        description: str | None = "",
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """A milestone of `group` with its checkpoints in order; consensus checkpoints get their approval
        proposal in the same transaction. Refuses unknown or circular dependencies, writing nothing."""
        now = self.ctx.now()
        title = check_title(title, "milestone")
        description = check_description(description, "milestone")
        project = check_project(project_id)
        if not isinstance(checkpoints, list | tuple):
            raise ValidationError("checkpoints must be a list of {title, depends_on, ...}", field="checkpoints")
        if len(checkpoints) > MAX_CHECKPOINTS:
            raise ValidationError(
                f"a milestone holds at most {MAX_CHECKPOINTS} checkpoints; {len(checkpoints)} given",
                field="checkpoints",
            )
        inputs = [parse_checkpoint(raw, f"checkpoint {i}") for i, raw in enumerate(checkpoints, start=1)]
        _check_local_graph(inputs)
        foreign = [r for spec in inputs for r in spec.depends_on if r.milestone is not None]
        with self.ctx.uow() as uow:
            group = self._group_for(uow, actor, group)
            require_group(uow, actor, group)
            resolved = self.lock_and_resolve(uow, actor, foreign, writing=None)
            m = Milestone(
                id=new_id("ms"),
                group=group,
                title=title,
                description=description,
                project_id=project,
                created_by=actor.name,
                created_at=now,
                total=len(inputs),
            )
            repo(uow).add(m)
            ids = [new_id("cp") for _ in inputs]
            edges: list[tuple[str, str]] = []
            for i, spec in enumerate(inputs, start=1):
                where = f"checkpoint {i}"
                for ref in spec.depends_on:
                    dep = ids[ref.order - 1] if ref.milestone is None else resolved.id_of(ref, where)
                    edges.append((ids[i - 1], dep))
            cps = [
                self.new_checkpoint(uow, actor, m, spec, checkpoint_id=ids[i - 1], order=i, now=now)
                for i, spec in enumerate(inputs, start=1)
            ]
            r = repo(uow)
            r.add_checkpoints(cps)
            r.add_deps(edges)
            note(
                uow,
                "milestone.created",
                m,
                actor,
                now,
                title=m.title,
                project_id=m.project_id,
                checkpoints=len(cps),
                proposals=[cp.proposal_id for cp in cps if cp.proposal_id],
            )
            view = self.view(uow, m, actor)
            uow.commit()
        if len(cps) >= ANALYZE_AFTER:
            # PostgreSQL plans with row estimates from its last ANALYZE; right after a large milestone
            # those say "tiny table" and every completion would scan it, until autovacuum catches up.
            with self.ctx.uow() as uow:
                repo(uow).refresh_statistics()
                uow.commit()
        return view

    # -- completing ----------------------------------------------------------------------------------------

    def complete(self, actor: Member, milestone_id: str, order: int) -> dict[str, Any]:
        """Complete checkpoint `order` once its dependencies are done and its approval (if any) passed.

        Completing a completed checkpoint changes nothing (`already_completed: true`). The milestone
        closes by itself with its last checkpoint."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            m = self.load(uow, actor, milestone_id, lock="update")
            r = repo(uow)
            cp = self.checkpoint(uow, m, order)
            deps = sort_deps(r.dependencies(cp.id), m.id)
            proposal = r.proposal_states([cp.proposal_id]).get(cp.proposal_id) if cp.proposal_id else None
            if cp.is_completed:
                return self._completed(m, cp, deps, proposal, already=True, closed=False, unblocked=[])
            pending = [n for n in deps if not n.completed]
            if pending:
                others = ", ".join(str(n.shown(m.id)) for n in pending[1:])
                raise ConflictError(
                    f"depends on {label(pending[0], m.id)} which is pending"
                    + (f" (also pending: {others})" if others else ""),
                    milestone_id=m.id,
                    order=cp.order,
                    pending=[n.shown(m.id) for n in pending],
                )
            if cp.proposal_id is not None:
                p = uow.proposals.get(cp.proposal_id)
                status, outcome = (p.status, (p.outcome or {}).get("outcome")) if p else ("cancelled", None)
                proposal = (status, outcome)
                self._check_approval(m, cp, status, outcome)
            if cp.completion_gate is not None:
                require_gate_closed(uow, f"checkpoint:{cp.id}", now)
            cp.complete(by=actor.name, at=now)
            r.save_checkpoint(cp)
            closed = m.count_completion(at=now)
            r.save(m)
            note(uow, "checkpoint.completed", m, actor, now, checkpoint_id=cp.id, order=cp.order, title=cp.title)
            if closed:
                note(uow, "milestone.closed", m, actor, now, title=m.title)
            unblocked = r.unblocked_by(cp.id)
            self._note_ready(uow, r, unblocked, actor, now)
            deps = [Node(n.id, n.milestone_id, n.order, True) for n in deps]
            result = self._completed(m, cp, deps, proposal, already=False, closed=closed, unblocked=unblocked)
            uow.commit()
        return result

    @staticmethod
    def _note_ready(uow: UnitOfWork, r: MilestoneRepository, ready: list[Node], actor: Member, now: datetime) -> None:
        """Event `checkpoint.ready` for each checkpoint whose last dependency just completed (SPEC §11), in its own
        milestone's group (a cross-milestone dependent may live in another)."""
        titles = r.titles([n.id for n in ready]) if ready else {}
        for node in ready:
            about = titles.get(node.id, {})
            record(
                uow,
                "checkpoint.ready",
                at=now,
                actor=actor.name,
                group=about.get("group_name"),
                ref=node.milestone_id,
                milestone_id=node.milestone_id,
                checkpoint_id=node.id,
                order=node.order,
                title=about.get("title"),
            )

    @staticmethod
    def _check_approval(m: Milestone, cp: Checkpoint, status: str, outcome: str | None) -> None:
        proposal_id = cp.proposal_id
        state = consensus_state(status, outcome)
        if state == "pending":
            raise ConflictError(
                f"consensus proposal {proposal_id} is not yet approved (it is {status}; it must be finalized "
                "with outcome passed)",
                proposal_id=proposal_id,
            )
        if state == "failed":
            ended = "cancelled" if status == "cancelled" else (outcome or "rejected")
            raise ConflictError(
                f"consensus proposal {proposal_id} was {ended}: ask again with accord milestone request-approval "
                f"{m.id} {cp.order}",
                proposal_id=proposal_id,
                outcome=outcome,
            )

    @staticmethod
    def _completed(
        m: Milestone,
        cp: Checkpoint,
        deps: Sequence[Node],
        proposal: tuple[str, str | None] | None,
        *,
        already: bool,
        closed: bool,
        unblocked: Sequence[Node],
    ) -> dict[str, Any]:
        return {
            "milestone_id": m.id,
            "order": cp.order,
            "already_completed": already,
            "checkpoint": checkpoint_view(cp, deps, proposal),
            "milestone_status": m.status,
            "milestone_closed": closed,
            "progress": m.progress(),
            "unblocked": [n.shown(m.id) for n in sort_deps(unblocked, m.id)],
        }


def _check_local_graph(inputs: Sequence[CheckpointInput]) -> None:
    """Dependencies within a new milestone exist, are not self-references, and form no cycle."""
    count = len(inputs)
    graph: dict[int, list[int]] = {}
    for i, spec in enumerate(inputs, start=1):
        local = [r.order for r in spec.depends_on if r.milestone is None]
        for order in local:
            if order == i:
                raise ValidationError(f"checkpoint {i} cannot depend on itself", field="depends_on")
            if order > count:
                raise ValidationError(
                    f"checkpoint {i} depends on checkpoint {order}, which does not exist (checkpoints: 1-{count})",
                    field="depends_on",
                )
        graph[i] = local
    cycle = find_cycle(graph, key=lambda n: n)
    if cycle is not None:
        raise ValidationError(describe_cycle(cycle), field="depends_on", cycle=cycle)
