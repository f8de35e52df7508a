"""SPEC §13: bad input is refused before any write begins, so it never waits for, or holds, the store's lock.

Another connection holds the SQLite file's write lock throughout: a check made inside a write transaction would
wait for it and end in "database is locked"; the bounded checks answer at once with the ValidationError."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.domain.errors import ValidationError
from tests.support import World


def test_refusals_never_wait_for_the_write_lock(sqlite_url: str, clock: FixedClock) -> None:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", {"a1": {"role": "owner"}, "a2": {}})
    pid = world.api("a1").create_proposal("team", "Question")["id"]
    a1, a2 = world.api("a1"), world.api("a2")
    holder = sqlite3.connect(Path(sqlite_url.removeprefix("sqlite:///")), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        refusals: list[tuple[Callable[[], object], str]] = [
            (lambda: a2.cast_vote(pid, "yes", confidence="1e10000000"), "confidence must be a decimal number"),
            (lambda: a2.cast_vote(pid, "yes", comment="a\x00b"), "comment must be valid Unicode text"),
            (lambda: a1.create_proposal("team", "x\ud800y"), "title must be valid Unicode text"),
            (lambda: a1.create_proposal("team", "Q", deadline_hours=1e15), "deadline_hours must be greater than 0"),
            (lambda: a1.create_proposal("team", "Q", min_votes=2**70), "min_votes must be a whole number from 0"),
            (lambda: a1.set_group_policy("team", irreversible_pattern="a" * 257), "at most 256 allowed"),
            (lambda: a1.set_group_policy("team", default_timeout_seconds=2**70), "from 1 to 2678400"),
        ]
        for call, message in refusals:
            with pytest.raises(ValidationError, match=message):
                call()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert world.api("admin").get_proposal(pid)["votes"] == []
    services.close()
