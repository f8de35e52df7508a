"""SQL of the outbox (SPEC §11): enqueue, claim what is due (one taker per delivery, in order per target),
record each attempt, list and requeue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from accord.storage.outbox_tables import outbox, outbox_attempts, webhooks
from accord.storage.prepared import Prepared

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
_later = aliased(outbox)
# Run at every flush of events of a group (the vote path included): compiled once.
_ENABLED = Prepared(
    select(webhooks.c.id, webhooks.c.group_name, webhooks.c.events).where(
        webhooks.c.group_name == bindparam("group"), webhooks.c.enabled == true()
    )
)


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        """Insert one delivery (every column but `seq`)."""
        self.conn.execute(insert(outbox), row)

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(outbox), list(rows))

    def has_due(self, now: datetime) -> bool:
        """Whether any delivery may be due (a cheap read before taking the writer lock to claim)."""
        query = (
            select(outbox.c.seq)
            .where(
                outbox.c.status == PENDING,
                outbox.c.next_attempt_at <= now,
                (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until <= now),
            )
            .limit(1)
        )
        return self.conn.execute(query).first() is not None

    def claim(self, now: datetime, *, owner: str, lease: timedelta, limit: int) -> list[dict[str, Any]]:
        """Lease up to `limit` due deliveries to `owner` until `now + lease`: each the oldest pending one of
        its target (a target's deliveries go out one at a time, in order). On PostgreSQL rows another
        replica is claiming are skipped (FOR UPDATE SKIP LOCKED); on SQLite the writer lock serialises
        claims. A lease that ran out (its worker died) makes the delivery due again."""
        earlier = exists().where(
            and_(_later.c.target == outbox.c.target, _later.c.status == PENDING, _later.c.seq < outbox.c.seq)
        )
        query = (
            select(outbox)
            .where(
                outbox.c.status == PENDING,
                outbox.c.next_attempt_at <= now,
                (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until <= now),
                ~earlier,
            )
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=outbox)
        rows = [dict(r) for r in self.conn.execute(query).mappings()]
        if rows:
            self.conn.execute(
                update(outbox)
                .where(outbox.c.seq.in_([r["seq"] for r in rows]))
                .values(lease_until=now + lease, lease_owner=owner)
            )
        return rows

    def log_attempt(
        self,
        delivery_id: str,
        *,
        at: datetime,
        ok: bool,
        status_code: int | None,
        latency_ms: float,
        error: str | None,
        worker: str | None,
    ) -> None:
        self.conn.execute(
            insert(outbox_attempts).values(
                delivery_id=delivery_id,
                at=at,
                ok=ok,
                status_code=status_code,
                latency_ms=latency_ms,
                error=error,
                worker=worker,
            )
        )

    def settle(self, seq: int, owner: str, **values: Any) -> bool:
        """Update a delivery this worker still holds (its lease not taken over); False when it lost it."""
        result = self.conn.execute(
            update(outbox)
            .where(outbox.c.seq == seq, outbox.c.lease_owner == owner, outbox.c.status == PENDING)
            .values(lease_until=None, lease_owner=None, **values)
        )
        return bool(result.rowcount)

    def get(self, delivery_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(outbox).where(outbox.c.id == delivery_id)).mappings().first()
        return dict(row) if row else None

    def for_target(self, target: str, *, status: str | None, limit: int) -> list[dict[str, Any]]:
        """A target's deliveries, newest first."""
        query = select(outbox).where(outbox.c.target == target).order_by(outbox.c.seq.desc()).limit(limit)
        if status is not None:
            query = query.where(outbox.c.status == status)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each delivery's attempts, oldest first."""
        found: dict[str, list[dict[str, Any]]] = {d: [] for d in delivery_ids}
        if delivery_ids:
            query = (
                select(outbox_attempts)
                .where(outbox_attempts.c.delivery_id.in_(list(delivery_ids)))
                .order_by(outbox_attempts.c.id)
            )
            for row in self.conn.execute(query).mappings():
                found[row["delivery_id"]].append(dict(row))
        return found

    def requeue(self, delivery_id: str, *, now: datetime, give_up_at: datetime) -> None:
        """Send a delivery again from now (same id), with a fresh retry window."""
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == delivery_id)
            .values(
                status=PENDING,
                failures=0,
                next_attempt_at=now,
                give_up_at=give_up_at,
                lease_until=None,
                lease_owner=None,
                finished_at=None,
            )
        )

    def cancel_target(self, target: str, *, now: datetime, reason: str) -> int:
        """Give up every pending delivery of `target` (it was removed or disabled)."""
        result = self.conn.execute(
            update(outbox)
            .where(outbox.c.target == target, outbox.c.status == PENDING)
            .values(status=CANCELLED, finished_at=now, last_error=reason, lease_until=None, lease_owner=None)
        )
        return int(result.rowcount)

    def prune(self, before: datetime) -> int:
        """Delete deliveries that finished (delivered, failed, cancelled) before `before`, with their attempts."""
        done = select(outbox.c.id).where(outbox.c.status != PENDING, outbox.c.finished_at < before)
        self.conn.execute(outbox_attempts.delete().where(outbox_attempts.c.delivery_id.in_(done)))
        result = self.conn.execute(outbox.delete().where(outbox.c.status != PENDING, outbox.c.finished_at < before))
        return int(result.rowcount)

    def counts(self, target: str) -> dict[str, int]:
        """How many deliveries of `target` are in each status."""
        query = select(outbox.c.status, func.count()).where(outbox.c.target == target).group_by(outbox.c.status)
        return {str(status): int(n) for status, n in self.conn.execute(query)}


class WebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(webhooks), row)

    def get(self, webhook_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()
        return dict(row) if row else None

    def of_group(self, group: str) -> list[dict[str, Any]]:
        query = select(webhooks).where(webhooks.c.group_name == group).order_by(webhooks.c.created_at, webhooks.c.id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def enabled_for(self, groups: Sequence[str]) -> list[dict[str, Any]]:
        """The enabled webhooks of these groups (what an event of theirs is sent to)."""
        return [dict(row) for group in groups for row in _ENABLED.all(self.conn, {"group": group})]

    def update(self, webhook_id: str, **values: Any) -> None:
        self.conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))

    def remove(self, webhook_id: str) -> None:
        self.conn.execute(webhooks.delete().where(webhooks.c.id == webhook_id))
