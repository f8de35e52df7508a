"""The events' hash chain (SPEC §12).

hash = SHA-256(hex(previous hash) ‖ 0x0A ‖ JCS({id, type, time, actor, group, ref, data})), lowercase hex; the
first event's previous hash is 64 zeros and `time` is UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.canonical import NotCanonicalError, canonical_json, plain_json

GENESIS = "0" * 64
MAX_SAFE_INTEGER = 2**53


def chain_time(at: datetime) -> str:
    """`at` as the chain spells it: UTC with microseconds and a Z, e.g. 2026-05-01T12:00:00.000000Z."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no place in the chain")
    if at.utcoffset():
        at = at.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 - a third faster than strftime, per event
        at.year,
        at.month,
        at.day,
        at.hour,
        at.minute,
        at.second,
        at.microsecond,
    )


def event_body(
    id: int, type: str, at: datetime, actor: str | None, group: str | None, ref: str | None, data: Any
) -> bytes:
    """The canonical bytes of an event, as hashed."""
    return canonical_json(
        {"id": id, "type": type, "time": chain_time(at), "actor": actor, "group": group, "ref": ref, "data": data}
    )


def link(prev_hash: str, body: bytes) -> str:
    """The hash of an event whose canonical bytes are `body`, after the event whose hash is `prev_hash`."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()


def event_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The hash of a stored event row (keys id, type, at, actor, group_name, ref, data)."""
    return link(
        prev_hash,
        event_body(row["id"], row["type"], row["at"], row["actor"], row["group_name"], row["ref"], row["data"]),
    )


def chainable(data: Any) -> Any:
    """`data` with what has no canonical JSON form spelt as text (integers beyond ±2^53, non-finite numbers,
    lone surrogates), so every event can be chained; `data` itself when it already can."""
    if plain_json(data):  # the common case, checked without encoding
        return data
    try:
        canonical_json(data)
        return data
    except NotCanonicalError:
        return _scrub(data)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {_text(str(k)): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    return _text(str(value))


def _text(value: str) -> str:
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class Verdict:
    """What a walk over the chain found: how many events held, the head, and the first problem if any."""

    verified: int
    head_id: int
    head_hash: str
    problem: str | None = None
    event_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verified": self.verified,
            "head": {"id": self.head_id, "hash": self.head_hash},
            "problem": self.problem,
            "event_id": self.event_id,
            "message": self.message(),
        }

    def message(self) -> str:
        if self.problem is not None:
            return self.problem
        return f"{self.verified} events verified; head {self.head_id} {self.head_hash}"


def verify(rows: Iterable[dict[str, Any]], pinned: tuple[int, str] | None = None) -> Verdict:
    """Walk stored event rows in id order (keys id, type, at, actor, group_name, ref, data, hash, prev_id),
    recomputing every hash from the genesis. Stops at the first event that is missing (a row's `prev_id` is
    not the id before it) or whose stored hash differs; `pinned` (id, hash) is a head seen earlier that must
    still be there, unchanged (deleting the newest events is seen only so)."""
    prev_id: int | None = None
    prev_hash = GENESIS
    count = 0
    pinned_seen = False
    for row in rows:
        event_id = int(row["id"])
        if row["prev_id"] != prev_id:
            head = prev_id or 0
            if row["prev_id"] is not None and (prev_id is None or row["prev_id"] > prev_id):
                # it links to an event that is not there: that one was deleted
                return Verdict(count, head, prev_hash, f"event {row['prev_id']} is missing", int(row["prev_id"]))
            return Verdict(count, head, prev_hash, f"event {event_id} does not match its hash", event_id)
        computed = event_hash(prev_hash, row)
        if computed != row["hash"]:
            return Verdict(count, prev_id or 0, prev_hash, f"event {event_id} does not match its hash", event_id)
        if pinned is not None and event_id == pinned[0]:
            if computed != pinned[1]:
                return Verdict(
                    count, prev_id or 0, prev_hash, f"event {event_id} does not match the pinned head", event_id
                )
            pinned_seen = True
        prev_id, prev_hash = event_id, computed
        count += 1
    if pinned is not None and not pinned_seen:
        return Verdict(count, prev_id or 0, prev_hash, f"event {pinned[0]} is missing", pinned[0])
    return Verdict(count, prev_id or 0, prev_hash)
