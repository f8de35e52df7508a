"""The outbox and its worker (SPEC §11): what Accord tells the outside world is a row written in the same
transaction as the event that causes it, sent afterwards by a worker, retried with backoff, every attempt logged.

Adding a kind of delivery takes two things:

* a `Sender` registered under its `kind` (`services.senders.register(MySender(...))`): `send(delivery, now=)`
  does the talking and answers an `Outcome`; `settled(uow, delivery, outcome, gave_up=, now=)` (optional) runs
  in the transaction that records the attempt;
* rows written with `enqueue(conn, kind=, target=, payload=, at=)` inside the causing transaction, usually from
  an event observer (`accord.storage.event_log.observe(engine, fn)`, which sees each transaction's events
  with their ids, before COMMIT).

A target's deliveries go out one at a time, in the order they were written (event order); with several
workers (replicas on PostgreSQL, processes on one SQLite file) each delivery is leased by exactly one. A
delivery whose worker died mid-send is taken again when its lease ends, with the same id (`webhook-id`):
at-least-once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from accord.domain.outbox import RETRY_WINDOW, next_attempt
from accord.services.context import Context, jsonable
from accord.services.ids import new_id
from accord.storage.engine import is_sqlite
from accord.storage.outbox_repository import CANCELLED, DELIVERED, FAILED, PENDING, OutboxRepository
from accord.storage.uow import UnitOfWork

log = logging.getLogger("accord.outbox")
STATUSES = (PENDING, DELIVERED, FAILED, CANCELLED)
RETENTION = timedelta(days=30)  # finished deliveries (and their attempt logs) are kept this long


@dataclass(frozen=True)
class Delivery:
    """One message to send, as the worker hands it to a sender. `id` stays the same at every attempt."""

    id: str
    kind: str
    target: str
    group: str | None
    event_id: int | None
    event_type: str | None
    payload: Any
    attempts: int
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> Delivery:
        return cls(
            id=row["id"],
            kind=row["kind"],
            target=row["target"],
            group=row["group_name"],
            event_id=row["event_id"],
            event_type=row["event_type"],
            payload=row["payload"],
            attempts=row["attempts"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: `ok`, the peer's status code if it answered, an error text otherwise;
    `final` gives up at once (the target is gone) instead of retrying."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    final: bool = False


class Sender:
    """Sends the deliveries of one `kind`. Subclasses implement `send`; `settled` is optional."""

    kind: str = ""

    def send(self, delivery: Delivery, *, now: datetime) -> Outcome:
        """Try once; never raise for the peer's failures (answer `Outcome(ok=False, error=...)`)."""
        raise NotImplementedError

    def settled(self, uow: UnitOfWork, delivery: Delivery, outcome: Outcome, *, gave_up: bool, now: datetime) -> None:
        """Called in the transaction that records the attempt (`gave_up`: the delivery is now failed)."""

    def close(self) -> None:
        """Release what the sender holds (HTTP connections)."""


class Senders:
    """The registry: kind -> sender."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Sender] = {}

    def register(self, sender: Sender) -> None:
        if not sender.kind:
            raise ValueError("a sender needs a kind")
        self._by_kind[sender.kind] = sender

    def get(self, kind: str) -> Sender | None:
        return self._by_kind.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def close(self) -> None:
        for sender in self._by_kind.values():
            sender.close()


def enqueue(
    conn: Connection,
    *,
    kind: str,
    target: str,
    payload: Any,
    at: datetime,
    group: str | None = None,
    event_id: int | None = None,
    event_type: str | None = None,
    delivery_id: str | None = None,
) -> str:
    """Write one delivery in the caller's transaction (pass `uow.conn`, or the connection an event observer
    got); it is sent after COMMIT, or never if the transaction rolls back. `target` names where it goes and
    orders it: a target's deliveries are sent one at a time, oldest first ("webhook:<id>", "channel:<id>").
    `payload` is stored as JSON and given back to the sender unchanged. Returns the delivery id (`dlv_…`)."""
    delivery_id = delivery_id or new_id("dlv")
    OutboxRepository(conn).add(
        delivery_row(
            delivery_id,
            kind=kind,
            target=target,
            payload=payload,
            at=at,
            group=group,
            event_id=event_id,
            event_type=event_type,
        )
    )
    return delivery_id


def delivery_row(
    delivery_id: str,
    *,
    kind: str,
    target: str,
    payload: Any,
    at: datetime,
    group: str | None,
    event_id: int | None,
    event_type: str | None,
) -> dict[str, Any]:
    """The row `enqueue` writes (observers that write many at once use it with `OutboxRepository.add_many`)."""
    return {
        "id": delivery_id,
        "kind": kind,
        "target": target,
        "group_name": group,
        "event_id": event_id,
        "event_type": event_type,
        "payload": jsonable(payload),
        "status": PENDING,
        "attempts": 0,
        "failures": 0,
        "created_at": at,
        "next_attempt_at": at,
        "give_up_at": at + RETRY_WINDOW,
    }


def delivery_view(row: dict[str, Any], attempts: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A delivery for people: {id, kind, target, event_id, event_type, status, attempts, created_at,
    next_attempt_at (pending only), last_attempt_at, last_status, last_error, finished_at, history: [{at, ok,
    status_code, latency_ms, error}]}."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "target": row["target"],
        "group": row["group_name"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "created_at": row["created_at"].isoformat(),
        "next_attempt_at": row["next_attempt_at"].isoformat() if row["status"] == PENDING else None,
        "last_attempt_at": row["last_attempt_at"].isoformat() if row["last_attempt_at"] else None,
        "last_status": row["last_status"],
        "last_error": row["last_error"],
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
        "history": [
            {
                "at": a["at"].isoformat(),
                "ok": a["ok"],
                "status_code": a["status_code"],
                "latency_ms": round(float(a["latency_ms"]), 1),
                "error": a["error"],
            }
            for a in attempts
        ],
    }


class OutboxService:
    """Housekeeping of the outbox, run by the sweeper (`accord serve`, `accord sweep`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def sweep(self) -> dict[str, int]:
        """Delete deliveries finished more than 30 days ago, with their attempts: {"pruned": n}."""
        with self.ctx.uow() as uow:
            pruned = uow.outbox.prune(self.ctx.now() - RETENTION)
            uow.commit()
        return {"pruned": pruned}


class OutboxWorker:
    """Sends what is due: `run_once()` claims a batch and sends it (tests call it with a FixedClock, so retries
    come when the clock says); `start()` runs it in a background thread until `stop()`, waking on every
    committed event and at least every `idle` seconds for retries."""

    def __init__(
        self,
        ctx: Context,
        senders: Senders,
        *,
        lease_seconds: float = 60.0,
        batch: int = 8,
        concurrency: int = 8,
        idle: float = 1.0,
        name: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.senders = senders
        self.lease = timedelta(seconds=lease_seconds)
        # No more claimed than are sent at once: a claimed delivery starts at once, well inside its lease.
        self.batch = min(batch, max(concurrency, 1))
        self.idle = idle
        self.name = name or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.sent = 0
        self._sqlite = is_sqlite(ctx.engine)
        self._pool = ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="accord-outbox")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Claim the due deliveries (at most `batch`, one per target) and try each once; how many were tried."""
        now = self.ctx.now()
        if self._sqlite:  # a read first: claiming takes the one writer lock of the file
            with self.ctx.uow(write=False) as uow:
                if not uow.outbox.has_due(now):
                    return 0
        with self.ctx.uow() as uow:
            rows = uow.outbox.claim(now, owner=self.name, lease=self.lease, limit=self.batch)
            uow.commit()
        if len(rows) == 1:
            self._attempt(rows[0])
        elif rows:
            list(self._pool.map(self._attempt, rows))
        return len(rows)

    def drain(self, rounds: int = 100) -> int:
        """`run_once` until nothing is due (at most `rounds` times); how many attempts were made."""
        total = 0
        for _ in range(rounds):
            tried = self.run_once()
            if not tried:
                break
            total += tried
        return total

    def _attempt(self, row: dict[str, Any]) -> None:
        delivery = Delivery.of(row)
        sender = self.senders.get(delivery.kind)
        started = time.perf_counter()
        if sender is None:
            outcome = Outcome(False, error=f"no sender for kind {delivery.kind!r} in this process")
        else:
            try:
                outcome = sender.send(delivery, now=self.ctx.now())
            except Exception as exc:  # a sender's bug must not stop the worker; the attempt is logged
                log.exception("sending %s failed", delivery.id)
                outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}")
        latency_ms = (time.perf_counter() - started) * 1000
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            uow.outbox.log_attempt(
                delivery.id,
                at=now,
                ok=outcome.ok,
                status_code=outcome.status_code,
                latency_ms=latency_ms,
                error=outcome.error,
                worker=self.name,
            )
            values: dict[str, Any] = {
                "attempts": row["attempts"] + 1,
                "last_attempt_at": now,
                "last_status": outcome.status_code,
                "last_error": outcome.error,
            }
            gave_up = False
            if outcome.ok:
                values.update(status=DELIVERED, failures=0, finished_at=now)
            else:
                failures = row["failures"] + 1
                when = None if outcome.final else next_attempt(failures, now=now, give_up_at=row["give_up_at"])
                gave_up = when is None
                if gave_up:
                    values.update(status=FAILED, failures=failures, finished_at=now)
                else:
                    values.update(failures=failures, next_attempt_at=when)
            held = uow.outbox.settle(row["seq"], self.name, **values)
            if held and sender is not None:
                sender.settled(uow, delivery, outcome, gave_up=gave_up, now=now)
            uow.commit()
        if outcome.ok:
            self.sent += 1
        else:
            log.warning("delivery %s to %s failed: %s", delivery.id, delivery.target, outcome.error)

    def start(self) -> None:
        """Send in a background thread until `stop()`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="accord-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        """Stop after the round in progress (waiting up to `timeout` seconds for a background thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_forever(self) -> None:
        """Send in this thread until `stop()` is called from another (or the process ends)."""
        self._run()

    def _run(self) -> None:
        try:
            with self.ctx.hub.subscribe(None) as sub:  # before the first look, so no commit is missed
                while not self._stop.is_set():
                    try:
                        tried = self.run_once()
                    except Exception:  # the store was unavailable: log, wait, try again
                        log.exception("outbox worker round failed")
                        tried = 0
                    if not tried:
                        sub.wait(self.idle)
        finally:
            self._pool.shutdown(wait=True)
