"""The outbox (SPEC §11): deliveries written with the events that cause them, their attempts, and group webhooks."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from accord.storage.tables import metadata
from accord.storage.types import UTCDateTime

# One row per message to send. `seq` orders a target's deliveries (rows are inserted while the event log's
# lock is held, so in commit order); `id` is the public id and the Standard Webhooks `webhook-id`, the same
# at every attempt. `target` groups what must go out in order ("webhook:<id>", "channel:<id>", ...).
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("target", String(120), nullable=False),
    Column("group_name", String(64)),
    Column("event_id", Integer),
    Column("event_type", String(64)),
    Column("payload", JSON, nullable=False),
    # pending -> delivered | failed | cancelled
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),  # failed attempts in a row (the backoff's step)
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("give_up_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("lease_owner", String(64)),
    Column("last_attempt_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("finished_at", UTCDateTime),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_target_status", "target", "status", "seq"),
)

# Every attempt, successful or not: HTTP status (None when no answer came), latency, error.
outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("error", Text),
    Column("worker", String(64)),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("events", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("failing_since", UTCDateTime),
    Column("disabled_at", UTCDateTime),
    Column("disabled_reason", Text),
)
