"""The only module that reads the time: SystemClock for real runs, FixedClock for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where services get 'now' from (aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to; tests drive deadlines and timeouts with it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, *, hours: float = 0) -> datetime:
        """Move time forward and return the new now."""
        self._now += timedelta(seconds=seconds, hours=hours)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
