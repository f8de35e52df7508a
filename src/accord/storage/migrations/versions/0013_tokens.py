"""tokens: token ids, last use and expiry; web sessions kept on the server; private events (SPEC §1, §8, §13)

Gives every stored token a `tok_…` id (labels and creation times are kept), adds `last_used_at` and
`expires_at`, creates `web_sessions` (sign-out ends a session on every replica) and `event_readers`, filled
for the events about direct messages already stored, so they stay visible only to sender and recipient.

Revision ID: 0013_tokens
Revises: 0010_queue
Create Date: 2026-11-30 00:10:00.000000
"""

import json
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.storage.types

revision: str = "0013_tokens"
down_revision: str | Sequence[str] | None = "0010_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

tokens = sa.table("tokens", sa.column("id", sa.Integer()), sa.column("token_id", sa.String()))
events = sa.table("events", sa.column("id", sa.Integer()), sa.column("type", sa.String()), sa.column("data", sa.JSON()))
messages = sa.table(
    "messages", sa.column("id", sa.String()), sa.column("sender", sa.String()), sa.column("recipient", sa.String())
)


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("token_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("last_used_at", accord.storage.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("expires_at", accord.storage.types.UTCDateTime(), nullable=True))
    bind = op.get_bind()
    for (row_id,) in bind.execute(sa.select(tokens.c.id)).all():
        token_id = "tok_" + "".join(secrets.choice(_ALPHABET) for _ in range(12))
        bind.execute(tokens.update().where(tokens.c.id == row_id).values(token_id=token_id))
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column("token_id", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint("uq_tokens_token_id", ["token_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", accord.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", accord.storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", accord.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member"], ["members.name"], name="fk_web_sessions_member_members"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_member", "web_sessions", ["member"])
    op.create_index("ix_web_sessions_token_id", "web_sessions", ["token_id"])
    op.create_table(
        "event_readers",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "member", name="pk_event_readers"),
    )
    _restrict_direct_message_events(bind)


def _restrict_direct_message_events(bind: sa.engine.Connection) -> None:
    """Readers for the message events already stored: sender and recipient of a direct message; for a
    `message.sent` (one per recipient's inbox), sender and that recipient."""
    senders = {
        r[0]: (r[1], r[2]) for r in bind.execute(sa.select(messages.c.id, messages.c.sender, messages.c.recipient))
    }
    rows: list[dict[str, object]] = []
    for event_id, type_, data in bind.execute(
        sa.select(events.c.id, events.c.type, events.c.data).where(events.c.type.like("message.%"))
    ):
        data = json.loads(data) if isinstance(data, str) else (data or {})
        found = senders.get(data.get("message_id"))
        if found is None:
            continue
        sender, recipient = found
        if type_ == "message.sent" and data.get("to"):
            readers = {sender, data["to"]}
        elif recipient != "*":
            readers = {sender, recipient}
        else:
            continue
        rows.extend({"event_id": event_id, "member": m} for m in sorted(readers))
    if rows:
        table = sa.table("event_readers", sa.column("event_id", sa.Integer()), sa.column("member", sa.String()))
        bind.execute(table.insert(), rows)


def downgrade() -> None:
    op.drop_table("event_readers")
    op.drop_index("ix_web_sessions_token_id", table_name="web_sessions")
    op.drop_index("ix_web_sessions_member", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_constraint("uq_tokens_token_id", type_="unique")
        batch.drop_column("expires_at")
        batch.drop_column("last_used_at")
        batch.drop_column("token_id")
