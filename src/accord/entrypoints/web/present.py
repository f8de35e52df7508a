"""How values read on the page: percentages, instants in UTC with the time left, labels for rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from accord.domain.summary import OUTCOME_WORDS, VOTING_TYPE_WORDS

OUTCOMES = OUTCOME_WORDS  # the words every face uses for an outcome
VOTING_TYPES = VOTING_TYPE_WORDS


def parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc(value: str | datetime | None) -> str:
    """'2026-05-01 12:00 UTC' — the fallback the browser replaces with its own time zone."""
    at = parse(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else ""


def iso(value: str | datetime | None) -> str:
    at = parse(value)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else ""


def span(seconds: float) -> str:
    """A duration as a person says it: '2 d 3 h', '3 h 5 min', '4 min', 'less than a minute'."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return "less than a minute"


def time_left(value: str | datetime | None, now: datetime) -> str:
    """'3 h 5 min left' or 'closed 4 min ago'."""
    at = parse(value)
    if at is None:
        return ""
    seconds = (at - now).total_seconds()
    return f"{span(seconds)} left" if seconds > 0 else f"closed {span(seconds)} ago"


def pct(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def vote_text(value: Any) -> str:
    if isinstance(value, list):
        return " > ".join(str(v) for v in value) if value else "(empty)"
    return str(value)


def number(value: float | int | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def brief_json(value: Any, limit: int = 160) -> str:
    """JSON on one line, cut to `limit` characters (the full value is on the item's own page)."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


FILTERS = {
    "brief_json": brief_json,
    "pretty_json": pretty_json,
    "utc": utc,
    "iso": iso,
    "pct": pct,
    "vote_text": vote_text,
    "number": number,
    "outcome_text": lambda o: OUTCOMES.get(o or "", o or ""),
    "voting_type_text": lambda t: VOTING_TYPES.get(t or "", t or ""),
    "time_left": time_left,
}
