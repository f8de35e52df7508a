"""The core schema (members, groups, proposals, votes, events, messages); features add their own modules."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from accord.storage.types import FractionType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

members = Table(
    "members",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member", String(64), ForeignKey("members.name"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # Rev. 2 (SPEC §1): the public id `tok_…`, to the minute when last used, and an optional expiry instant.
    Column("token_id", String(32), nullable=False, unique=True),
    Column("last_used_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
)

groups = Table(
    "groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Gate policy (SPEC §5).
    Column("irreversible_pattern", String(500), nullable=False, default="push|deploy|merge|release|publish"),
    Column("default_timeout_seconds", Integer, nullable=False, default=3600),
    # Rev. 2 policy: human yes ballots an irreversible gate needs (§5), a gate receipt's lifetime (§12), and the
    # reminder / escalation ladder (§11); None = no reminder, no escalation.
    Column("irreversible_human_approvals", Integer, nullable=False, default=0, server_default="0"),
    Column("receipt_ttl_seconds", Integer, nullable=False, default=900, server_default="900"),
    Column("remind_after_seconds", Integer, nullable=True),
    Column("escalate_after_seconds", Integer, nullable=True),
)

memberships = Table(
    "memberships",
    metadata,
    Column("group_name", String(64), ForeignKey("groups.name"), primary_key=True),
    Column("member", String(64), ForeignKey("members.name"), primary_key=True, index=True),
    Column("role", String(16), nullable=False),
    Column("weight", FractionType, nullable=False),
    Column("advisory", Boolean, nullable=False, default=False),
    Column("veto", Boolean, nullable=False, default=False),
    Column("expertise", JSON, nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("kind", String(16), nullable=False, default="proposal"),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("voting_type", String(16), nullable=False),
    Column("options", JSON, nullable=False),
    Column("threshold_type", String(16), nullable=False),
    Column("threshold", FractionType),
    Column("quorum", FractionType),
    Column("min_votes", Integer, nullable=False, default=0),
    Column("weighted", Boolean, nullable=False, default=False),
    Column("weighted_denominator", String(16), nullable=False, default="weights"),
    Column("allow_abstain", Boolean, nullable=False, default=True),
    Column("prevent_self_vote", Boolean, nullable=False, default=False),
    Column("on_no_consensus", JSON, nullable=False),
    Column("max_rounds", Integer, nullable=False, default=2),
    Column("domain", String(200)),
    Column("critical", Boolean, nullable=False, default=False),
    Column("deadline", UTCDateTime),
    Column("subject", String(500)),
    # Equal to subject while the proposal holds its subject, NULL once released: the split-brain guard.
    Column("subject_lock", String(500)),
    Column("status", String(16), nullable=False, index=True),
    Column("round", Integer, nullable=False, default=1),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("outcome", JSON),
    Column("resolution", JSON),
    Column("mitigation", Text),
    Column("finalized_at", UTCDateTime),
    Column("finalized_by", String(64)),
    Column("payload", JSON),
    # Rev. 2 (SPEC §2.1, §5): human yes ballots required, self-finalizing at the deadline, and a gate's payload
    # digest (lowercase hex SHA-256 of its RFC 8785 form), stored when requested.
    Column("min_human_approvals", Integer, nullable=False, default=0, server_default="0"),
    Column("close_at_deadline", Boolean, nullable=False, default=False, server_default=false()),
    Column("payload_digest", String(64)),
    # The first voting period in seconds: a re-vote opened at or after the deadline gets it again (SPEC §2.5).
    Column("voting_seconds", Float),
    UniqueConstraint("group_name", "subject_lock", name="uq_proposals_open_subject"),
    Index("ix_proposals_group_subject", "group_name", "subject"),
)

proposal_voters = Table(
    "proposal_voters",
    metadata,
    Column("proposal_id", String(32), ForeignKey("proposals.id"), primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("weight", FractionType, nullable=False),
    Column("advisory", Boolean, nullable=False),
    Column("veto", Boolean, nullable=False),
    Column("expertise", JSON, nullable=False),
    # What waits for a member's ballot is found from the member's side (migration 0010_queue).
    Index("ix_proposal_voters_member", "member", "proposal_id"),
)

# One current vote per (proposal, voter): the primary key is the constraint.
votes = Table(
    "votes",
    metadata,
    Column("proposal_id", String(32), ForeignKey("proposals.id"), primary_key=True),
    Column("voter", String(64), primary_key=True),
    Column("choice", JSON, nullable=False),
    Column("confidence", FractionType, nullable=False),
    Column("comment", Text),
    Column("evidence", JSON, nullable=False),
    Column("cast_at", UTCDateTime, nullable=False),
    Column("round", Integer, nullable=False),
)

vote_history = Table(
    "vote_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", String(32), ForeignKey("proposals.id"), nullable=False, index=True),
    Column("voter", String(64), nullable=False),
    Column("choice", JSON, nullable=False),
    Column("confidence", FractionType, nullable=False),
    Column("comment", Text),
    Column("evidence", JSON, nullable=False),
    Column("cast_at", UTCDateTime, nullable=False),
    Column("round", Integer, nullable=False),
)

# Ids are a gap-free sequence in commit order, assigned at append under the chain's lock (storage/event_log.py,
# SPEC §8), never by a database sequence; each event carries its link in the hash chain (SPEC §12).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("type", String(64), nullable=False),
    Column("actor", String(64)),
    Column("group_name", String(64), index=True),
    Column("ref", String(200), index=True),
    Column("data", JSON, nullable=False),
    Column("prev_id", Integer),
    Column("hash", String(64), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("sender", String(64), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("subject", String(500)),
    Column("content", Text, nullable=False, default=""),
    Column("payload", JSON),
    Column("ttl_seconds", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("claim_expires_at", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("response", Text),
)

# One row per (message, recipient): a broadcast fans out on write, so each recipient consumes it once.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(32), ForeignKey("messages.id"), nullable=False),
    Column("member", String(64), nullable=False),
    Column("read_at", UTCDateTime),
    UniqueConstraint("message_id", "member", name="uq_deliveries_message_member"),
    Index("ix_deliveries_member_pending", "member", "read_at", "id"),
)
