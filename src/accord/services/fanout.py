"""Fan-out (SPEC §8 rev. 2): many callers waiting on the same thing share one read and one encoding of it.

Per event loop and per key (a proposal or gate request id) one *watch* subscribes to the event hub, reads the
state with `read(key)` in a worker thread, and sleeps on its subscription until the state is decided; then it
publishes that one `Reading` to every waiter. Each waiter is checked on its own (`WaitBoard.admit`: may this
caller still see it?) before it gets the shared view and bytes, so a member removed from the group meanwhile
gets its refusal, never the decision. A thousand waiters cost one subscription, one read per event and one
JSON encoding, instead of a thousand of each.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accord.domain.members import Member
from accord.storage.notify import EventHub

HOLD_SECONDS = 0.1  # the longest a wake-up waits for the deciding request's own answer
IDLE_RECHECK_SECONDS = 10.0  # a watch re-reads at least this often even when no event came (e.g. a lost wake)


def encode(view: dict[str, Any]) -> bytes:
    """JSON as every REST answer has it (FastAPI's JSONResponse: UTF-8, compact separators)."""
    return json.dumps(view, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class Shared:
    """One view handed to many callers: read once, encoded once (`body`) on first use. Never mutate `view`."""

    def __init__(self, view: dict[str, Any]) -> None:
        self.view = view
        self._lock = threading.Lock()

    @cached_property
    def body(self) -> bytes:
        """The view as JSON bytes, encoded once whoever asks first."""
        with self._lock:
            return encode(self.view)


@dataclass(frozen=True)
class Reading:
    """What one read of a waited-on thing found.

    decided: whether waiting is over. group/members: who may see it as of this read (store administrators see
    every group). sleep: seconds until it may decide without an event (a deadline), None when only an event
    can decide it. shared: the view every caller gets. state: the domain object read (for per-caller views)."""

    decided: bool
    group: str
    members: frozenset[str]
    shared: Shared
    sleep: float | None = None
    state: Any = None


Check = Callable[[Member, Reading], None]


@dataclass
class _Watch:
    done: asyncio.Future[Reading]
    waiters: int = 0
    task: asyncio.Task[None] | None = None


@dataclass
class WaitBoard:
    """Waiters of one kind (proposals, gates) in this process, grouped by key, one watch per key and loop.

    `read(key)` is a blocking read of the state as anyone may see it (no caller); `refusal(key)` the error a
    caller who may not see it gets (the same words as a direct read: "proposal X not found")."""

    hub: EventHub
    read: Callable[[str], Reading]
    refusal: Callable[[str], Exception]
    # Whether a decision is under way in this process: its request is answered before the waiters are.
    busy: Callable[[], bool] = lambda: False
    # Further per-caller checks run before a waiter gets the shared answer (e.g. that its token still holds).
    checks: list[Check] = field(default_factory=list)
    _watches: dict[tuple[int, str], _Watch] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    async def wait(self, key: str, timeout: float) -> Reading | None:
        """The decided reading of `key`, shared with every other waiter on it; None after `timeout` seconds.
        Raises what the shared read raised (e.g. UnavailableError), for every waiter alike."""
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        with self._lock:
            watch = self._watches.get(slot)
            if watch is None or (watch.done.done() and watch.done.exception() is not None):
                watch = self._watches[slot] = _Watch(loop.create_future())
                watch.task = loop.create_task(self._watch(slot, key, watch))
            watch.waiters += 1
        try:
            return await asyncio.wait_for(asyncio.shield(watch.done), timeout=max(timeout, 0))
        except TimeoutError:
            return None
        finally:
            with self._lock:
                watch.waiters -= 1
                if watch.waiters == 0 and self._watches.get(slot) is watch:
                    del self._watches[slot]
                    if watch.task is not None and not watch.task.done():
                        watch.task.cancel()

    def admit(self, caller: Member, reading: Reading, key: str) -> None:
        """The per-caller check before `caller` gets the shared answer: it may still see the group (as of the
        deciding read), then every registered check. Raises the refusal a direct read would give."""
        if not caller.is_admin and caller.name not in reading.members:
            raise self.refusal(key)
        for check in self.checks:
            check(caller, reading)

    async def _after_deciding_request(self) -> None:
        """Hold the wake-up (at most HOLD_SECONDS) while a decision in this process is still answering."""
        for _ in range(round(HOLD_SECONDS / 0.001)):
            if not self.busy():
                break
            await asyncio.sleep(0.001)
        await asyncio.sleep(0)  # its answer, scheduled now, goes out before the waiters'

    async def _watch(self, slot: tuple[int, str], key: str, watch: _Watch) -> None:
        try:
            with self.hub.subscribe([key]) as sub:  # before the first read: no deciding event is missed
                while True:
                    reading = await asyncio.to_thread(self.read, key)
                    if reading.decided:
                        await self._after_deciding_request()
                        watch.done.set_result(reading)
                        return
                    sleep = IDLE_RECHECK_SECONDS if reading.sleep is None else min(reading.sleep, IDLE_RECHECK_SECONDS)
                    await sub.wait_async(sleep)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # every waiter gets the read's error (a 503 when the store is away)
            if not watch.done.done():
                watch.done.set_exception(exc)
            watch.done.exception()  # retrieved: no "never retrieved" warning when nobody is left to await it
        finally:
            with self._lock:
                if self._watches.get(slot) is watch and watch.done.done():
                    del self._watches[slot]  # decided: the next waiter reads afresh
