"""Changing a milestone in progress: add, update and delete checkpoints, reopen (SPEC §3)."""

from __future__ import annotations

from typing import Any

from accord.domain.dag import describe_cycle, find_path
from accord.domain.errors import ConflictError, ValidationError
from accord.domain.members import Member
from accord.domain.milestones import (
    GIT_FIELDS,
    MAX_MILESTONE_SIZE,
    Checkpoint,
    Milestone,
    Ref,
    check_description,
    check_position,
    check_title,
    check_url,
    parse_checkpoint,
    parse_depends_on,
)
from accord.services.access import manages
from accord.services.ids import new_id
from accord.services.milestone_base import MilestoneBase, note, repo
from accord.services.milestone_views import checkpoint_view, sort_deps, summary_view
from accord.storage.uow import UnitOfWork


class MilestoneChanges(MilestoneBase):
    def add(
        self,
        actor: Member,
        milestone_id: str,
        checkpoint: dict[str, Any],
        *,
        position: int | None = None,
    ) -> dict[str, Any]:
        """Insert a checkpoint at `position` (1-based; later ones shift down) or append it. Integer
        dependencies name checkpoints by their order *before* the insertion. A closed milestone reopens."""
        now = self.ctx.now()
        spec = parse_checkpoint(checkpoint, "the new checkpoint")
        with self.ctx.uow() as uow:
            resolver = self.lock_and_resolve(uow, actor, spec.depends_on, writing=milestone_id)
            m = resolver.milestones[milestone_id]
            if m.total >= MAX_MILESTONE_SIZE:
                raise ConflictError(
                    f"milestone {m.id} already holds {MAX_MILESTONE_SIZE} checkpoints, the most allowed",
                    milestone_id=m.id,
                )
            where = "the new checkpoint"
            order = m.total + 1 if position is None else check_position(position, m.total)
            deps = [resolver.id_of(ref, where) for ref in spec.depends_on]
            r = repo(uow)
            if order <= m.total:
                r.shift(m.id, from_order=order, delta=1)
            cp = self.new_checkpoint(uow, actor, m, spec, checkpoint_id=new_id("cp"), order=order, now=now)
            r.add_checkpoints([cp])
            r.add_deps([(cp.id, dep) for dep in dict.fromkeys(deps)])
            m.total += 1
            reopened = m.reopen()
            r.save(m)
            note(
                uow,
                "checkpoint.added",
                m,
                actor,
                now,
                checkpoint_id=cp.id,
                order=order,
                title=cp.title,
                proposal_id=cp.proposal_id,
            )
            if reopened:
                note(uow, "milestone.reopened", m, actor, now, reason="checkpoint added")
            result = self._changed(uow, m, cp, reopened=reopened)
            uow.commit()
        return result

    def update(
        self,
        actor: Member,
        milestone_id: str,
        order: int,
        *,
        title: str | None = None,
        description: str | None = None,
        depends_on: list[int | str] | None = None,
        **git: str | None,
    ) -> dict[str, Any]:
        """Change a checkpoint's title, description, git links ("" clears a link) or dependencies (the
        whole list; refused for a completed checkpoint, and when it would close a cycle)."""
        unknown = sorted(set(git) - set(GIT_FIELDS))
        if unknown:
            raise ValidationError(
                f"update_checkpoint does not take {', '.join(unknown)}",
                mentions=("update_checkpoint",),
                field=unknown[0],
            )
        now = self.ctx.now()
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = check_title(title, "checkpoint")
        if description is not None:
            changes["description"] = check_description(description, "checkpoint")
        for name, value in git.items():
            if value is not None:
                changes[name] = check_url(value, name)
        refs = parse_depends_on(depends_on, f"checkpoint {order}") if depends_on is not None else None
        with self.ctx.uow() as uow:
            r = repo(uow)
            if refs is not None:
                r.lock_graph()  # before any row lock: the lock order is graph, then milestones by id
            resolver = self.lock_and_resolve(uow, actor, refs or (), writing=milestone_id)
            m = resolver.milestones[milestone_id]
            cp = self.checkpoint(uow, m, order)
            if refs is not None:
                refs = tuple(Ref(x.order) if x.milestone == m.id else x for x in refs)
                self._check_not_completed(m, cp)
                self._set_dependencies(uow, m, cp, [resolver.id_of(x, f"checkpoint {cp.order}") for x in refs])
                changes["depends_on"] = [x.shown() for x in refs]
            for name, value in changes.items():
                if name != "depends_on":
                    setattr(cp, name, value)
            r.save_checkpoint(cp)
            note(
                uow,
                "checkpoint.updated",
                m,
                actor,
                now,
                checkpoint_id=cp.id,
                order=cp.order,
                changes=changes,
            )
            result = self._changed(uow, m, cp)
            uow.commit()
        return result

    @staticmethod
    def _check_not_completed(m: Milestone, cp: Checkpoint) -> None:
        if cp.is_completed:
            raise ConflictError(
                f"checkpoint {cp.order} is completed; its dependencies can no longer change",
                milestone_id=m.id,
                order=cp.order,
            )

    def _set_dependencies(self, uow: UnitOfWork, m: Milestone, cp: Checkpoint, deps: list[str]) -> None:
        if cp.id in deps:
            raise ValidationError(f"checkpoint {cp.order} cannot depend on itself", field="depends_on")
        r = repo(uow)
        path = find_path(deps, cp.id, r.deps_of)
        if path is not None:
            nodes = r.nodes(path)
            labels = [cp.order, *(nodes[i].shown(m.id) for i in path)]
            raise ValidationError(describe_cycle(labels), field="depends_on", cycle=labels)
        r.clear_deps(cp.id)
        r.add_deps([(cp.id, dep) for dep in dict.fromkeys(deps)])

    def delete(self, actor: Member, milestone_id: str, order: int) -> dict[str, Any]:
        """Remove a checkpoint (later ones shift up) and cancel its open approval proposal. Refused for a
        completed checkpoint and for one another checkpoint, in any milestone, depends on."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            m = self.load(uow, actor, milestone_id, lock="update")
            cp = self.checkpoint(uow, m, order)
            cp.ensure_deletable()
            r = repo(uow)
            dependents = sort_deps(r.dependents(cp.id), m.id)
            if dependents:
                names = ", ".join(str(n.shown(m.id)) for n in dependents)
                raise ConflictError(
                    f"checkpoint {cp.order} cannot be deleted: {names} depend"
                    + ("s" if len(dependents) == 1 else "")
                    + " on it",
                    milestone_id=m.id,
                    order=cp.order,
                    dependents=[n.shown(m.id) for n in dependents],
                )
            cancelled = None
            if cp.proposal_id is not None:
                p = uow.proposals.get(cp.proposal_id, for_update=True)
                if p is not None and p.status in ("open", "escalated"):
                    p.may_cancel(
                        actor.name,
                        manages=manages(actor, uow.groups.membership(p.group, actor.name)),
                        is_human=actor.kind == "human",
                        is_admin=actor.is_admin,
                    )
                    self.proposals.cancel_in(uow, p, by=actor.name, now=now)
                    cancelled = p.id
            r.delete_checkpoint(cp.id)
            r.shift(m.id, from_order=cp.order + 1, delta=-1)
            m.total -= 1
            closed = m.close_if_done(at=now)
            r.save(m)
            note(
                uow,
                "checkpoint.deleted",
                m,
                actor,
                now,
                checkpoint_id=cp.id,
                order=cp.order,
                title=cp.title,
                cancelled_proposal=cancelled,
            )
            if closed:
                note(uow, "milestone.closed", m, actor, now, title=m.title)
            uow.commit()
        return {
            **summary_view(m),
            "milestone_id": m.id,
            "deleted": {"id": cp.id, "order": cp.order, "title": cp.title},
            "cancelled_proposal": cancelled,
            "milestone_closed": closed,
        }

    def reopen(self, actor: Member, milestone_id: str) -> dict[str, Any]:
        """Make a closed milestone active again (to add checkpoints or fix work); an active one stays so."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            m = self.load(uow, actor, milestone_id, lock="update")
            reopened = m.reopen()
            if reopened:
                repo(uow).save(m)
                note(
                    uow,
                    "milestone.reopened",
                    m,
                    actor,
                    now,
                    reason="reopened",
                )
                uow.commit()
        return {**summary_view(m), "milestone_id": m.id, "reopened": reopened, "already_active": not reopened}

    def _changed(self, uow: UnitOfWork, m: Milestone, cp: Checkpoint, *, reopened: bool = False) -> dict[str, Any]:
        """The changed checkpoint as it is now, with the milestone's summary (not its other checkpoints)."""
        r = repo(uow)
        proposal = r.proposal_states([cp.proposal_id]).get(cp.proposal_id) if cp.proposal_id else None
        return {
            **summary_view(m),
            "milestone_id": m.id,
            "reopened": reopened,
            "checkpoint": checkpoint_view(cp, r.dependencies(cp.id), proposal),
        }
