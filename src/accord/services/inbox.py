"""The inbox (SPEC §7): send, receive exactly once, peek, list, and claim/complete/release tasks."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from accord.domain import inbox as rules
from accord.domain.errors import NotFoundError, ValidationError
from accord.domain.members import Member
from accord.services import holding
from accord.services.access import require_group, visible_groups
from accord.services.context import Context, record
from accord.services.ids import new_id
from accord.storage.inbox_repository import InboxRepository
from accord.storage.uow import UnitOfWork

MAX_WAIT_SECONDS = 3600


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _task(row: dict[str, Any]) -> rules.Task:
    return rules.Task(
        id=row["id"],
        type=row["type"],
        expires_at=row["expires_at"],
        claimed_by=row["claimed_by"],
        claim_expires_at=row["claim_expires_at"],
        completed_at=row["completed_at"],
    )


def message_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A message as its recipient sees it; `status` (pending, claimed, completed) only for tasks."""
    task = _task(row)
    is_task = row["type"] == "TASK"
    return {
        "id": row["id"],
        "group": row["group_name"],
        "from": row["sender"],
        "to": row["recipient"],
        "type": row["type"],
        "subject": row["subject"],
        "content": row["content"],
        "payload": row["payload"],
        "ttl_seconds": row["ttl_seconds"],
        "created_at": iso(row["created_at"]),
        "expires_at": iso(row["expires_at"]),
        "read": row.get("read_at") is not None,
        "read_at": iso(row.get("read_at")),
        "status": task.status(now) if is_task else None,
        "claimed_by": task.holder(now) if is_task else None,
        "claim_expires_at": iso(row["claim_expires_at"]) if is_task and task.status(now) == "claimed" else None,
        "completed_at": iso(row["completed_at"]),
        "response": row["response"],
    }


def readers_of(message: dict[str, Any]) -> tuple[str, str] | None:
    """Who may read events about `message`: its sender and recipient for a direct message, None (the whole
    group) for one sent to `*` (SPEC §8 rev. 2)."""
    if message["recipient"] == "*":
        return None
    return (message["sender"], message["recipient"])


def deliver(
    uow: UnitOfWork,
    *,
    group: str,
    sender: str,
    to: str,
    recipients: list[str],
    type: str,
    subject: str | None,
    content: str,
    payload: Any,
    ttl_seconds: int | None,
    at: datetime,
) -> str:
    """Write one message and a delivery per recipient, with one `message.sent` event per recipient's inbox."""
    message_id = new_id("msg")
    uow.messages.add(
        {
            "id": message_id,
            "group_name": group,
            "sender": sender,
            "recipient": to,
            "type": type,
            "subject": subject,
            "content": content,
            "payload": payload,
            "ttl_seconds": ttl_seconds,
            "created_at": at,
            "expires_at": rules.expires_at(at, ttl_seconds),
        },
        recipients,
    )
    for member in recipients:
        record(
            uow,
            "message.sent",
            at=at,
            actor=sender,
            group=group,
            ref=f"inbox:{member}",
            readers=(sender, member),
            message_id=message_id,
            message_type=type,
            to=member,
            subject=subject,
        )
    return message_id


class InboxService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- sending -------------------------------------------------------------------------------------------

    def send(
        self,
        actor: Member,
        to: str,
        content: str,
        group: str,
        *,
        type: str = "NOTICE",
        subject: str | None = None,
        payload: Any = None,
        ttl_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Send a message to a member of `group`, or to `*` (every member but the sender)."""
        to = rules.check_recipient(to)
        kind = rules.check_type(type)
        content = rules.check_content(content)
        subject = rules.check_subject(subject)
        payload = rules.check_payload(payload)
        ttl = rules.check_seconds(ttl_seconds, "ttl_seconds", maximum=rules.MAX_TTL_SECONDS)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_group(uow, actor, group)
            members = [x.member for x in uow.groups.memberships(group)]
            if to == rules.EVERYONE:
                recipients = [x for x in members if x != actor.name]
                if not recipients:
                    raise ValidationError(f"group {group} has no other member to receive a message to '*'", field="to")
            elif to in members:
                recipients = [to]
            else:
                raise ValidationError(
                    f"{to} is not a member of group {group}: send to one of its members, or '*' for all of them",
                    field="to",
                    group=group,
                )
            message_id = deliver(
                uow,
                group=group,
                sender=actor.name,
                to=to,
                recipients=recipients,
                type=kind,
                subject=subject,
                content=content,
                payload=payload,
                ttl_seconds=ttl,
                at=now,
            )
            uow.commit()
        return {
            "id": message_id,
            "group": group,
            "from": actor.name,
            "to": to,
            "type": kind,
            "subject": subject,
            "recipients": recipients,
            "created_at": iso(now),
            "expires_at": iso(rules.expires_at(now, ttl)),
        }

    # -- receiving -----------------------------------------------------------------------------------------

    def _take(self, actor: Member, type: str | None, subject: str | None) -> dict[str, Any] | None:
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo = InboxRepository(uow.conn)
            row = repo.next_pending(actor.name, visible_groups(uow, actor), now, type=type, subject=subject, take=True)
            if row is None:
                return None
            repo.mark_read(row["delivery_id"], now)
            record(
                uow,
                "message.received",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=f"message:{row['id']}",
                readers=readers_of(row),
                message_id=row["id"],
                by=actor.name,
            )
            uow.commit()
        row["read_at"] = now
        return message_view(row, now)

    def _next_wake(self, actor: Member, remaining: float) -> float:
        """Sleep no longer than until a claim someone else holds on one of my messages runs out."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            until = InboxRepository(uow.conn).next_claim_return(actor.name, visible_groups(uow, actor), now)
        if until is None:
            return remaining
        return max(0.0, min(remaining, (until - now).total_seconds() + 0.001))

    def recv(
        self, actor: Member, wait: float = 0, *, type: str | None = None, subject: str | None = None
    ) -> dict[str, Any] | None:
        """Consume my oldest unexpired unread message (marked read: each recipient gets it once), or None.

        With `wait`, block up to that many seconds for one to arrive; wakes on the event, not by polling."""
        wait, type, subject = _check_recv(wait, type, subject)
        end = time.monotonic() + wait
        with self.ctx.hub.subscribe([f"inbox:{actor.name}", *holding.watch_refs(actor)]) as sub:
            while True:
                holding.check(self.ctx, actor)
                message = self._take(actor, type, subject)
                remaining = end - time.monotonic()
                if message is not None or remaining <= 0:
                    return message
                sub.wait(holding.cap(self.ctx, actor, self._next_wake(actor, remaining)))

    async def recv_async(
        self, actor: Member, wait: float = 0, *, type: str | None = None, subject: str | None = None
    ) -> dict[str, Any] | None:
        """`recv` for async faces: the event loop keeps serving while this waits."""
        wait, type, subject = _check_recv(wait, type, subject)
        end = time.monotonic() + wait
        with self.ctx.hub.subscribe([f"inbox:{actor.name}", *holding.watch_refs(actor)]) as sub:
            while True:
                await asyncio.to_thread(holding.check, self.ctx, actor)
                message = await asyncio.to_thread(self._take, actor, type, subject)
                remaining = end - time.monotonic()
                if message is not None or remaining <= 0:
                    return message
                next_wake = await asyncio.to_thread(self._next_wake, actor, remaining)
                await sub.wait_async(holding.cap(self.ctx, actor, next_wake))

    def peek(self, actor: Member, *, type: str | None = None, subject: str | None = None) -> dict[str, Any] | None:
        """The message `recv` would return next, without consuming it."""
        _, type, subject = _check_recv(0, type, subject)
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            repo = InboxRepository(uow.conn)
            row = repo.next_pending(actor.name, visible_groups(uow, actor), now, type=type, subject=subject)
        return None if row is None else message_view(row, now)

    def listing(
        self, actor: Member, *, since: datetime | None = None, unread_only: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """My unexpired messages, newest first (read ones too unless `unread_only`); nothing is consumed."""
        limit = rules.check_limit(limit)
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            rows = InboxRepository(uow.conn).listing(
                actor.name, visible_groups(uow, actor), now, since=since, unread_only=unread_only, limit=limit
            )
        return [message_view(r, now) for r in rows]

    def mark_read(self, actor: Member, message_id: str) -> dict[str, Any]:
        """Mark one of my messages read without receiving it through `recv` (a person who read it on the web
        page): `recv` then skips it. Marking a read message again changes nothing (`already_read: true`)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo, row = self._load(uow, actor, message_id)
            already = row.get("read_at") is not None
            if not already:
                repo.mark_read_for(message_id, actor.name, now)
                record(
                    uow,
                    "message.received",
                    at=now,
                    actor=actor.name,
                    group=row["group_name"],
                    ref=f"message:{message_id}",
                    readers=readers_of(row),
                    message_id=message_id,
                    by=actor.name,
                    marked_read=True,
                )
                row["read_at"] = now
            uow.commit()
        return {**message_view(row, now), "already_read": already}

    # -- tasks ---------------------------------------------------------------------------------------------

    def _load(self, uow: UnitOfWork, actor: Member, message_id: str) -> tuple[InboxRepository, dict[str, Any]]:
        repo = InboxRepository(uow.conn)
        row = repo.for_member(message_id, actor.name, lock=True)
        if row is None:
            raise NotFoundError(f"message {message_id} not found", message_id=message_id)
        try:
            require_group(uow, actor, row["group_name"])
        except NotFoundError:
            raise NotFoundError(f"message {message_id} not found", message_id=message_id) from None
        return repo, row

    def claim(
        self, actor: Member, message_id: str, timeout_seconds: int = rules.DEFAULT_CLAIM_SECONDS
    ) -> dict[str, Any]:
        """Take a TASK for yourself until `timeout_seconds` pass (then it returns to pending by itself)."""
        seconds = rules.check_seconds(timeout_seconds, "timeout_seconds", maximum=rules.MAX_CLAIM_SECONDS)
        assert seconds is not None
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo, row = self._load(uow, actor, message_id)
            _task(row).check_claim(actor.name, now)
            until = now + timedelta(seconds=seconds)
            repo.set_claim(message_id, actor.name, until)
            repo.mark_read_for(message_id, actor.name, now)
            record(
                uow,
                "message.claimed",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=f"message:{message_id}",
                readers=readers_of(row),
                message_id=message_id,
                until=until,
            )
            uow.commit()
        row.update(claimed_by=actor.name, claim_expires_at=until, read_at=row["read_at"] or now)
        return message_view(row, now)

    def complete(self, actor: Member, message_id: str, response: str | None = None) -> dict[str, Any]:
        """Finish a TASK you hold the claim of; the sender receives a RESPONSE message with `response`."""
        if response is not None:
            rules.check_content(response)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo, row = self._load(uow, actor, message_id)
            _task(row).check_holder(actor.name, now, "complete")
            repo.complete(message_id, now, response)
            record(
                uow,
                "message.completed",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=f"message:{message_id}",
                readers=readers_of(row),
                message_id=message_id,
            )
            self._respond(uow, actor, row, response, now)
            uow.commit()
        row.update(completed_at=now, response=response)
        return message_view(row, now)

    def _respond(
        self, uow: UnitOfWork, actor: Member, task: dict[str, Any], response: str | None, now: datetime
    ) -> None:
        sender = task["sender"]
        if sender == actor.name or uow.groups.membership(task["group_name"], sender) is None:
            return  # a system message, a task to oneself, or a sender who left the group
        payload: dict[str, Any] = {"message_id": task["id"], "response": response}
        if isinstance(task["payload"], dict) and "request_id" in task["payload"]:
            payload["request_id"] = task["payload"]["request_id"]
        deliver(
            uow,
            group=task["group_name"],
            sender=actor.name,
            to=sender,
            recipients=[sender],
            type="RESPONSE",
            subject=task["subject"],
            content=response or f"{actor.name} completed task {task['id']}",
            payload=payload,
            ttl_seconds=None,
            at=now,
        )

    def release(self, actor: Member, message_id: str) -> dict[str, Any]:
        """Give back a TASK you hold the claim of: it returns to pending for its recipients."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo, row = self._load(uow, actor, message_id)
            _task(row).check_holder(actor.name, now, "release")
            repo.set_claim(message_id, None, None)
            record(
                uow,
                "message.released",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=f"message:{message_id}",
                readers=readers_of(row),
                message_id=message_id,
            )
            for member in repo.unread_recipients(message_id):  # wake their waiting `recv`s
                record(
                    uow,
                    "message.returned",
                    at=now,
                    actor=actor.name,
                    group=row["group_name"],
                    ref=f"inbox:{member}",
                    readers=readers_of(row),
                    message_id=message_id,
                )
            uow.commit()
        row.update(claimed_by=None, claim_expires_at=None)
        return message_view(row, now)


def _check_recv(wait: float, type: str | None, subject: str | None) -> tuple[float, str | None, str | None]:
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= MAX_WAIT_SECONDS:
        raise ValidationError(f"wait must be 0-{MAX_WAIT_SECONDS} seconds, got {wait!r}", field="wait")
    if type is not None:
        if not isinstance(type, str) or type.strip().upper() not in rules.TYPES:
            raise ValidationError(
                f"message type {type!r} is not allowed: use one of {', '.join(rules.TYPES)}", field="type"
            )
        type = type.strip().upper()
    return float(wait), type, rules.check_subject(subject)
