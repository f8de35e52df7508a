"""proof: events chained by hash in commit order, signing keys, decision receipts (SPEC §8 rev. 2, §12)

Chains the events already stored (in id order; their ids are kept, so `after=` cursors stay valid, and
`prev_id` records each link, gaps left by the old sequence included) and creates the first signing key (in
ACCORD_SIGNING_KEY_FILE when that is set, else in the store). On PostgreSQL event ids stop coming from a
sequence: they are assigned at commit under the chain's lock.

Revision ID: 0008_proof
Revises: 0005_group_policy
Create Date: 2026-11-29 21:00:00.000000
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import accord.storage.types
from accord.proof import keys
from accord.proof.chain import GENESIS, chainable, event_hash

revision: str = "0008_proof"
down_revision: str | Sequence[str] | None = "0005_group_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

events = sa.table(
    "events",
    sa.column("id", sa.Integer()),
    sa.column("at", accord.storage.types.UTCDateTime()),
    sa.column("type", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("group_name", sa.String()),
    sa.column("ref", sa.String()),
    sa.column("data", sa.JSON()),
    sa.column("prev_id", sa.Integer()),
    sa.column("hash", sa.String()),
)
signing_keys = sa.table(
    "signing_keys",
    sa.column("seq", sa.Integer()),
    sa.column("kid", sa.String()),
    sa.column("created_at", accord.storage.types.UTCDateTime()),
    sa.column("public_jwk", sa.JSON()),
    sa.column("private_pem", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("prev_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("events") as batch:
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS events_id_seq")

    op.create_table(
        "signing_keys",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_keys_kid")),
    )
    op.create_table(
        "receipts",
        sa.Column("jti", sa.String(length=40), nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("issued_at", accord.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", accord.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("redeemed_at", accord.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("redeemed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_receipts")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_receipts_proposal_id")),
    )
    with op.batch_alter_table("receipts") as batch:
        batch.create_index("ix_receipts_group_name", ["group_name"], unique=False)
    _first_signing_key()


def _chain_existing_events() -> None:
    conn = op.get_bind()
    prev_id: int | None = None
    prev_hash = GENESIS
    while True:
        query = sa.select(events).order_by(events.c.id).limit(BATCH)
        if prev_id is not None:
            query = query.where(events.c.id > prev_id)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if not rows:
            return
        for row in rows:
            data = chainable(row["data"])
            digest = event_hash(prev_hash, {**row, "data": data})
            values = {"prev_id": prev_id, "hash": digest}
            if data is not row["data"]:
                values["data"] = data
            conn.execute(sa.update(events).where(events.c.id == row["id"]).values(**values))
            prev_id, prev_hash = int(row["id"]), digest


def _first_signing_key() -> None:
    """Stores made before this revision get their first key now (`accord init` makes it for new ones)."""
    conn = op.get_bind()
    now = datetime.now(UTC)  # noqa: TID251 - a migration runs outside the services' clock
    key_file = os.environ.get("ACCORD_SIGNING_KEY_FILE") or None
    if key_file:
        found = keys.read_key_file(key_file)
        if not found:
            found = [keys.generate()]
            keys.append_to_key_file(key_file, found[0])
        rows = [{"kid": k.kid, "public_jwk": keys.public_jwk(k), "private_pem": None} for k in found]
    else:
        key = keys.generate()
        rows = [{"kid": key.kid, "public_jwk": keys.public_jwk(key), "private_pem": keys.private_pem(key)}]
    for seq, row in enumerate(rows, start=1):
        conn.execute(sa.insert(signing_keys).values(seq=seq, created_at=now, **row))


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_index("ix_receipts_group_name")
    op.drop_table("receipts")
    op.drop_table("signing_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS events_id_seq OWNED BY events.id")
        op.execute("SELECT setval('events_id_seq', COALESCE((SELECT max(id) FROM events), 0) + 1, false)")
        op.execute("ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq')")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_id")
