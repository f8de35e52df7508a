"""group policy: human approvals on irreversible gates, receipt lifetime, reminders and the escalation ladder

Revision ID: 0005_group_policy
Revises: 0001_core
Create Date: 2026-11-29 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_group_policy"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("irreversible_human_approvals", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("receipt_ttl_seconds", sa.Integer(), nullable=False, server_default="900"))
        batch.add_column(sa.Column("remind_after_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalate_after_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("escalate_after_seconds")
        batch.drop_column("remind_after_seconds")
        batch.drop_column("receipt_ttl_seconds")
        batch.drop_column("irreversible_human_approvals")
