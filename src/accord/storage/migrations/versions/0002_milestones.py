"""milestones: milestones, checkpoints and their dependency edges (SPEC §3)

Revision ID: 0002_milestones
Revises: 0001_core
Create Date: 2026-11-23 17:46:06.947803
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.storage.types

revision: str = "0002_milestones"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", accord.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["members.name"], name=op.f("fk_milestones_created_by_members")),
        sa.ForeignKeyConstraint(["group_name"], ["groups.name"], name=op.f("fk_milestones_group_name_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestones_group_name"), ["group_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestones_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestones_status"), ["status"], unique=False)

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("milestone_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("consensus", sa.JSON(), nullable=True),
        sa.Column("proposal_id", sa.String(length=32), nullable=True),
        sa.Column("completion_gate", sa.JSON(), nullable=True),
        sa.Column("git_branch_url", sa.String(length=2048), nullable=True),
        sa.Column("git_pr_url", sa.String(length=2048), nullable=True),
        sa.Column("git_commit_url", sa.String(length=2048), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", accord.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["members.name"], name=op.f("fk_checkpoints_created_by_members")),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestones.id"], name=op.f("fk_checkpoints_milestone_id_milestones")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name=op.f("fk_checkpoints_proposal_id_proposals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("milestone_id", "position", name="uq_checkpoints_milestone_position"),
    )
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoints_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "checkpoint_deps",
        sa.Column("checkpoint_id", sa.String(length=32), nullable=False),
        sa.Column("depends_on_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"], ["checkpoints.id"], name=op.f("fk_checkpoint_deps_checkpoint_id_checkpoints")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"], ["checkpoints.id"], name=op.f("fk_checkpoint_deps_depends_on_id_checkpoints")
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", "depends_on_id", name=op.f("pk_checkpoint_deps")),
    )
    with op.batch_alter_table("checkpoint_deps", schema=None) as batch_op:
        batch_op.create_index("ix_checkpoint_deps_depends_on", ["depends_on_id", "checkpoint_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkpoint_deps", schema=None) as batch_op:
        batch_op.drop_index("ix_checkpoint_deps_depends_on")

    op.drop_table("checkpoint_deps")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoints_proposal_id"))

    op.drop_table("checkpoints")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_status"))
        batch_op.drop_index(batch_op.f("ix_milestones_project_id"))
        batch_op.drop_index(batch_op.f("ix_milestones_group_name"))

    op.drop_table("milestones")
