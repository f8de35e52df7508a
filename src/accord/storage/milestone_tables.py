"""Tables of the milestone feature, on the shared MetaData."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from accord.storage.tables import metadata
from accord.storage.types import UTCDateTime

milestones = Table(
    "milestones",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("project_id", String(200), index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, index=True),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    # Counters kept with every change, so completing one checkpoint can tell whether the milestone is
    # done without reading the others.
    Column("total", Integer, nullable=False, default=0),
    Column("completed", Integer, nullable=False, default=0),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("milestone_id", String(32), ForeignKey("milestones.id"), nullable=False),
    # The current 1-based place in the milestone; shifts on insert/delete (the id never does).
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("consensus", JSON),
    Column("proposal_id", String(32), ForeignKey("proposals.id"), index=True),
    Column("completion_gate", JSON),
    Column("git_branch_url", String(2048)),
    Column("git_pr_url", String(2048)),
    Column("git_commit_url", String(2048)),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Column("completed_by", String(64)),
    UniqueConstraint("milestone_id", "position", name="uq_checkpoints_milestone_position"),
)

# "checkpoint depends on dependency", between stable ids; indexed both ways (dependencies and dependents).
checkpoint_deps = Table(
    "checkpoint_deps",
    metadata,
    Column("checkpoint_id", String(32), ForeignKey("checkpoints.id"), primary_key=True),
    Column("depends_on_id", String(32), ForeignKey("checkpoints.id"), primary_key=True),
    Index("ix_checkpoint_deps_depends_on", "depends_on_id", "checkpoint_id"),
)

__all__ = ["checkpoint_deps", "checkpoints", "metadata", "milestones"]
