"""Inbox messages (SPEC §7): types, sizes, time-to-live and task claims, as pure rules."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from accord.domain.errors import ConflictError, ValidationError
from accord.domain.members import check_slug

TYPES = ("REQUEST", "RESPONSE", "VETO", "NOTICE", "TASK", "BROADCAST", "HEARTBEAT")
# VETO messages are Accord's own announcement of a cast veto; a member sending one would forge it.
SYSTEM_ONLY = ("VETO",)
EVERYONE = "*"
MAX_CONTENT = 4_096
MAX_PAYLOAD_BYTES = 16 * 1024
MAX_SUBJECT = 500
MAX_TTL_SECONDS = 30 * 24 * 3600
DEFAULT_CLAIM_SECONDS = 300
MAX_CLAIM_SECONDS = 24 * 3600
MAX_LIST = 100

TaskStatus = Literal["pending", "claimed", "completed"]


def check_type(value: str) -> str:
    """A message type a member may send (upper-cased), or a ValidationError listing the allowed ones."""
    if not isinstance(value, str) or value.strip().upper() not in TYPES:
        allowed = [t for t in TYPES if t not in SYSTEM_ONLY]
        raise ValidationError(
            f"message type {value!r} is not allowed: use one of {', '.join(allowed)}", field="type", allowed=allowed
        )
    kind = value.strip().upper()
    if kind in SYSTEM_ONLY:
        raise ValidationError(
            "VETO messages are sent by Accord when a veto holder votes no on a gate; vote no instead",
            field="type",
        )
    return kind


def check_recipient(to: str) -> str:
    """A member name, or `*` for every member of the group but the sender."""
    if to == EVERYONE:
        return to
    if not isinstance(to, str):
        raise ValidationError("to must be a member name or '*'", field="to")
    return check_slug(to.strip(), "recipient")


def check_content(content: str) -> str:
    if not isinstance(content, str):
        raise ValidationError("content must be text", field="content")
    if len(content) > MAX_CONTENT:
        raise ValidationError(f"content is {len(content)} characters; at most {MAX_CONTENT} allowed", field="content")
    return content


def check_subject(subject: str | None) -> str | None:
    if subject is None or not subject.strip():
        return None
    if len(subject.strip()) > MAX_SUBJECT:
        raise ValidationError(f"subject is longer than {MAX_SUBJECT} characters", field="subject")
    return subject.strip()


def payload_bytes(payload: Any) -> int:
    """The size of `payload` as compact UTF-8 JSON."""
    return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


def check_payload(payload: Any, name: str = "payload") -> Any:
    """`payload` if it is JSON of at most 16 KiB, else a ValidationError giving its size."""
    if payload is None:
        return None
    try:
        size = payload_bytes(payload)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be JSON (objects, arrays, text, numbers, true/false, null)") from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValidationError(
            f"{name} is {size} bytes of JSON; at most {MAX_PAYLOAD_BYTES} (16 KiB) allowed",
            field=name,
            size=size,
            limit=MAX_PAYLOAD_BYTES,
        )
    return payload


def check_seconds(value: float | int | None, name: str, *, maximum: int) -> int | None:
    """Whole seconds in 1..maximum (None stays None)."""
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if isinstance(value, bool) or not whole or not 1 <= value <= maximum:
        raise ValidationError(
            f"{name} must be a whole number of seconds from 1 to {maximum}, got {value!r}", field=name
        )
    return int(value)


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise ValidationError(f"limit must be 1-{MAX_LIST}, got {limit!r}", field="limit")
    return limit


def expires_at(created_at: datetime, ttl_seconds: int | None) -> datetime | None:
    return None if ttl_seconds is None else created_at + timedelta(seconds=ttl_seconds)


@dataclass(frozen=True)
class Task:
    """What the claim rules need to know about a message."""

    id: str
    type: str
    expires_at: datetime | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    completed_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def holder(self, now: datetime) -> str | None:
        """Who holds the claim now (an expired claim has returned by itself)."""
        if self.completed_at is not None:
            return self.claimed_by
        if self.claimed_by is not None and self.claim_expires_at is not None and now < self.claim_expires_at:
            return self.claimed_by
        return None

    def status(self, now: datetime) -> TaskStatus:
        if self.completed_at is not None:
            return "completed"
        return "claimed" if self.holder(now) else "pending"

    def check_claim(self, member: str, now: datetime) -> None:
        """Refuse a claim on anything but a live, unclaimed (or own) task."""
        if self.type != "TASK":
            raise ValidationError(
                f"message {self.id} is a {self.type}; only TASK messages can be claimed", message_id=self.id
            )
        if self.completed_at is not None:
            raise ConflictError(f"message {self.id} is already completed by {self.claimed_by}", message_id=self.id)
        if self.expired(now):
            assert self.expires_at is not None
            raise ConflictError(
                f"message {self.id} expired at {self.expires_at.isoformat()}; expired messages cannot be claimed",
                message_id=self.id,
            )
        holder = self.holder(now)
        if holder is not None and holder != member:
            assert self.claim_expires_at is not None
            raise ConflictError(
                f"message {self.id} is already claimed by {holder} until {self.claim_expires_at.isoformat()}",
                message_id=self.id,
                claimed_by=holder,
            )

    def check_holder(self, member: str, now: datetime, action: str) -> None:
        """Refuse `action` (complete, release) unless `member` holds a live claim."""
        if self.completed_at is not None:
            raise ConflictError(f"message {self.id} is already completed by {self.claimed_by}", message_id=self.id)
        holder = self.holder(now)
        if holder != member:
            whose = f"it is claimed by {holder}" if holder else "it is not claimed (or the claim expired)"
            raise ConflictError(
                f"cannot {action} message {self.id}: {action} needs your claim, and {whose}; claim it first",
                message_id=self.id,
                claimed_by=holder,
            )
