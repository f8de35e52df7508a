"""reach: member channels, time zones, sign-in links and the reminder ladder's marks (SPEC §11)

Revision ID: 0012_reach
Revises: 0010_queue
Create Date: 2026-11-30 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.storage.types

revision: str = "0012_reach"
down_revision: str | Sequence[str] | None = "0010_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_channels",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("masked", sa.Text(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("events", sa.JSON(), nullable=True),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["member"], ["members.name"], name=op.f("fk_member_channels_member_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_channels")),
    )
    op.create_index("ix_member_channels_member", "member_channels", ["member"])
    op.create_table(
        "member_time_zones",
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["member"], ["members.name"], name=op.f("fk_member_time_zones_member_members")),
        sa.PrimaryKeyConstraint("member", name=op.f("pk_member_time_zones")),
    )
    op.create_table(
        "signin_links",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", accord.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member"], ["members.name"], name=op.f("fk_signin_links_member_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_links")),
    )
    op.create_index("ix_signin_links_member", "signin_links", ["member"])
    op.create_table(
        "signin_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_keys")),
    )
    op.create_table(
        "proposal_ladder",
        sa.Column("proposal_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_proposal_ladder_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "step", name=op.f("pk_proposal_ladder")),
    )


def downgrade() -> None:
    op.drop_table("proposal_ladder")
    op.drop_table("signin_keys")
    op.drop_index("ix_signin_links_member", table_name="signin_links")
    op.drop_table("signin_links")
    op.drop_table("member_time_zones")
    op.drop_index("ix_member_channels_member", table_name="member_channels")
    op.drop_table("member_channels")
