"""Tables of the deliberation feature (consultations, completion gates), on the shared MetaData."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from accord.storage.tables import metadata
from accord.storage.types import FractionType, UTCDateTime

consultations = Table(
    "consultations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    # Declared questions {id: text}; contributions may answer others too.
    Column("questions", JSON, nullable=False),
    # The group's members when the consultation opened: [{member, kind, weight, advisory}] (a snapshot).
    Column("contributors", JSON, nullable=False),
    # Question ids whose critical conflict has already been escalated to humans (notified once).
    Column("escalated", JSON, nullable=False),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# One current answer per (consultation, contributor, question): submitting again replaces it.
consultation_answers = Table(
    "consultation_answers",
    metadata,
    Column("consultation_id", String(32), ForeignKey("consultations.id"), primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("question_id", String(32), primary_key=True),
    Column("question", Text),
    Column("answer", Text, nullable=False),
    Column("confidence", FractionType, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("alternatives", JSON, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
)

completion_gates = Table(
    "completion_gates",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_name", String(64), ForeignKey("groups.name"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("participants", JSON, nullable=False),
    Column("min_completions", Integer, nullable=False),
    Column("window_seconds", Integer, nullable=False),
    Column("nudge_after_seconds", Integer, nullable=False),
    Column("fallback_timeout", Integer, nullable=False),
    # `status`, `warning` and `closed_at` record a closing once someone has seen it (a signal, the sweeper);
    # readers compute the same from the signals and the clock before then.
    Column("status", String(32), nullable=False, index=True),
    Column("warning", String(64)),
    Column("closed_at", UTCDateTime),
    # The needs_revision epoch whose one nudge has been sent (NULL: none yet).
    Column("nudged_epoch", Integer),
    # What the gate guards, when it belongs to something (e.g. a milestone checkpoint): free text.
    Column("ref", String(200), index=True),
    Column("created_by", String(64), ForeignKey("members.name"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

completion_signals = Table(
    "completion_signals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("gate_id", String(32), ForeignKey("completion_gates.id"), nullable=False),
    Column("member", String(64), nullable=False),
    Column("signal", String(16), nullable=False),
    Column("note", Text),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_completion_signals_gate", "gate_id", "id"),
)

__all__ = ["completion_gates", "completion_signals", "consultation_answers", "consultations", "metadata"]
