"""Reaching people (SPEC §11): member channels, time zones, sign-in links and the reminder ladder's marks."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from accord.storage.tables import metadata
from accord.storage.types import UTCDateTime

# Where a member is told: an Apprise URL (its secret kept, shown only masked), and which notices it wants
# (NULL: every notice but the opt-in ones).
member_channels = Table(
    "member_channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("member", String(64), ForeignKey("members.name"), nullable=False),
    Column("url", Text, nullable=False),
    Column("masked", Text, nullable=False),
    Column("scheme", String(32), nullable=False),
    Column("events", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_member_channels_member", "member"),
)

# A member's IANA time zone for the deadlines its notices show (SPEC §1); no row means UTC.
member_time_zones = Table(
    "member_time_zones",
    metadata,
    Column("member", String(64), ForeignKey("members.name"), primary_key=True),
    Column("time_zone", String(64), nullable=False),
)

# One row per minted sign-in link: single use is `used_at`, set once by the POST that signs in.
signin_links = Table(
    "signin_links",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("member", String(64), ForeignKey("members.name"), nullable=False),
    Column("next_path", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_signin_links_member", "member"),
)

# The key sign-in links are signed with, made once per store so every replica and worker shares it.
signin_keys = Table(
    "signin_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("secret", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The ladder's steps done per proposal (SPEC §11): a row's primary key makes each step happen once even
# when several sweepers race.
proposal_ladder = Table(
    "proposal_ladder",
    metadata,
    Column("proposal_id", String(32), ForeignKey("proposals.id"), primary_key=True),
    Column("step", String(16), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)
