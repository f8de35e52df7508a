"""Queries for reaching people (SPEC §11): channels, time zones, sign-in links, the reminder ladder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from accord.storage import tables as t
from accord.storage.reach_tables import member_channels, member_time_zones, proposal_ladder, signin_keys, signin_links


class ReachRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- channels ------------------------------------------------------------------------------------------

    def add_channel(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(member_channels).values(**row))

    def channels(self, members: Sequence[str]) -> list[dict[str, Any]]:
        """The channels of `members`, oldest first."""
        if not members:
            return []
        query = (
            select(member_channels)
            .where(member_channels.c.member.in_(list(members)))
            .order_by(member_channels.c.created_at, member_channels.c.id)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(member_channels).where(member_channels.c.id == channel_id)).mappings().first()
        return dict(row) if row else None

    def remove_channel(self, channel_id: str) -> int:
        return self.conn.execute(delete(member_channels).where(member_channels.c.id == channel_id)).rowcount

    # -- time zones ----------------------------------------------------------------------------------------

    def time_zones(self, members: Sequence[str]) -> dict[str, str]:
        if not members:
            return {}
        query = select(member_time_zones).where(member_time_zones.c.member.in_(list(members)))
        return {r["member"]: r["time_zone"] for r in self.conn.execute(query).mappings()}

    def set_time_zone(self, member: str, time_zone: str | None) -> None:
        self.conn.execute(delete(member_time_zones).where(member_time_zones.c.member == member))
        if time_zone is not None:
            self.conn.execute(insert(member_time_zones).values(member=member, time_zone=time_zone))

    # -- sign-in links -------------------------------------------------------------------------------------

    def signin_secret(self, make: str, at: datetime) -> str:
        """The store's sign-in link key, made from `make` by the first caller (concurrent makers agree)."""
        found = self.conn.execute(select(signin_keys.c.secret).where(signin_keys.c.id == 1)).scalar()
        if found is not None:
            return str(found)
        self._insert_ignoring_conflict(signin_keys, {"id": 1, "secret": make, "created_at": at})
        return str(self.conn.execute(select(signin_keys.c.secret).where(signin_keys.c.id == 1)).scalar_one())

    def signin_secret_or_none(self) -> str | None:
        found = self.conn.execute(select(signin_keys.c.secret).where(signin_keys.c.id == 1)).scalar()
        return None if found is None else str(found)

    def add_link(self, link_id: str, member: str, next_path: str, at: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            insert(signin_links).values(
                id=link_id, member=member, next_path=next_path, created_at=at, expires_at=expires_at
            )
        )

    def link(self, link_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(signin_links).where(signin_links.c.id == link_id)).mappings().first()
        return dict(row) if row else None

    def use_link(self, link_id: str, at: datetime) -> bool:
        """Mark the link used; False when it already was (the one UPDATE that wins decides)."""
        result = self.conn.execute(
            update(signin_links)
            .where(signin_links.c.id == link_id, signin_links.c.used_at.is_(None))
            .values(used_at=at)
        )
        return result.rowcount == 1

    def forget_links(self, expired_before: datetime) -> int:
        return self.conn.execute(delete(signin_links).where(signin_links.c.expires_at < expired_before)).rowcount

    def tokens_revoked_since(self, member: str, since: datetime) -> bool:
        """Whether any token of `member` was revoked at or after `since`, or it holds no live token."""
        revoked = self.conn.execute(
            select(t.tokens.c.id)
            .where(t.tokens.c.member == member, t.tokens.c.revoked_at.is_not(None), t.tokens.c.revoked_at >= since)
            .limit(1)
        ).first()
        live = self.conn.execute(
            select(t.tokens.c.id).where(t.tokens.c.member == member, t.tokens.c.revoked_at.is_(None)).limit(1)
        ).first()
        return revoked is not None or live is None

    # -- the reminder ladder -------------------------------------------------------------------------------

    def ladder_candidates(self, limit: int = 500) -> list[dict[str, Any]]:
        """Open proposals and gates of groups with a reminder or escalation policy, with the steps already done
        (keys id, kind, created_at, deadline, remind_after_seconds, escalate_after_seconds, done)."""
        p, g = t.proposals, t.groups
        query = (
            select(
                p.c.id,
                p.c.kind,
                p.c.created_at,
                p.c.deadline,
                g.c.remind_after_seconds,
                g.c.escalate_after_seconds,
            )
            .join(g, g.c.name == p.c.group_name)
            .where(
                p.c.status == "open",
                or_(g.c.remind_after_seconds.is_not(None), g.c.escalate_after_seconds.is_not(None)),
            )
            .order_by(p.c.created_at)
            .limit(limit)
        )
        rows = [dict(r) for r in self.conn.execute(query).mappings()]
        if not rows:
            return rows
        marks = self.conn.execute(
            select(proposal_ladder.c.proposal_id, proposal_ladder.c.step).where(
                proposal_ladder.c.proposal_id.in_([r["id"] for r in rows])
            )
        ).all()
        done: dict[str, set[str]] = {}
        for proposal_id, step in marks:
            done.setdefault(proposal_id, set()).add(step)
        for r in rows:
            r["done"] = done.get(r["id"], set())
        return rows

    def gates_past_timeout(self, now: datetime, limit: int = 500) -> list[str]:
        """Open gates whose timeout has passed (closed by the sweeper as they stood at their timeout)."""
        p = t.proposals
        query = (
            select(p.c.id)
            .where(p.c.kind == "gate", p.c.status == "open", p.c.deadline.is_not(None), p.c.deadline <= now)
            .order_by(p.c.deadline)
            .limit(limit)
        )
        return [str(r[0]) for r in self.conn.execute(query)]

    def mark_step(self, proposal_id: str, step: str, at: datetime) -> bool:
        """Record a ladder step; False when it was already done (by this or another sweeper)."""
        exists = self.conn.execute(
            select(proposal_ladder.c.at).where(
                and_(proposal_ladder.c.proposal_id == proposal_id, proposal_ladder.c.step == step)
            )
        ).first()
        if exists is not None:
            return False
        return self._insert_ignoring_conflict(proposal_ladder, {"proposal_id": proposal_id, "step": step, "at": at})

    def _insert_ignoring_conflict(self, table: Any, values: dict[str, Any]) -> bool:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        key = next(iter(table.primary_key.columns))
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(key)
        return self.conn.execute(statement).first() is not None
