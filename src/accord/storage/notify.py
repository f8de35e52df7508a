"""Wake-ups for blocking waits: one watcher per process, fed by LISTEN/NOTIFY or the events high-water mark.

A waiter subscribes to event refs *before* reading state, then sleeps until an event with one of its refs
commits (or its timeout passes) and reads again: no lost wake-ups, no re-tallying in a sleep loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from accord.storage.engine import is_sqlite, sqlite_path
from accord.storage.repositories import EventRepository

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05  # SPEC §8: the SQLite high-water mark is checked at most every 50 ms
# On a SQLite file, `PRAGMA data_version` (no table read, no disk I/O: it says whether any other connection
# committed) is asked this often, and the high-water mark read only when it moved: a commit in another process
# wakes its waiters within ~10 ms instead of up to 50 ms, for less work than a read every 50 ms.
VERSION_SECONDS = 0.01
CHANNEL = "accord_events"


class Subscription:
    """A waiter's interest in some event refs (None: every event)."""

    def __init__(self, hub: EventHub, refs: frozenset[str] | None) -> None:
        self.hub = hub
        self.refs = refs
        self._flag = threading.Event()
        self._async: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()

    def matches(self, ref: str | None) -> bool:
        return self.refs is None or (ref is not None and ref in self.refs)

    def fire(self) -> None:
        with self._lock:
            self._flag.set()
            waiters = list(self._async)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # the loop may have closed
                loop.call_soon_threadsafe(event.set)

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a matching event arrived (then re-arm)."""
        fired = self._flag.wait(max(timeout, 0))
        self._flag.clear()
        return fired

    async def wait_async(self, timeout: float) -> bool:
        """Await up to `timeout` seconds without blocking the event loop."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._flag.is_set():
                self._flag.clear()
                return True
            self._async.append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0))
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._async.remove(entry)
                self._flag.clear()

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DataVersion:
    """Whether another connection (any process) committed to a SQLite file since the last look."""

    def __init__(self, path: Path) -> None:
        self._conn: sqlite3.Connection | None = None
        self._path = path
        self._last: int | None = None

    def changed(self) -> bool:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"{self._path.as_uri()}?mode=rw", uri=True, isolation_level=None)
            value = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:  # say "changed": the high-water read that follows reports and retries
            self.close()
            return True
        moved, self._last = value != self._last, value
        return moved

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class EventHub:
    """Fans committed events out to this process's waiters; works across processes and replicas."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._high_water: int | None = None

    def subscribe(self, refs: Iterable[str] | None) -> Subscription:
        """Interest in events with these refs (None: all), effective for every event committed from now on."""
        sub = Subscription(self, None if refs is None else frozenset(refs))
        if self._high_water is None:
            # Fix the starting point before the caller reads its state, so no later event can be missed.
            with self.engine.connect() as conn:
                self._high_water = EventRepository(conn).high_water()
        with self._lock:
            self._subs.add(sub)
            if self._thread is None or not self._thread.is_alive():
                self._start()
        return sub

    @property
    def high_water(self) -> int:
        """The newest event id this hub has seen commit (0 before it has looked)."""
        return self._high_water or 0

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def poke(self) -> None:
        """A commit in this process: look now instead of at the next poll."""
        self._poke.set()

    def close(self) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _start(self) -> None:
        self._stop.clear()
        target = self._poll_sqlite if is_sqlite(self.engine) else self._listen_postgres
        self._thread = threading.Thread(target=target, name="accord-events", daemon=True)
        self._thread.start()

    def _dispatch(self, events: Iterable[tuple[int, str | None]]) -> None:
        with self._lock:
            subs = list(self._subs)
        for event_id, ref in events:
            if self._high_water is None or event_id > self._high_water:
                self._high_water = event_id
            for sub in subs:
                if sub.matches(ref):
                    sub.fire()

    def _read_since(self) -> list[tuple[int, str | None]]:
        with self.engine.connect() as conn:
            repo = EventRepository(conn)
            if self._high_water is None:
                self._high_water = repo.high_water()
                return []
            if repo.high_water() <= self._high_water:  # one indexed read while nothing happens
                return []
            return repo.refs_since(self._high_water)

    def _poll_sqlite(self) -> None:
        path = sqlite_path(self.engine.url)
        version = _DataVersion(path) if path is not None else None  # in memory: only this process writes
        interval = VERSION_SECONDS if version is not None else POLL_SECONDS
        changed = True
        try:
            while not self._stop.is_set():
                try:
                    if changed:
                        self._dispatch(self._read_since())
                except Exception:  # keep waking waiters even if one read fails (e.g. a locked file)
                    log.exception("event poll failed")
                poked = self._poke.wait(interval)
                self._poke.clear()
                changed = poked or version is None or version.changed()
        finally:
            if version is not None:
                version.close()

    def _listen_postgres(self) -> None:
        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._dispatch(self._read_since())  # catch up on what happened before LISTEN
                    self._wake_all()  # after a reconnect, every waiter re-reads its state
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            event_id, _, ref = note.payload.partition("|")
                            self._dispatch([(int(event_id), ref or None)])
            except Exception:
                log.exception("LISTEN connection lost; reconnecting")
                self._stop.wait(0.5)

    def _wake_all(self) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.fire()
