"""When a delivery is tried again (SPEC §11): exponential backoff for 24 hours, then failed. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

# Waits after the 1st, 2nd, ... failed attempt; the last one repeats (hourly) until the window closes.
BACKOFF_SECONDS: tuple[int, ...] = (5, 30, 120, 600, 3600)
RETRY_WINDOW = timedelta(hours=24)


def backoff(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failed attempt in a row (1-based): 5 s, 30 s, 2 min, 10 min,
    1 h, then hourly."""
    index = min(max(failures, 1), len(BACKOFF_SECONDS)) - 1
    return timedelta(seconds=BACKOFF_SECONDS[index])


def next_attempt(failures: int, *, now: datetime, give_up_at: datetime) -> datetime | None:
    """When to try again after the `failures`-th failed attempt at `now`; None once the next try would fall
    after `give_up_at` (the delivery is then marked failed)."""
    when = now + backoff(failures)
    return None if when > give_up_at else when
