"""MCP tools for decision receipts (SPEC §9, §12)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json
from accord.proof.receipts import NOT_GIVEN


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add the receipt tools to `server`."""

    @server.tool()
    async def verify_receipt(receipt: str, ctx: Context[Any, Any], payload: Any = None) -> Json:
        """Check a decision receipt (the compact JWS that gate_wait, gate_close or get_decision_record
        returned) against this server's signing keys. Returns {valid, reason, claims}: valid only when the
        signature holds, it has not expired, the outcome is "approved" (gate) or "passed" (proposal), and for
        a gate `payload` is exactly the JSON the gate was requested with. reason otherwise: "bad signature",
        "unknown key", "expired at <instant>", "outcome <o>", "payload differs" or "payload not given"
        (payload left out or null). Read-only."""
        given = NOT_GIVEN if payload is None else payload
        return await caller.run(ctx, lambda api: api.verify_receipt(receipt, given))

    @server.tool()
    async def redeem_receipt(jti: str, ctx: Context[Any, Any]) -> Json:
        """Redeem an approved gate's receipt right before acting on it, so the action runs at most once. jti:
        the receipt's id (its `jti` claim). The first call succeeds; any later one fails with "receipt <jti>
        was redeemed at <instant>": do not act then. Also refused: expired receipts, receipts of a gate not
        approved, proposal receipts, and callers other than the gate's requester or an administrator."""
        return await caller.run(ctx, lambda api: api.redeem_receipt(jti))
