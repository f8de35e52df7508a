"""How values read in the CLI's human output: yes/no, lists and rankings, shares as percentages, UTC instants,
and tables whose ids are never cut (--json prints the data as it is)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

ID = re.compile(r"^(prop|ms|msg|cg|cons|tok|rcpt|wh|dlv)_[A-Za-z0-9]+(:\d+)?$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
# Fields holding a fraction of 1 that people read as a percentage.
PERCENT_KEYS = frozenset({"shares", "share", "participation", "yes_share", "quorum", "threshold_share"})
# Columns whose values must never wrap or be cut: ids, names, instants.
UNBROKEN = frozenset(
    {"id", "ref", "at", "voter", "member", "name", "from", "type", "actor", "group", "status", "outcome", "order"}
)


def number(value: float | int) -> str:
    """1.0 -> '1', 0.9 -> '0.9', 0.66666 -> '0.6667'."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def percent(value: float) -> str:
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def instant(value: str, zone: bool = True) -> str:
    """An ISO-8601 instant as 'YYYY-MM-DD HH:MM:SS UTC' (in tables, whose heading says UTC, without the zone)."""
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S" + (" UTC" if zone else ""))


def text(value: Any, key: str = "") -> str:
    """`value` as a person reads it: never a Python repr (True, None, ['a'], {'k': 1})."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return percent(value) if key in PERCENT_KEYS else number(value)
    if isinstance(value, str):
        return instant(value) if INSTANT.match(value) else value
    if isinstance(value, Mapping):
        return ", ".join(
            f"{k} {text(v, key)}" if not isinstance(v, Mapping) else f"{k} ({text(v)})" for k, v in value.items()
        )
    if isinstance(value, Sequence):
        if key == "vote":  # a ranking, best first
            return " > ".join(text(v) for v in value) or "(empty)"
        if value and all(isinstance(v, Mapping) for v in value):
            return "; ".join(text(v) for v in value)
        return ", ".join(text(v, key) for v in value)
    return str(value)


def cell(value: Any, column: str) -> str:
    if isinstance(value, str) and INSTANT.match(value):
        return instant(value, zone=False)
    return text(value, column)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int = 80) -> Table:
    """A plain table (columns two spaces apart, as `kubectl get` or `docker ps` print them; one space when the
    terminal is too narrow for two) in which ids, names and instants stay whole on one line; other text wraps at
    words, never cut."""
    cells = [[cell(row.get(c), c) for c in columns] for row in rows]
    headings: list[str] = []
    whole: list[int | None] = []  # the width a column keeps whole, or None when it may wrap
    for i, column in enumerate(columns):
        values = [r[i] for r in cells if r[i]]
        raw = [row[column] for row in rows if row.get(column) is not None]
        instants = bool(raw) and all(isinstance(v, str) and INSTANT.match(v) for v in raw)
        headings.append(f"{column} (UTC)" if instants else column)
        unbroken = (
            column in UNBROKEN
            or column.endswith("_id")
            or instants
            or bool(values and all(ID.match(v) for v in values))
        )
        whole.append(max([len(headings[i]), *(len(v) for v in values)]) if unbroken else None)
    fixed = sum(w for w in whole if w is not None) + 2 * (len(columns) - 1)
    tight = fixed + 4 * whole.count(None) > width  # leave the wrapping columns a few characters each
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", collapse_padding=tight)
    for heading, keep in zip(headings, whole, strict=True):
        if keep is not None:
            grid.add_column(heading, no_wrap=True, min_width=keep)
        else:
            grid.add_column(heading, overflow="fold")
    for row in cells:
        grid.add_row(*(Text(c) for c in row))
    return grid
