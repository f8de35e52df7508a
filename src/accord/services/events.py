"""The event log as a feed (SPEC §8): what happened after an id, optionally waiting for more."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from accord.domain import limits
from accord.domain.members import Member
from accord.services import holding
from accord.services.access import visible_groups
from accord.services.context import Context

MAX_FEED_WAIT = 300


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"].isoformat(),
        "type": row["type"],
        "actor": row["actor"],
        "group": row["group_name"],
        "ref": row["ref"],
        "data": row["data"],
        "prev_id": row["prev_id"],
        "hash": row["hash"],
    }


class EventService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def since(
        self, actor: Member, after: int = 0, limit: int = 100, ref: str | None = None, *, latest: bool = False
    ) -> list[dict[str, Any]]:
        """Events of the caller's groups after id `after`, oldest first (every event for an administrator);
        with `latest`, the newest `limit` of them, still oldest first."""
        limits.integer(after, "after")
        limits.integer(limit, "limit", low=1, high=500)
        with self.ctx.uow(write=False) as uow:
            groups = visible_groups(uow, actor)
            viewer = None if actor.is_admin else actor.name  # a direct message's events: its two members only
            rows = uow.events.since(after, groups, limit, ref, latest=latest, viewer=viewer)
        return [event_view(r) for r in rows]

    def feed(self, actor: Member, after: int, wait: float, limit: int = 100) -> list[dict[str, Any]]:
        """`since`, but when nothing is there yet, block up to `wait` seconds for the next events."""
        _check_wait(wait)
        end = time.monotonic() + wait
        with self.ctx.hub.subscribe(None) as sub:
            while True:
                events = self._held_since(actor, after, limit)
                remaining = end - time.monotonic()
                if events or remaining <= 0:
                    return events
                sub.wait(holding.cap(self.ctx, actor, remaining))

    async def feed_async(self, actor: Member, after: int, wait: float, limit: int = 100) -> list[dict[str, Any]]:
        _check_wait(wait)
        end = time.monotonic() + wait
        with self.ctx.hub.subscribe(None) as sub:
            while True:
                events = await asyncio.to_thread(self._held_since, actor, after, limit)
                remaining = end - time.monotonic()
                if events or remaining <= 0:
                    return events
                await sub.wait_async(holding.cap(self.ctx, actor, remaining))

    def _held_since(self, actor: Member, after: int, limit: int) -> list[dict[str, Any]]:
        """A held feed's read: AuthError once the caller's token was revoked or expired (SPEC §8 rev. 2); a
        group the caller left drops out of `since` by itself."""
        holding.check(self.ctx, actor)
        return self.since(actor, after, limit)

    def audit(
        self, actor: Member, ref: str | None = None, after: int = 0, limit: int = 100, latest: int | None = None
    ) -> list[dict[str, Any]]:
        """The audit log: every event, or those about one thing (a proposal id, `group:NAME`, ...), oldest first:
        the first `limit` after id `after`, or with `latest` = N the newest N (1-500; `tail` of the log).
        ValidationError naming the field when out of range."""
        if latest is not None:
            limits.integer(latest, "latest", low=1, high=500)
            return self.since(actor, after, latest, ref, latest=True)
        return self.since(actor, after, limit, ref)


def _check_wait(wait: float) -> None:
    limits.wait_seconds(wait, "wait", high=MAX_FEED_WAIT)
