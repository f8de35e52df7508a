"""MCP tools for group webhooks and their deliveries (SPEC §9, §11)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add the webhook tools to `server`."""

    @server.tool()
    async def add_webhook(group: str, url: str, ctx: Context[Any, Any], events: list[str] | None = None) -> Json:
        """Make Accord POST the group's events to an http(s) endpoint, signed per Standard Webhooks (you must be
        an owner/admin of the group). events: filters such as "proposal.*", "gate.requested" or "*" (left out:
        every event; direct-message events are never sent). Returns the webhook with `secret` ("whsec_…"),
        shown only this once: the receiver verifies each POST's webhook-signature with it. Refused: a URL that
        is not http(s), or whose host resolves to a loopback, private or link-local address."""
        return await caller.run(ctx, lambda api: api.add_webhook(group, url, events))

    @server.tool()
    async def list_webhooks(group: str, ctx: Context[Any, Any]) -> Json:
        """The group's webhooks (owners/admins): {"webhooks": [{id, url, events, enabled, failing_since,
        disabled_at, disabled_reason, deliveries: {pending, delivered, failed, cancelled}}]}. Secrets are never
        shown again. Read-only."""
        return {"webhooks": await caller.run(ctx, lambda api: api.list_webhooks(group))}

    @server.tool()
    async def remove_webhook(webhook_id: str, ctx: Context[Any, Any]) -> Json:
        """Delete a webhook (its group's owners/admins); deliveries still pending are cancelled. Returns
        {id, group, removed: true, cancelled}."""
        return await caller.run(ctx, lambda api: api.remove_webhook(webhook_id))

    @server.tool()
    async def list_deliveries(
        webhook_id: str, ctx: Context[Any, Any], status: str | None = None, limit: int = 50
    ) -> Json:
        """A webhook's deliveries, newest first: {"deliveries": [{id (the webhook-id header), event_type,
        status (pending, delivered, failed, cancelled), attempts, next_attempt_at, last_status, last_error,
        history: [{at, ok, status_code, latency_ms, error}]}]}. status: only those; limit: 1-200. Read-only."""
        return {"deliveries": await caller.run(ctx, lambda api: api.list_deliveries(webhook_id, status, limit))}

    @server.tool()
    async def redeliver(delivery_id: str, ctx: Context[Any, Any]) -> Json:
        """Send a webhook delivery again now, with the same webhook-id and a fresh 24-hour retry window (the
        group's owners/admins); a webhook disabled after 24 hours of failures is enabled again. Returns the
        delivery as list_deliveries shows it."""
        return await caller.run(ctx, lambda api: api.redeliver(delivery_id))
