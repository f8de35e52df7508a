"""What the milestone operations share: loading with visibility, locking, references, new checkpoints."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from accord.domain.errors import NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.milestones import (
    Checkpoint,
    CheckpointInput,
    Milestone,
    Node,
    Ref,
    approval_title,
    check_order,
)
from accord.domain.proposals import ProposalSpec
from accord.services.access import require_group, visible_groups
from accord.services.completion_gates import open_checkpoint_gate
from accord.services.context import Context, record
from accord.services.milestone_views import milestone_view
from accord.services.proposals import ProposalService
from accord.storage.milestone_repository import MilestoneRepository
from accord.storage.uow import UnitOfWork


class MilestoneBase:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # Stateless over the same context: consensus checkpoints open and cancel proposals in our transaction.
        self.proposals = ProposalService(ctx)

    def new_checkpoint(
        self,
        uow: UnitOfWork,
        actor: Member,
        m: Milestone,
        spec: CheckpointInput,
        *,
        checkpoint_id: str,
        order: int,
        now: datetime,
    ) -> Checkpoint:
        """A checkpoint to store; a consensus-gated one opens its linked yes/no proposal in `uow`."""
        proposal_id = None
        consensus = None
        if spec.consensus is not None:
            consensus = {"group": m.group, "threshold_type": "majority", **spec.consensus}
            rule = dict(consensus)
            try:
                proposal = self.proposals.open_in(
                    uow,
                    actor,
                    ProposalSpec(
                        group=rule.pop("group"),
                        title=approval_title(spec.title),
                        description=f"Approve completing checkpoint {order} ({spec.title!r}) of milestone "
                        f"{m.title!r} ({m.id}). It can be completed only once this proposal passes.",
                        voting_type="yes_no",
                        threshold_type=rule.pop("threshold_type"),
                        prevent_self_vote=True,
                        **rule,
                    ),
                    kind="proposal",
                    payload={"milestone_id": m.id, "checkpoint_id": checkpoint_id},
                    now=now,
                )
            except (ValidationError, NotFoundError) as exc:
                raise type(exc)(f"checkpoint {order} requires_consensus: {exc.message}", **exc.details) from None
            proposal_id = proposal.id
        if spec.completion_gate is not None:  # SPEC §3/§6: completing it needs the gate's signals
            where, ref = f"checkpoint {order}", f"checkpoint:{checkpoint_id}"
            open_checkpoint_gate(uow, actor, m.group, spec.title, spec.completion_gate, ref=ref, now=now, where=where)
        return Checkpoint(
            id=checkpoint_id,
            milestone_id=m.id,
            order=order,
            title=spec.title,
            description=spec.description,
            consensus=consensus,
            proposal_id=proposal_id,
            completion_gate=spec.completion_gate,
            created_by=actor.name,
            created_at=now,
            git_branch_url=spec.git.get("git_branch_url"),
            git_pr_url=spec.git.get("git_pr_url"),
            git_commit_url=spec.git.get("git_commit_url"),
        )

    # -- shared steps --------------------------------------------------------------------------------------

    def load(self, uow: UnitOfWork, actor: Member, milestone_id: str, *, lock: str | None = None) -> Milestone:
        """The milestone if the actor may see it; NotFoundError otherwise (existence is not leaked)."""
        m = repo(uow).get(milestone_id, lock="update" if lock == "update" else None)
        if m is None:
            raise NotFoundError(f"milestone {milestone_id} not found", milestone_id=milestone_id)
        try:
            require_group(uow, actor, m.group)
        except NotFoundError:
            raise NotFoundError(f"milestone {milestone_id} not found", milestone_id=milestone_id) from None
        return m

    def checkpoint(self, uow: UnitOfWork, m: Milestone, order: object) -> Checkpoint:
        order = check_order(order, m.total, m.id)
        cp = repo(uow).checkpoint_at(m.id, order)
        if cp is None:  # pragma: no cover - the counter and the rows change together
            raise NotFoundError(f"checkpoint {order} not found in {m.id}", milestone_id=m.id, order=order)
        return cp

    def view(self, uow: UnitOfWork, m: Milestone, actor: Member) -> dict[str, Any]:
        r = repo(uow)
        cps = r.checkpoints(m.id)
        proposals = r.proposal_states([cp.proposal_id for cp in cps if cp.proposal_id])
        edges = r.milestone_edges(m.id)
        view = milestone_view(m, cps, edges, proposals)
        view["external"] = self._external(uow, actor, [node for _, node in edges if node.milestone_id != m.id])
        return view

    @staticmethod
    def _external(uow: UnitOfWork, actor: Member, nodes: list[Node]) -> list[dict[str, Any]]:
        """Other milestones' checkpoints this one depends on, named by title where the caller may see them
        (the reference alone, `ms_id:order`, where it may not)."""
        seen: dict[str, Node] = {node.id: node for node in nodes}
        found = repo(uow).titles(list(seen))
        visible = visible_groups(uow, actor)
        listed = []
        for node in sorted(seen.values(), key=lambda n: (n.milestone_id, n.order)):
            row = found.get(node.id)
            shown = row is not None and (visible is None or row["group_name"] in visible)
            listed.append(
                {
                    "ref": f"{node.milestone_id}:{node.order}",
                    "milestone_id": node.milestone_id,
                    "order": node.order,
                    "completed": node.completed,
                    "title": row["title"] if shown and row else None,
                    "milestone_title": row["milestone_title"] if shown and row else None,
                }
            )
        return listed

    def _group_for(self, uow: UnitOfWork, actor: Member, group: str | None) -> str:
        """The given group, or the caller's only group when none is given (seed 000 names none)."""
        if group:
            return group
        mine = uow.groups.groups_of(actor.name)
        if len(mine) == 1:
            return mine[0]
        raise ValidationError(
            "group is required: you belong to "
            + (f"several groups ({', '.join(sorted(mine))})" if mine else "no group"),
            field="group",
        )

    def lock_and_resolve(self, uow: UnitOfWork, actor: Member, refs: Iterable[Ref], *, writing: str | None) -> Resolver:
        """Lock the milestone being changed (`writing`) and share-lock every milestone `refs` name, in id
        order (so two changes never wait on each other crosswise); NotFoundError for one the caller
        cannot see. The resolver then knows the stable id of every reference."""
        refs = list(refs)
        r = repo(uow)
        names = {ref.milestone for ref in refs if ref.milestone is not None}
        if writing is not None:
            names.add(writing)
        found: dict[str, Milestone] = {}
        for name in sorted(names):
            m = r.get(name, lock="update" if name == writing else "share")
            if m is None or not _visible(uow, actor, m):
                raise NotFoundError(f"milestone {name} not found", milestone_id=name)
            found[name] = m
        ids: dict[str, dict[int, str]] = {}
        for name in found:
            wanted = {ref.order for ref in refs if (ref.milestone or writing) == name}
            ids[name] = r.ids_at(name, wanted) if wanted else {}
        return Resolver(found, ids, home=writing)


class Resolver:
    """Stable checkpoint ids of references (`2` of the home milestone, `ms_id:3` of another)."""

    def __init__(self, milestones: dict[str, Milestone], ids: dict[str, dict[int, str]], home: str | None) -> None:
        self.milestones = milestones
        self.ids = ids
        self.home = home

    def id_of(self, ref: Ref, where: str) -> str:
        ms = ref.milestone or self.home
        assert ms is not None
        found = self.ids.get(ms, {}).get(ref.order)
        if found is None:
            total = self.milestones[ms].total
            shown = f"checkpoint {ref.order}" if ref.milestone is None else f"{ms}:{ref.order}"
            raise ValidationError(
                f"{where} depends on {shown}, which does not exist ({ms} has "
                + (f"checkpoints 1-{total})" if total else "no checkpoints)"),
                field="depends_on",
            )
        return found


def _visible(uow: UnitOfWork, actor: Member, m: Milestone) -> bool:
    try:
        require_group(uow, actor, m.group)
    except NotFoundError:
        return False
    return True


def note(uow: UnitOfWork, type: str, m: Milestone, actor: Member, now: datetime, **data: Any) -> None:
    """Append a milestone event (ref = the milestone id) in the caller's transaction."""
    record(uow, type, at=now, actor=actor.name, group=m.group, ref=m.id, milestone_id=m.id, **data)


def repo(uow: UnitOfWork) -> MilestoneRepository:
    return MilestoneRepository(uow.conn)
