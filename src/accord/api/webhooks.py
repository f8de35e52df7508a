"""Group webhooks as operations (SPEC §11): managed by the group's owners/admins, delivered by the outbox."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase


class WebhookApi(ApiBase):
    def add_webhook(self, group: str, url: str, events: list[str] | None = None) -> dict[str, Any]:
        """Register an http(s) endpoint that receives the group's events as Standard Webhooks POSTs (owners/admins;
        SPEC §11). events: filters such as "proposal.*", "gate.requested" or "*" (none: every event; direct-message
        events are never sent). Returns {id, group, url, events, enabled, created_by, created_at, ..., secret}:
        the signing secret "whsec_…" is shown only this once. ValidationError (field url) for a non-http(s) URL or
        a host that does not resolve or resolves to a loopback/private/link-local address (allowed only with
        ACCORD_ALLOW_PRIVATE_TARGETS=1); (field events) for a bad filter; ForbiddenError for plain members."""
        return self.services.webhooks.add(self.actor, group, url, events)

    def list_webhooks(self, group: str) -> list[dict[str, Any]]:
        """The group's webhooks (owners/admins), oldest first: {id, group, url, events, enabled, failing_since,
        disabled_at, disabled_reason, deliveries: {pending, delivered, failed, cancelled}}; never the secret."""
        return self.services.webhooks.list_webhooks(self.actor, group)

    def remove_webhook(self, webhook_id: str, group: str | None = None) -> dict[str, Any]:
        """Delete a webhook (its group's owners/admins); deliveries still pending are cancelled. Returns
        {id, group, removed: true, cancelled}. NotFoundError "webhook <id> not found"."""
        return self.services.webhooks.remove(self.actor, webhook_id, group)

    def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 50, group: str | None = None
    ) -> list[dict[str, Any]]:
        """A webhook's deliveries, newest first (its group's owners/admins): {id (the webhook-id header), event_id,
        event_type, status (pending, delivered, failed, cancelled), attempts, created_at, next_attempt_at,
        last_attempt_at, last_status, last_error, finished_at, history: [{at, ok, status_code, latency_ms,
        error}]}. status filters; limit 1-200."""
        return self.services.webhooks.deliveries(self.actor, webhook_id, group=group, status=status, limit=limit)

    def redeliver(self, delivery_id: str, group: str | None = None, webhook_id: str | None = None) -> dict[str, Any]:
        """Send a webhook delivery again now, with the same webhook-id and a fresh 24-hour retry window (its
        group's owners/admins); a webhook disabled after failing is enabled again. Returns the delivery as
        list_deliveries shows it. NotFoundError "delivery <id> not found"."""
        return self.services.webhooks.redeliver(self.actor, delivery_id, group, webhook_id)
