"""Signing keys and decision receipts (SPEC §12)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from accord.storage.tables import metadata
from accord.storage.types import UTCDateTime

# Ed25519 keys, newest (highest seq) signs; older ones stay for verification. `private_pem` is NULL when the
# private key lives in the file named by ACCORD_SIGNING_KEY_FILE.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kid", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("private_pem", Text),
)

# One receipt per decided proposal or gate (the unique proposal id is the "exactly once").
receipts = Table(
    "receipts",
    metadata,
    Column("jti", String(40), primary_key=True),
    Column("proposal_id", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("requester", String(64)),
    Column("outcome", String(32), nullable=False),
    Column("token", Text, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("redeemed_at", UTCDateTime),
    Column("redeemed_by", String(64)),
    Index("ix_receipts_group_name", "group_name"),
)
