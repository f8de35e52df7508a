"""REST routes for group webhooks and their deliveries (SPEC §11)."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from accord.entrypoints.rest.common import Body, CallerApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")
Json = dict[str, Any]


class AddWebhook(Body):
    url: str
    events: list[str] | None = None


@router.post("/groups/{group}/webhooks", status_code=201, tags=["webhooks"])
def add_webhook(group: str, body: AddWebhook, api: CallerApi) -> Json:
    """Register a webhook for the group (owners/admins): 201 with its signing `secret` (`whsec_…`), shown only
    here. 422 for a non-http(s) URL, a private/loopback/link-local host, or a bad event filter."""
    return api.add_webhook(group, body.url, body.events)


@router.get("/groups/{group}/webhooks", tags=["webhooks"])
def list_webhooks(group: str, api: CallerApi) -> list[Json]:
    """The group's webhooks with their delivery counts (owners/admins); secrets are never shown again."""
    return api.list_webhooks(group)


@router.delete("/groups/{group}/webhooks/{webhook_id}", tags=["webhooks"])
def remove_group_webhook(group: str, webhook_id: str, api: CallerApi) -> Json:
    """Delete one of the group's webhooks; its pending deliveries are cancelled."""
    return api.remove_webhook(webhook_id, group)


@router.delete("/webhooks/{webhook_id}", tags=["webhooks"])
def remove_webhook(webhook_id: str, api: CallerApi) -> Json:
    """Delete a webhook by id (its group's owners/admins); its pending deliveries are cancelled."""
    return api.remove_webhook(webhook_id)


@router.get("/groups/{group}/webhooks/{webhook_id}/deliveries", tags=["webhooks"])
def list_group_webhook_deliveries(
    group: str,
    webhook_id: str,
    api: CallerApi,
    status: str | None = Query(None, description="pending, delivered, failed or cancelled"),
    limit: int = Query(50, description="1-200"),
) -> list[Json]:
    """The webhook's deliveries, newest first, each with every attempt (status code, latency, error)."""
    return api.list_deliveries(webhook_id, status, limit, group)


@router.get("/webhooks/{webhook_id}/deliveries", tags=["webhooks"])
def list_deliveries(
    webhook_id: str,
    api: CallerApi,
    status: str | None = Query(None, description="pending, delivered, failed or cancelled"),
    limit: int = Query(50, description="1-200"),
) -> list[Json]:
    """A webhook's deliveries by the webhook's id alone (same answer as under its group)."""
    return api.list_deliveries(webhook_id, status, limit)


@router.post("/groups/{group}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tags=["webhooks"])
def redeliver_group_delivery(group: str, webhook_id: str, delivery_id: str, api: CallerApi) -> Json:
    """Send a delivery again now, same webhook-id, fresh 24-hour window (re-enables a disabled webhook)."""
    return api.redeliver(delivery_id, group, webhook_id)


@router.post("/deliveries/{delivery_id}/redeliver", tags=["webhooks"])
def redeliver(delivery_id: str, api: CallerApi) -> Json:
    """Send a webhook delivery again by its id alone (what `accord webhook redeliver` calls)."""
    return api.redeliver(delivery_id)
