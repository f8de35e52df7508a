"""The event log as a feed (SPEC §8): what happened after an id, optionally waiting for more."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.domain import limits
from accord.domain.errors import ValidationError
from accord.domain.members import Member
from accord.services import holding
from accord.services.access import visible_groups
from accord.services.context import Context
from accord.storage.notify import Subscription

log = logging.getLogger(__name__)

MAX_FEED_WAIT = 300
TAIL_EVENTS = 4096  # events the shared tail keeps; a feed further behind reads on its own until it catches up
TAIL_READ = 500  # events the shared tail reads per query


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


class SharedEvent:
    """One committed event as every feed shows it, built once; `encoded(fn)` memoizes a face's encoding of it
    (an SSE message), so a thousand streams write the same bytes encoded once."""

    def __init__(self, row: dict[str, Any], readers: set[str] | None = None) -> None:
        self.view = event_view(row)
        self.id: int = self.view["id"]
        self.group: str | None = self.view["group"]
        self.type: str = self.view["type"]
        self.ref: str | None = self.view["ref"]
        self.readers = readers  # a direct message's events: its two members only (None: the whole group)
        self._encoded: dict[Callable[[dict[str, Any]], bytes], bytes] = {}

    def encoded(self, encode: Callable[[dict[str, Any]], bytes]) -> bytes:
        found = self._encoded.get(encode)
        if found is None:
            found = self._encoded[encode] = encode(self.view)
        return found


def event_visible(event: SharedEvent, groups: Sequence[str] | None, viewer: str | None = None) -> bool:
    """The per-caller check of the shared feed: an event of one of the caller's groups (None: an administrator,
    every event) and, when restricted to some readers, `viewer` among them; exactly what `EventRepository.since`
    selects for that caller."""
    if groups is None:
        return True
    if event.group is None or event.group not in groups:
        return False
    return event.readers is None or viewer is None or viewer in event.readers


def ends_hold(ref: str | None, actor: Member) -> bool:
    """Whether an event may end `actor`'s hold of a feed: one about its tokens (`member:<name>`)."""
    return ref is not None and ref in holding.watch_refs(actor)


def changes_visibility(event: SharedEvent) -> bool:
    """Whether a feed must re-read its caller's groups before showing this or any later event."""
    return event.type.startswith("group.member_")


@dataclass
class _Tail:
    """The newest events for every feed on one event loop: one subscription, one read per wake."""

    floor: int  # every event with a higher id that has committed is in `events` (once read)
    events: deque[SharedEvent] = field(default_factory=lambda: deque(maxlen=TAIL_EVENTS))
    arrived: asyncio.Future[None] | None = None
    feeds: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def top(self) -> int:
        return self.events[-1].id if self.events else self.floor

    def after(self, cursor: int) -> list[SharedEvent]:
        return [e for e in self.events if e.id > cursor]

    def oldest(self) -> int:
        """The highest id below which this tail may be missing events (dropped from the deque)."""
        return self.events[0].id - 1 if self.events and len(self.events) == self.events.maxlen else self.floor


class EventService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._tails: dict[int, _Tail] = {}
        self._lock = threading.Lock()

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

    async def stream(
        self, actor: Member, after: int, encode: Callable[[dict[str, Any]], bytes], wait: float = 10
    ) -> AsyncIterator[tuple[int, bytes | None]]:
        """Every event of the caller's groups after id `after`, live and for good (SPEC §8): yields (id, bytes)
        with `encode(event view)`, or (cursor, None) when `wait` seconds pass with nothing new (a keep-alive).

        Shared (SPEC §8 rev. 2): the live part comes from one tail per process and event loop that reads each
        new event once and encodes it once for every stream; each stream shows only what its caller may see
        (`event_visible`), re-reading the caller's groups whenever a membership changes. A stream further behind
        than the tail reads on its own until it catches up. ValidationError for `after` < 0.

        Held (SPEC §8 rev. 2): raises the AuthError the stream ends with once the caller's token is revoked (an
        event about its tokens makes it check) or expires (no sleep goes past the expiry instant); a group it
        left drops out of what it shows."""
        if after < 0:
            raise ValidationError("after must be ≥ 0", field="after")
        loop = asyncio.get_running_loop()
        tail = await self._join(loop)
        cursor = after
        viewer = None if actor.is_admin else actor.name
        try:
            groups = await asyncio.to_thread(self._groups, actor)
            while True:
                if cursor < tail.oldest():  # behind the tail: catch up with the caller's own reads
                    floor = tail.oldest()
                    rows = await asyncio.to_thread(self._held_since, actor, cursor, TAIL_READ)
                    caught_up = len(rows) < TAIL_READ
                    for row in rows:
                        if row["id"] > floor:  # from here on the tail has it
                            caught_up = True
                            break
                        cursor = row["id"]
                        yield cursor, encode(row)
                    if caught_up:
                        cursor = max(cursor, floor)
                    continue
                fresh = tail.after(cursor)
                if not fresh:
                    if tail.arrived is None or tail.arrived.done():
                        tail.arrived = loop.create_future()
                    try:
                        await asyncio.wait_for(asyncio.shield(tail.arrived), timeout=holding.cap(self.ctx, actor, wait))
                    except TimeoutError:
                        holding.unexpired(self.ctx, actor)  # no read: the expiry instant
                        yield cursor, None
                    continue
                for event in fresh:
                    if ends_hold(event.ref, actor):
                        await asyncio.to_thread(holding.check, self.ctx, actor)
                    if changes_visibility(event):
                        groups = await asyncio.to_thread(self._groups, actor)
                    cursor = event.id
                    if event_visible(event, groups, viewer):
                        yield cursor, event.encoded(encode)
        finally:
            self._leave(loop, tail)

    def _groups(self, actor: Member) -> list[str] | None:
        with self.ctx.uow(write=False) as uow:
            return visible_groups(uow, actor)

    async def _join(self, loop: asyncio.AbstractEventLoop) -> _Tail:
        with self._lock:
            tail = self._tails.get(id(loop))
            if tail is not None:
                tail.feeds += 1
                return tail
        sub = self.ctx.hub.subscribe(None)  # before the floor is read: no later event is missed
        try:
            floor = await asyncio.to_thread(self._high_water)
        except BaseException:
            sub.close()
            raise
        with self._lock:
            tail = self._tails.get(id(loop))
            if tail is not None:  # another feed started one meanwhile
                sub.close()
                tail.feeds += 1
                return tail
            tail = self._tails[id(loop)] = _Tail(floor=floor, feeds=1)
            tail.task = loop.create_task(self._follow(tail, sub))
        return tail

    def _leave(self, loop: asyncio.AbstractEventLoop, tail: _Tail) -> None:
        with self._lock:
            tail.feeds -= 1
            if tail.feeds == 0 and self._tails.get(id(loop)) is tail:
                del self._tails[id(loop)]
                if tail.task is not None:
                    tail.task.cancel()

    def _high_water(self) -> int:
        with self.ctx.uow(write=False) as uow:
            return uow.events.high_water()

    def _read_after(self, after: int) -> list[SharedEvent]:
        with self.ctx.uow(write=False) as uow:
            rows = uow.events.since(after, None, TAIL_READ)
            readers = uow.events.readers([r["id"] for r in rows])
        return [SharedEvent(r, readers.get(r["id"])) for r in rows]

    async def _follow(self, tail: _Tail, sub: Subscription) -> None:
        """The tail's one reader: on each wake, read what committed since its top, once, for every feed."""
        with sub:
            while True:
                await sub.wait_async(MAX_FEED_WAIT)
                while True:
                    try:
                        batch = await asyncio.to_thread(self._read_after, tail.top)
                    except asyncio.CancelledError:
                        raise
                    except Exception:  # a passing store error: the next wake (or poll) reads again
                        log.exception("event tail read failed")
                        break
                    tail.events.extend(batch)
                    if batch and tail.arrived is not None and not tail.arrived.done():
                        tail.arrived.set_result(None)
                    if len(batch) < TAIL_READ:
                        break

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
