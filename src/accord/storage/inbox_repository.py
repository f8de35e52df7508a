"""Inbox queries: a recipient's pending deliveries, taken exactly once, and task claims on messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.engine import Connection

from accord.storage import tables as t

m, d = t.messages, t.deliveries


def _live(now: datetime) -> ColumnElement[bool]:
    """Not expired (expired messages are never delivered)."""
    return or_(m.c.expires_at.is_(None), m.c.expires_at > now)


def _open_to(member: str, now: datetime) -> ColumnElement[bool]:
    """Not completed, and not held by someone else's live claim (an expired claim returns by itself)."""
    claimed_by_other = and_(m.c.claimed_by.is_not(None), m.c.claimed_by != member, m.c.claim_expires_at > now)
    return and_(m.c.completed_at.is_(None), ~claimed_by_other)


class InboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _mine(self, member: str, groups: Sequence[str] | None) -> Select[Any]:
        query = select(m, d.c.id.label("delivery_id"), d.c.read_at).join(d, d.c.message_id == m.c.id)
        query = query.where(d.c.member == member)
        if groups is not None:
            query = query.where(m.c.group_name.in_(list(groups)))
        return query

    def next_pending(
        self,
        member: str,
        groups: Sequence[str] | None,
        now: datetime,
        *,
        type: str | None = None,
        subject: str | None = None,
        take: bool = False,
    ) -> dict[str, Any] | None:
        """The oldest unread, unexpired message for `member`; with `take`, its delivery row is locked
        (PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent receivers each get a different one; SQLite's
        write transactions are already serialized by BEGIN IMMEDIATE)."""
        query = (
            self._mine(member, groups)
            .where(d.c.read_at.is_(None), _live(now), _open_to(member, now))
            .order_by(d.c.id)
            .limit(1)
        )
        if type is not None:
            query = query.where(m.c.type == type)
        if subject is not None:
            query = query.where(m.c.subject == subject)
        if take and self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=d)
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def mark_read(self, delivery_id: int, now: datetime) -> bool:
        result = self.conn.execute(update(d).where(d.c.id == delivery_id, d.c.read_at.is_(None)).values(read_at=now))
        return bool(result.rowcount)

    def mark_read_for(self, message_id: str, member: str, now: datetime) -> None:
        self.conn.execute(
            update(d)
            .where(d.c.message_id == message_id, d.c.member == member, d.c.read_at.is_(None))
            .values(read_at=now)
        )

    def listing(
        self,
        member: str,
        groups: Sequence[str] | None,
        now: datetime,
        *,
        since: datetime | None,
        unread_only: bool,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Unexpired messages for `member`, newest first."""
        query = self._mine(member, groups).where(_live(now)).order_by(d.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(m.c.created_at > since)
        if unread_only:
            query = query.where(d.c.read_at.is_(None))
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def for_member(self, message_id: str, member: str, *, lock: bool = False) -> dict[str, Any] | None:
        """A message as one of its recipients sees it; None when `member` is not a recipient."""
        query = self._mine(member, None).where(m.c.id == message_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update(of=m)
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def set_claim(self, message_id: str, member: str | None, until: datetime | None) -> None:
        self.conn.execute(update(m).where(m.c.id == message_id).values(claimed_by=member, claim_expires_at=until))

    def complete(self, message_id: str, at: datetime, response: str | None) -> None:
        self.conn.execute(update(m).where(m.c.id == message_id).values(completed_at=at, response=response))

    def unread_recipients(self, message_id: str) -> list[str]:
        rows = self.conn.execute(select(d.c.member).where(d.c.message_id == message_id, d.c.read_at.is_(None)))
        return sorted(r[0] for r in rows)

    def next_claim_return(self, member: str, groups: Sequence[str] | None, now: datetime) -> datetime | None:
        """When the earliest claim held by someone else on one of `member`'s unread messages runs out."""
        query = (
            select(func.min(m.c.claim_expires_at))
            .join(d, d.c.message_id == m.c.id)
            .where(
                d.c.member == member,
                d.c.read_at.is_(None),
                _live(now),
                m.c.completed_at.is_(None),
                m.c.claimed_by.is_not(None),
                m.c.claimed_by != member,
                m.c.claim_expires_at > now,
            )
        )
        if groups is not None:
            query = query.where(m.c.group_name.in_(list(groups)))
        value: datetime | None = self.conn.execute(query).scalar_one_or_none()  # min() keeps the UTC type
        return value
