"""Milestones, their checkpoints and the dependency edges between checkpoints (by stable id)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping

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


def _node_columns() -> Any:
    c = mt.checkpoints.c
    return select(c.id, c.milestone_id, c.position, c.completed_at)


# The hot path (completing one checkpoint) runs these statements, built once with bound parameters:
# building SQLAlchemy expressions per call costs more than running them on an indexed table.
_d, _c = mt.checkpoint_deps.c, mt.checkpoints.c
_other_deps = mt.checkpoint_deps.alias("other_deps")
_other_cps = mt.checkpoints.alias("other_cps")
_src = mt.checkpoints.alias("src")
_GET = select(mt.milestones).where(mt.milestones.c.id == bindparam("id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_GET_FOR_SHARE = _GET.with_for_update(read=True)
_AT = select(mt.checkpoints).where(_c.milestone_id == bindparam("ms"), _c.position == bindparam("order"))
_DEPENDENCIES = (
    _node_columns()
    .join(mt.checkpoint_deps, _d.depends_on_id == _c.id)
    .where(_d.checkpoint_id == bindparam("id"))
    .order_by(_c.milestone_id, _c.position)
)
_DEPENDENTS = (
    _node_columns()
    .join(mt.checkpoint_deps, _d.checkpoint_id == _c.id)
    .where(_d.depends_on_id == bindparam("id"))
    .order_by(_c.milestone_id, _c.position)
)
_PENDING_DEPS = (
    select(func.count())
    .select_from(_other_deps.join(_other_cps, _other_cps.c.id == _other_deps.c.depends_on_id))
    .where(_other_deps.c.checkpoint_id == _c.id, _other_cps.c.completed_at.is_(None))
    .scalar_subquery()
)
_UNBLOCKED = _DEPENDENTS.where(_c.completed_at.is_(None), _PENDING_DEPS == 0)
_SAVE_CHECKPOINT = update(mt.checkpoints).where(_c.id == bindparam("cp_id"))
_SAVE_MILESTONE = update(mt.milestones).where(mt.milestones.c.id == bindparam("ms_id"))


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
        query = _GET if lock is None else _GET_FOR_UPDATE if lock == "update" else _GET_FOR_SHARE
        row = self.conn.execute(query, {"id": milestone_id}).mappings().first()
        return _milestone(row) if row else None

    def save(self, m: Milestone) -> None:
        self.conn.execute(
            _SAVE_MILESTONE,
            {"ms_id": m.id, "status": m.status, "closed_at": m.closed_at, "total": m.total, "completed": m.completed},
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
        row = self.conn.execute(_AT, {"ms": milestone_id, "order": order}).mappings().first()
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
        self.conn.execute(_SAVE_CHECKPOINT, {"cp_id": cp.id, **values})

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
        return [_node(r) for r in self.conn.execute(_DEPENDENCIES, {"id": checkpoint_id}).mappings()]

    def dependents(self, checkpoint_id: str) -> list[Node]:
        """The checkpoints (of any milestone) that depend on `checkpoint_id`."""
        return [_node(r) for r in self.conn.execute(_DEPENDENTS, {"id": checkpoint_id}).mappings()]

    def unblocked_by(self, checkpoint_id: str) -> list[Node]:
        """Dependents of `checkpoint_id` that are not completed and have no pending dependency left."""
        return [_node(r) for r in self.conn.execute(_UNBLOCKED, {"id": checkpoint_id}).mappings()]

    def milestone_edges(self, milestone_id: str) -> list[tuple[str, Node]]:
        """Every edge out of a milestone's checkpoints: (checkpoint id, the dependency where it is now)."""
        query = (
            _node_columns()
            .add_columns(_d.checkpoint_id)
            .join(mt.checkpoint_deps, _d.depends_on_id == _c.id)
            .join(_src, and_(_src.c.id == _d.checkpoint_id, _src.c.milestone_id == milestone_id))
            .order_by(_c.milestone_id, _c.position)
        )
        return [(r["checkpoint_id"], _node(r)) for r in self.conn.execute(query).mappings()]

    def titles(self, checkpoint_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """Each checkpoint's title with its milestone's id, title and group (one query per 900 ids)."""
        c, m = mt.checkpoints.c, mt.milestones.c
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(checkpoint_ids):
            query = (
                select(
                    c.id,
                    c.title,
                    c.position,
                    c.completed_at,
                    c.milestone_id,
                    m.title.label("milestone_title"),
                    m.group_name,
                )
                .join(mt.milestones, m.id == c.milestone_id)
                .where(c.id.in_(chunk))
            )
            found.update({r["id"]: dict(r) for r in self.conn.execute(query).mappings()})
        return found

    def nodes(self, checkpoint_ids: Collection[str]) -> dict[str, Node]:
        c = mt.checkpoints.c
        found: dict[str, Node] = {}
        for chunk in _chunks(checkpoint_ids):
            for r in self.conn.execute(_node_columns().where(c.id.in_(chunk))).mappings():
                found[r["id"]] = _node(r)
        return found

    def lock_graph(self) -> None:
        """Serialise changes to existing checkpoints' dependencies, so two cannot close a cycle together.

        SQLite writers are already serialised (BEGIN IMMEDIATE); PostgreSQL takes a transaction lock."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GRAPH_LOCK})

    def refresh_statistics(self) -> None:
        """Bring PostgreSQL's planner statistics for these tables up to date (SQLite needs none)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("ANALYZE milestones, checkpoints, checkpoint_deps"))

    # -- linked proposals ----------------------------------------------------------------------------------

    def proposal_states(self, proposal_ids: Collection[str]) -> dict[str, tuple[str, str | None]]:
        """(status, outcome) of each linked proposal, in one query per 900 ids."""
        p = t.proposals.c
        found: dict[str, tuple[str, str | None]] = {}
        for chunk in _chunks(proposal_ids):
            for r in self.conn.execute(select(p.id, p.status, p.outcome).where(p.id.in_(chunk))).mappings():
                found[r["id"]] = (r["status"], (r["outcome"] or {}).get("outcome"))
        return found


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
