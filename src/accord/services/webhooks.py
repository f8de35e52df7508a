"""Group webhooks (SPEC §11): managed by a group's owners/admins, fed from the event log through the outbox,
signed per Standard Webhooks (`webhook_sender.py` sends them)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from accord.domain.errors import NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.outbox import RETRY_WINDOW
from accord.domain.webhooks import check_filters, check_url, is_webhook_event, masked, matches
from accord.services.access import require_group, require_manager
from accord.services.context import Context, record
from accord.services.ids import new_id
from accord.services.outbox import STATUSES, delivery_row, delivery_view
from accord.services.targets import check_target
from accord.storage.event_log import PendingEvent
from accord.storage.outbox_repository import PENDING, OutboxRepository, WebhookRepository
from accord.storage.uow import UnitOfWork

KIND = "webhook"
MAX_DELIVERIES = 200


def target_of(webhook_id: str) -> str:
    """The outbox target of a webhook: its deliveries go out one at a time, in event order."""
    return f"webhook:{webhook_id}"


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_payload(event: PendingEvent) -> dict[str, Any]:
    """What a webhook receives for an event: {"type", "timestamp", "data"} (Standard Webhooks), `data` being
    the event's own data with its `event_id`, `group`, `actor` and `ref`."""
    assert event.id is not None
    data = {"event_id": event.id, "group": event.group, "actor": event.actor, "ref": event.ref}
    data.update(event.data or {})
    return {"type": event.type, "timestamp": event.at.isoformat().replace("+00:00", "Z"), "data": data}


def fan_out(conn: Connection, events: Sequence[PendingEvent]) -> None:
    """The event-log observer: one delivery per event and enabled webhook of its group whose filters pass,
    written in the event's own transaction (direct-message events are never sent)."""
    groups = sorted({e.group for e in events if e.group is not None})
    if not groups:
        return
    hooks = WebhookRepository(conn).enabled_for(groups)
    if not hooks:
        return
    rows = []
    for event in events:
        if event.group is None or event.readers is not None or not is_webhook_event(event.type, event.data):
            continue  # a private event (readers named: a direct message's) never leaves Accord
        for hook in hooks:
            if hook["group_name"] == event.group and matches(hook["events"], event.type):
                rows.append(
                    delivery_row(
                        new_id("dlv"),
                        kind=KIND,
                        target=target_of(hook["id"]),
                        payload=webhook_payload(event),
                        at=event.at,
                        group=event.group,
                        event_id=event.id,
                        event_type=event.type,
                    )
                )
    OutboxRepository(conn).add_many(rows)


def webhook_view(row: dict[str, Any], counts: dict[str, int] | None = None) -> dict[str, Any]:
    """{id, group, url, events, enabled, created_by, created_at, failing_since, disabled_at, disabled_reason,
    deliveries: {pending, delivered, failed, cancelled}} — never the secret."""
    view = {
        "id": row["id"],
        "group": row["group_name"],
        "url": row["url"],
        "events": list(row["events"] or []),
        "enabled": bool(row["enabled"]),
        "created_by": row["created_by"],
        "created_at": row["created_at"].isoformat(),
        "failing_since": row["failing_since"].isoformat() if row["failing_since"] else None,
        "disabled_at": row["disabled_at"].isoformat() if row["disabled_at"] else None,
        "disabled_reason": row["disabled_reason"],
    }
    if counts is not None:
        view["deliveries"] = {status: counts.get(status, 0) for status in STATUSES}
    return view


class WebhookService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add(self, actor: Member, group: str, url: str, events: Sequence[str] | None = None) -> dict[str, Any]:
        """Register a webhook for `group` (its owners/admins; SPEC §11). Returns the webhook's view with its
        signing `secret` (`whsec_…`), shown this once. ValidationError (field `url`) for anything but an
        http(s) URL, or a host that does not resolve or resolves to a loopback/private/link-local address
        (unless ACCORD_ALLOW_PRIVATE_TARGETS=1); (field `events`) for a filter that is not an event type, a
        family (`proposal.*`) or `*`; NotFoundError outside the group; ForbiddenError for other members."""
        url = check_url(url)
        filters = check_filters(events)
        with self.ctx.uow(write=False) as uow:
            require_manager(uow, actor, group)
        check_target(url, allow_private=self.ctx.allow_private_targets)  # DNS, outside any transaction
        now = self.ctx.now()
        row = {
            "id": new_id("wh"),
            "group_name": group,
            "url": url,
            "secret": new_secret(),
            "events": filters,
            "created_by": actor.name,
            "created_at": now,
            "enabled": True,
        }
        with self.ctx.uow() as uow:
            require_manager(uow, actor, group)
            uow.webhooks.add(row)
            record(
                uow,
                "webhook.added",
                at=now,
                actor=actor.name,
                group=group,
                ref=f"webhook:{row['id']}",
                webhook_id=row["id"],
                url=masked(url),
                events=filters,
            )
            uow.commit()
        view = webhook_view({**row, "failing_since": None, "disabled_at": None, "disabled_reason": None})
        view["secret"] = row["secret"]
        return view

    def list_webhooks(self, actor: Member, group: str) -> list[dict[str, Any]]:
        """The group's webhooks (its owners/admins), oldest first, each with its delivery counts; secrets are
        never shown again."""
        with self.ctx.uow(write=False) as uow:
            require_manager(uow, actor, group)
            return [webhook_view(r, uow.outbox.counts(target_of(r["id"]))) for r in uow.webhooks.of_group(group)]

    def remove(self, actor: Member, webhook_id: str, group: str | None = None) -> dict[str, Any]:
        """Delete a webhook (its group's owners/admins); its pending deliveries are cancelled. Returns
        {id, group, removed: true, cancelled: n}. NotFoundError "webhook <id> not found" (also outside its
        group, or when `group` is not its group)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            hook = self._managed(uow, actor, webhook_id, group)
            uow.webhooks.remove(webhook_id)
            cancelled = uow.outbox.cancel_target(target_of(webhook_id), now=now, reason="webhook removed")
            record(
                uow,
                "webhook.removed",
                at=now,
                actor=actor.name,
                group=hook["group_name"],
                ref=f"webhook:{webhook_id}",
                webhook_id=webhook_id,
                url=masked(hook["url"]),
            )
            uow.commit()
        return {"id": webhook_id, "group": hook["group_name"], "removed": True, "cancelled": cancelled}

    def deliveries(
        self,
        actor: Member,
        webhook_id: str,
        *,
        group: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """A webhook's deliveries, newest first, each with every attempt (status code, latency, error): see
        `delivery_view`. status: pending, delivered, failed or cancelled; limit 1-200."""
        if status is not None and status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}, got {status!r}", field="status")
        if isinstance(limit, bool) or not 1 <= limit <= MAX_DELIVERIES:
            raise ValidationError(f"limit must be 1-{MAX_DELIVERIES}, got {limit}", field="limit")
        with self.ctx.uow(write=False) as uow:
            self._managed(uow, actor, webhook_id, group)
            rows = uow.outbox.for_target(target_of(webhook_id), status=status, limit=limit)
            attempts = uow.outbox.attempts([r["id"] for r in rows])
        return [delivery_view(r, attempts[r["id"]]) for r in rows]

    def redeliver(
        self, actor: Member, delivery_id: str, group: str | None = None, webhook_id: str | None = None
    ) -> dict[str, Any]:
        """Send a webhook delivery again, now, with the same `webhook-id` and a fresh 24-hour retry window
        (its group's owners/admins). A delivered, failed or cancelled delivery is queued again, a pending one made
        due now; a webhook disabled after failing is enabled again. Returns the delivery's view (`delivery_view`).
        NotFoundError "delivery <id> not found" (also outside its group); ForbiddenError for other members."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            row = uow.outbox.get(delivery_id)
            if row is None or row["kind"] != KIND or webhook_id not in (None, row["target"].removeprefix("webhook:")):
                raise NotFoundError(f"delivery {delivery_id} not found", delivery_id=delivery_id)
            webhook_id = row["target"].removeprefix("webhook:")
            try:
                hook = self._managed(uow, actor, webhook_id, group)
            except NotFoundError:
                raise NotFoundError(f"delivery {delivery_id} not found", delivery_id=delivery_id) from None
            if not hook["enabled"]:
                uow.webhooks.update(
                    webhook_id, enabled=True, failing_since=None, disabled_at=None, disabled_reason=None
                )
            uow.outbox.requeue(delivery_id, now=now, give_up_at=now + RETRY_WINDOW)
            record(
                uow,
                "webhook.redelivered",
                at=now,
                actor=actor.name,
                group=hook["group_name"],
                ref=f"webhook:{webhook_id}",
                webhook_id=webhook_id,
                delivery_id=delivery_id,
            )
            uow.commit()
        with self.ctx.uow(write=False) as uow:
            row = uow.outbox.get(delivery_id) or row
            attempts = uow.outbox.attempts([delivery_id])
        return delivery_view(row, attempts[delivery_id])

    def _managed(self, uow: UnitOfWork, actor: Member, webhook_id: str, group: str | None) -> dict[str, Any]:
        hook = uow.webhooks.get(webhook_id)
        if hook is None or (group is not None and hook["group_name"] != group):
            raise NotFoundError(f"webhook {webhook_id} not found", webhook_id=webhook_id)
        try:
            require_group(uow, actor, hook["group_name"])
        except NotFoundError:
            raise NotFoundError(f"webhook {webhook_id} not found", webhook_id=webhook_id) from None
        require_manager(uow, actor, hook["group_name"])
        return hook


def tell_owners_disabled(uow: UnitOfWork, hook: dict[str, Any], *, reason: str, now: datetime) -> None:
    """Disable a webhook that kept failing, cancel what it still had queued, and tell its group's owners and
    admins in their inboxes (a NOTICE from `accord`), with an event `webhook.disabled`."""
    from accord.services.notices import send_system

    webhook_id = hook["id"]
    uow.webhooks.update(webhook_id, enabled=False, disabled_at=now, disabled_reason=reason)
    uow.outbox.cancel_target(target_of(webhook_id), now=now, reason="webhook disabled")
    group = hook["group_name"]
    record(
        uow,
        "webhook.disabled",
        at=now,
        actor=None,
        group=group,
        ref=f"webhook:{webhook_id}",
        webhook_id=webhook_id,
        url=masked(hook["url"]),
        reason=reason,
    )
    managers = sorted(m.member for m in uow.groups.memberships(group) if m.manages)
    if managers:
        send_system(
            uow,
            group=group,
            to=managers,
            type="NOTICE",
            subject=f"webhook {webhook_id} disabled",
            content=(
                f"The webhook {webhook_id} of group {group} ({hook['url']}) was disabled: {reason}. Fix the "
                f"receiver, then `accord webhook redeliver` a failed delivery to enable it again (or remove it)."
            ),
            payload={"webhook_id": webhook_id, "url": hook["url"], "reason": reason},
            at=now,
        )


__all__ = ["PENDING", "WebhookService", "fan_out", "new_secret", "target_of", "tell_owners_disabled"]
