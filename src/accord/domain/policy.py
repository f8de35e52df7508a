"""A group's policy (SPEC §5, §11, §12, §13): the rules its gates, receipts and reminders follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.domain import limits
from accord.domain.errors import ValidationError
from accord.domain.gates import DEFAULT_PATTERN
from accord.domain.proposals import MAX_HUMAN_APPROVALS

MAX_PERIOD_SECONDS = limits.MAX_TTL_SECONDS  # SPEC §13: timeouts and TTLs are 1 s … 31 days


@dataclass(frozen=True)
class GroupPolicy:
    irreversible_pattern: str = DEFAULT_PATTERN
    default_timeout_seconds: int = 3600
    irreversible_human_approvals: int = 0
    receipt_ttl_seconds: int = 900
    remind_after_seconds: int | None = None
    escalate_after_seconds: int | None = None

    def view(self) -> dict[str, Any]:
        return {
            "irreversible_pattern": self.irreversible_pattern,
            "default_timeout_seconds": self.default_timeout_seconds,
            "irreversible_human_approvals": self.irreversible_human_approvals,
            "receipt_ttl_seconds": self.receipt_ttl_seconds,
            "remind_after_seconds": self.remind_after_seconds,
            "escalate_after_seconds": self.escalate_after_seconds,
        }


def period(value: object, field: str) -> int:
    """Whole seconds in 1 … 31 days (SPEC §13), or ValidationError naming `field` and the range."""
    return limits.ttl_seconds(value, field)


def human_approvals(value: object, field: str) -> int:
    """A count of human approvals in 0 … 1000, or ValidationError naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HUMAN_APPROVALS:
        raise ValidationError(
            f"{field} must be a whole number from 0 to {MAX_HUMAN_APPROVALS}, got {limits.shown(value)}", field=field
        )
    return value
