"""Milestones, their checkpoints and the dependency edges between checkpoints (by stable id)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import aliased

from accord.domain.milestones import Checkpoint, Milestone, Node
from accord.storage import milestone_tables as mt
from accord.storage import tables as t

T = TypeVar("T")
CHUNK = 900  # bind parameters per IN (...) list, well under SQLite's and PostgreSQL's limits
GRAPH_LOCK = 0x61636D73  # PostgreSQL advisory lock serialising dependency changes of existing checkpoints

_CHECKPOINT_FIELDS = (
    "position",
    "title",
    "description",
    "git_branch_url",
    "git_pr_url",
    "git_commit_url",
    "completed_at",
    "completed_by",
    "proposal_id",
)


def _chunks(items: Collection[T]) -> Iterator[list[T]]:
    seq = list(items)
    for i in range(0, len(seq), CHUNK):
        yield seq[i : i + CHUNK]


class MilestoneRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- milestones ----------------------------------------------------------------------------------------

    def add(self, m: Milestone) -> None:
        self.conn.execute(
            insert(mt.milestones).values(
                id=m.id,
                group_name=m.group,
                project_id=m.project_id,
                title=m.title,
                description=m.description,
                status=m.status,
                created_by=m.created_by,
                created_at=m.created_at,
                closed_at=m.closed_at,
                total=m.total,
                completed=m.completed,
            )
        )

    def get(self, milestone_id: str, *, lock: Literal["update", "share"] | None = None) -> Milestone | None:
        """The milestone; `lock` takes its row for the transaction (writers: update; referrers: share)."""
        query = select(mt.milestones).where(mt.milestones.c.id == milestone_id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share")
        row = self.conn.execute(query).mappings().first()
        return _milestone(row) if row else None

    def save(self, m: Milestone) -> None:
        self.conn.execute(
            update(mt.milestones)
            .where(mt.milestones.c.id == m.id)
            .values(status=m.status, closed_at=m.closed_at, total=m.total, completed=m.completed)
        )

    def search(
        self,
        groups: Sequence[str] | None,
        *,
        group: str | None,
        project_id: str | None,
        status: str | None,
        limit: int,
    ) -> list[Milestone]:
        """Milestones of `groups` (None: every group), newest first."""
        c = mt.milestones.c
        query = select(mt.milestones)
        if groups is not None:
            query = query.where(c.group_name.in_(list(groups)))
        if group is not None:
            query = query.where(c.group_name == group)
        if project_id is not None:
            query = query.where(c.project_id == project_id)
        if status is not None:
            query = query.where(c.status == status)
        rows = self.conn.execute(query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)).mappings()
        return [_milestone(r) for r in rows]

    # -- checkpoints ---------------------------------------------------------------------------------------

    def add_checkpoints(self, cps: Sequence[Checkpoint]) -> None:
        if cps:
            self.conn.execute(insert(mt.checkpoints), [_checkpoint_values(cp) for cp in cps])

    def checkpoints(self, milestone_id: str) -> list[Checkpoint]:
        c = mt.checkpoints.c
        rows = self.conn.execute(select(mt.checkpoints).where(c.milestone_id == milestone_id).order_by(c.position))
        return [_checkpoint(r) for r in rows.mappings()]

    def checkpoint_at(self, milestone_id: str, order: int) -> Checkpoint | None:
        c = mt.checkpoints.c
        row = (
            self.conn.execute(select(mt.checkpoints).where(c.milestone_id == milestone_id, c.position == order))
            .mappings()
            .first()
        )
        return _checkpoint(row) if row else None

    def ids_at(self, milestone_id: str, orders: Collection[int]) -> dict[int, str]:
        """The stable ids of checkpoints `orders` of a milestone (missing orders are left out)."""
        c = mt.checkpoints.c
        found: dict[int, str] = {}
        for chunk in _chunks(orders):
            rows = self.conn.execute(
                select(c.position, c.id).where(c.milestone_id == milestone_id, c.position.in_(chunk))
            )
            found.update({r[0]: r[1] for r in rows})
        return found

    def save_checkpoint(self, cp: Checkpoint) -> None:
        values = {name: getattr(cp, name if name != "position" else "order") for name in _CHECKPOINT_FIELDS}
        self.conn.execute(update(mt.checkpoints).where(mt.checkpoints.c.id == cp.id).values(**values))

    def delete_checkpoint(self, checkpoint_id: str) -> None:
        """Remove a checkpoint and its own dependency edges (callers refuse when others depend on it)."""
        self.conn.execute(delete(mt.checkpoint_deps).where(mt.checkpoint_deps.c.checkpoint_id == checkpoint_id))
        self.conn.execute(delete(mt.checkpoints).where(mt.checkpoints.c.id == checkpoint_id))

    def shift(self, milestone_id: str, *, from_order: int, delta: int) -> None:
        """Move every checkpoint at `from_order` or later by `delta` places.

        In two steps through negative numbers: (milestone, position) is unique, and both SQLite and
        PostgreSQL check that row by row, so shifting in place would collide with the neighbour."""
        c = mt.checkpoints.c
        self.conn.execute(
            update(mt.checkpoints)
            .where(c.milestone_id == milestone_id, c.position >= from_order)
            .values(position=-(c.position + delta))
        )
        self.conn.execute(
            update(mt.checkpoints).where(c.milestone_id == milestone_id, c.position < 0).values(position=-c.position)
        )

    # -- the graph -----------------------------------------------------------------------------------------

    def add_deps(self, edges: Sequence[tuple[str, str]]) -> None:
        """Store `(checkpoint_id, depends_on_id)` edges."""
        if edges:
            self.conn.execute(insert(mt.checkpoint_deps), [{"checkpoint_id": a, "depends_on_id": b} for a, b in edges])

    def clear_deps(self, checkpoint_id: str) -> None:
        self.conn.execute(delete(mt.checkpoint_deps).where(mt.checkpoint_deps.c.checkpoint_id == checkpoint_id))

    def deps_of(self, checkpoint_ids: Collection[str]) -> dict[str, list[str]]:
        """What each of `checkpoint_ids` depends on (one query per 900 ids)."""
        d = mt.checkpoint_deps.c
        edges: dict[str, list[str]] = {}
        for chunk in _chunks(checkpoint_ids):
            for a, b in self.conn.execute(select(d.checkpoint_id, d.depends_on_id).where(d.checkpoint_id.in_(chunk))):
                edges.setdefault(a, []).append(b)
        return edges

    def dependencies(self, checkpoint_id: str) -> list[Node]:
        """The checkpoints `checkpoint_id` depends on, where they are now."""
        d, c = mt.checkpoint_deps.c, mt.checkpoints.c
        query = (
            _node_select()
            .join(mt.checkpoint_deps, d.depends_on_id == c.id)
            .where(d.checkpoint_id == checkpoint_id)
            .order_by(c.milestone_id, c.position)
        )
        return [_node(r) for r in self.conn.execute(query).mappings()]

    def dependents(self, checkpoint_id: str) -> list[Node]:
        """The checkpoints (of any milestone) that depend on `checkpoint_id`."""
        d, c = mt.checkpoint_deps.c, mt.checkpoints.c
        query = (
            _node_select()
            .join(mt.checkpoint_deps, d.checkpoint_id == c.id)
            .where(d.depends_on_id == checkpoint_id)
            .order_by(c.milestone_id, c.position)
        )
        return [_node(r) for r in self.conn.execute(query).mappings()]

    def unblocked_by(self, checkpoint_id: str) -> list[Node]:
        """Dependents of `checkpoint_id` that are not completed and have no pending dependency left."""
        d, c = mt.checkpoint_deps.c, mt.checkpoints.c
        other = aliased(mt.checkpoint_deps)
        dep = aliased(mt.checkpoints)
        pending = (
            select(func.count())
            .select_from(other.join(dep, dep.c.id == other.c.depends_on_id))
            .where(other.c.checkpoint_id == c.id, dep.c.completed_at.is_(None))
            .scalar_subquery()
        )
        query = (
            _node_select()
            .join(mt.checkpoint_deps, d.checkpoint_id == c.id)
            .where(d.depends_on_id == checkpoint_id, c.completed_at.is_(None), pending == 0)
            .order_by(c.milestone_id, c.position)
        )
        return [_node(r) for r in self.conn.execute(query).mappings()]

    def milestone_edges(self, milestone_id: str) -> list[tuple[str, Node]]:
        """Every edge out of a milestone's checkpoints: (checkpoint id, the dependency where it is now)."""
        d, c = mt.checkpoint_deps.c, mt.checkpoints.c
        src = aliased(mt.checkpoints)
        query = (
            _node_select()
            .add_columns(d.checkpoint_id)
            .join(mt.checkpoint_deps, d.depends_on_id == c.id)
            .join(src, and_(src.c.id == d.checkpoint_id, src.c.milestone_id == milestone_id))
            .order_by(c.milestone_id, c.position)
        )
        return [(r["checkpoint_id"], _node(r)) for r in self.conn.execute(query).mappings()]

    def nodes(self, checkpoint_ids: Collection[str]) -> dict[str, Node]:
        c = mt.checkpoints.c
        found: dict[str, Node] = {}
        for chunk in _chunks(checkpoint_ids):
            for r in self.conn.execute(_node_select().where(c.id.in_(chunk))).mappings():
                found[r["id"]] = _node(r)
        return found

    def lock_graph(self) -> None:
        """Serialise changes to existing checkpoints' dependencies, so two cannot close a cycle together.

        SQLite writers are already serialised (BEGIN IMMEDIATE); PostgreSQL takes a transaction lock."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GRAPH_LOCK})

    # -- linked proposals ----------------------------------------------------------------------------------

    def proposal_states(self, proposal_ids: Collection[str]) -> dict[str, tuple[str, str | None]]:
        """(status, outcome) of each linked proposal, in one query per 900 ids."""
        p = t.proposals.c
        found: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(proposal_ids):
            for r in self.conn.execute(select(p.id, p.status, p.outcome).where(p.id.in_(chunk))).mappings():
                found[r["id"]] = (r["status"], (r["outcome"] or {}).get("outcome"))
        return found


def _node_select() -> Any:
    c = mt.checkpoints.c
    return select(c.id, c.milestone_id, c.position, c.completed_at)


def _node(row: RowMapping) -> Node:
    return Node(
        id=row["id"], milestone_id=row["milestone_id"], order=row["position"], completed=row["completed_at"] is not None
    )


def _milestone(row: RowMapping) -> Milestone:
    return Milestone(
        id=row["id"],
        group=row["group_name"],
        project_id=row["project_id"],
        title=row["title"],
        description=row["description"],
        status=row["status"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        closed_at=row["closed_at"],
        total=row["total"],
        completed=row["completed"],
    )


def _checkpoint(row: RowMapping) -> Checkpoint:
    return Checkpoint(
        id=row["id"],
        milestone_id=row["milestone_id"],
        order=row["position"],
        title=row["title"],
        description=row["description"],
        consensus=row["consensus"],
        proposal_id=row["proposal_id"],
        completion_gate=row["completion_gate"],
        git_branch_url=row["git_branch_url"],
        git_pr_url=row["git_pr_url"],
        git_commit_url=row["git_commit_url"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        completed_by=row["completed_by"],
    )


def _checkpoint_values(cp: Checkpoint) -> dict[str, Any]:
    return {
        "id": cp.id,
        "milestone_id": cp.milestone_id,
        "position": cp.order,
        "title": cp.title,
        "description": cp.description,
        "consensus": cp.consensus,
        "proposal_id": cp.proposal_id,
        "completion_gate": cp.completion_gate,
        "git_branch_url": cp.git_branch_url,
        "git_pr_url": cp.git_pr_url,
        "git_commit_url": cp.git_commit_url,
        "created_by": cp.created_by,
        "created_at": cp.created_at,
        "completed_at": cp.completed_at,
        "completed_by": cp.completed_by,
    }
