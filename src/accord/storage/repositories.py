"""Queries for members, groups, events and messages; nothing outside storage/ writes SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from accord.domain.members import Member, Membership, VotingSettings
from accord.storage import tables as t
from accord.storage.identity_tables import event_readers


class MemberRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, member: Member, at: datetime) -> None:
        self.conn.execute(
            insert(t.members).values(name=member.name, kind=member.kind, is_admin=member.is_admin, created_at=at)
        )

    def get(self, name: str) -> Member | None:
        row = self.conn.execute(select(t.members).where(t.members.c.name == name)).mappings().first()
        return _member(row) if row else None

    def all(self) -> list[Member]:
        rows = self.conn.execute(select(t.members).order_by(t.members.c.name)).mappings()
        return [_member(r) for r in rows]


def _member(row: RowMapping) -> Member:
    return Member(name=row["name"], kind=row["kind"], is_admin=bool(row["is_admin"]))


class GroupRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, name: str, description: str, created_by: str, at: datetime) -> None:
        self.conn.execute(
            insert(t.groups).values(name=name, description=description, created_by=created_by, created_at=at)
        )

    def get(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(t.groups).where(t.groups.c.name == name)).mappings().first()
        return dict(row) if row else None

    def all(self, member: str | None) -> list[dict[str, Any]]:
        """Every group, or only the groups `member` belongs to."""
        query = select(t.groups).order_by(t.groups.c.name)
        if member is not None:
            query = query.join(t.memberships, t.memberships.c.group_name == t.groups.c.name).where(
                t.memberships.c.member == member
            )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def set_policy(self, name: str, **values: Any) -> None:
        self.conn.execute(update(t.groups).where(t.groups.c.name == name).values(**values))

    def membership(self, group: str, member: str) -> Membership | None:
        row = (
            self.conn.execute(
                select(t.memberships, t.members.c.kind)
                .join(t.members, t.members.c.name == t.memberships.c.member)
                .where(t.memberships.c.group_name == group, t.memberships.c.member == member)
            )
            .mappings()
            .first()
        )
        return _membership(row) if row else None

    def memberships(self, group: str) -> list[Membership]:
        rows = self.conn.execute(
            select(t.memberships, t.members.c.kind)
            .join(t.members, t.members.c.name == t.memberships.c.member)
            .where(t.memberships.c.group_name == group)
            .order_by(t.memberships.c.member)
        ).mappings()
        return [_membership(r) for r in rows]

    def groups_of(self, member: str) -> list[str]:
        rows = self.conn.execute(select(t.memberships.c.group_name).where(t.memberships.c.member == member))
        return sorted(r[0] for r in rows)

    def put_membership(self, m: Membership, at: datetime) -> bool:
        """Insert or update a membership; True when it was new."""
        values = {
            "role": m.role,
            "weight": m.settings.weight,
            "advisory": m.settings.advisory,
            "veto": m.settings.veto,
            "expertise": list(m.settings.expertise),
        }
        updated = self.conn.execute(
            update(t.memberships)
            .where(t.memberships.c.group_name == m.group, t.memberships.c.member == m.member)
            .values(**values)
        )
        if updated.rowcount:
            return False
        self.conn.execute(insert(t.memberships).values(group_name=m.group, member=m.member, joined_at=at, **values))
        return True

    def remove_membership(self, group: str, member: str) -> bool:
        result = self.conn.execute(
            delete(t.memberships).where(t.memberships.c.group_name == group, t.memberships.c.member == member)
        )
        return bool(result.rowcount)


def _membership(row: RowMapping) -> Membership:
    return Membership(
        group=row["group_name"],
        member=row["member"],
        kind=row["kind"],
        role=row["role"],
        settings=VotingSettings(
            weight=Fraction(row["weight"]),
            advisory=bool(row["advisory"]),
            veto=bool(row["veto"]),
            expertise=tuple(row["expertise"] or ()),
        ),
    )


class EventRepository:
    """Reading the append-only event log (appends: `storage.event_log.EventLog`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def high_water(self) -> int:
        return int(self.conn.execute(select(func.coalesce(func.max(t.events.c.id), 0))).scalar_one())

    def since(
        self,
        after: int,
        groups: Sequence[str] | None,
        limit: int = 500,
        ref: str | None = None,
        *,
        latest: bool = False,
        viewer: str | None = None,
    ) -> list[dict[str, Any]]:
        """Events after id `after`, oldest first; only those of `groups`, or about `ref`, when given. With
        `latest`, the newest `limit` of them (still listed oldest first). With `viewer`, events restricted to
        some readers (a direct message's, SPEC §8 rev. 2) only when `viewer` is one of them."""
        order = t.events.c.id.desc() if latest else t.events.c.id
        query = select(t.events).where(t.events.c.id > after).order_by(order).limit(limit)
        if ref is not None:
            query = query.where(t.events.c.ref == ref)
        if groups is not None:
            query = query.where(t.events.c.group_name.in_(list(groups)))
        if viewer is not None:
            readers = select(event_readers.c.event_id).where(event_readers.c.event_id == t.events.c.id)
            query = query.where(or_(~readers.exists(), readers.where(event_readers.c.member == viewer).exists()))
        rows = [dict(r) for r in self.conn.execute(query).mappings()]
        return rows[::-1] if latest else rows

    def readers(self, event_ids: Sequence[int]) -> dict[int, set[str]]:
        """The readers of those of `event_ids` that are restricted (absent: readable by their group)."""
        found: dict[int, set[str]] = {}
        if event_ids:
            query = select(event_readers).where(event_readers.c.event_id.in_(list(event_ids)))
            for row in self.conn.execute(query):
                found.setdefault(int(row[0]), set()).add(row[1])
        return found

    def refs_since(self, after: int) -> list[tuple[int, str | None]]:
        rows = self.conn.execute(
            select(t.events.c.id, t.events.c.ref).where(t.events.c.id > after).order_by(t.events.c.id)
        )
        return [(int(r[0]), r[1]) for r in rows]


class MessageRepository:
    """Inbox messages and their per-recipient deliveries."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, message: dict[str, Any], recipients: Sequence[str]) -> None:
        self.conn.execute(insert(t.messages).values(**message))
        if recipients:
            self.conn.execute(insert(t.deliveries), [{"message_id": message["id"], "member": m} for m in recipients])
