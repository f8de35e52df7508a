"""queue: find what waits for a member's ballot from the member's side of the voter snapshot

Revision ID: 0010_queue
Revises: 0005_group_policy
Create Date: 2026-11-29 21:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_queue"
down_revision: str | Sequence[str] | None = "0005_group_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_proposal_voters_member", "proposal_voters", ["member", "proposal_id"])


def downgrade() -> None:
    op.drop_index("ix_proposal_voters_member", table_name="proposal_voters")
