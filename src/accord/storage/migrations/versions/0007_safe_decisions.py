"""safe decisions: min_human_approvals, close_at_deadline and the voting period on proposals, a gate's payload digest

Revision ID: 0007_safe_decisions
Revises: 0005_group_policy
Create Date: 2026-12-02 09:00:00.000000
"""

import hashlib
from collections.abc import Sequence

import rfc8785
import sqlalchemy as sa
from alembic import op

revision: str = "0007_safe_decisions"
down_revision: str | Sequence[str] | None = "0005_group_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("min_human_approvals", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("close_at_deadline", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("payload_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("voting_seconds", sa.Float(), nullable=True))
    # Gates requested before this revision get the digest of the payload they were requested with (SPEC §5).
    conn = op.get_bind()
    proposals = sa.table(
        "proposals", sa.column("id", sa.String), sa.column("kind", sa.String), sa.column("payload", sa.JSON)
    )
    rows = conn.execute(sa.select(proposals.c.id, proposals.c.payload).where(proposals.c.kind == "gate")).all()
    for proposal_id, payload in rows:  # the JSON type has decoded the payload already
        try:
            digest = hashlib.sha256(rfc8785.dumps(payload)).hexdigest()
        except (rfc8785.CanonicalizationError, TypeError):
            continue  # no canonical form: the gate shows no digest and verifies nothing
        conn.execute(
            sa.text("UPDATE proposals SET payload_digest = :digest WHERE id = :id"),
            {"digest": digest, "id": proposal_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("voting_seconds")
        batch.drop_column("payload_digest")
        batch.drop_column("close_at_deadline")
        batch.drop_column("min_human_approvals")
