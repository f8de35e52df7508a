"""The MCP server: stdio (`accord mcp`, identity from ACCORD_TOKEN) and streamable HTTP at /mcp."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent

from accord.bootstrap import Services
from accord.domain.errors import AccordError
from accord.entrypoints.inputs import refuse_booleans
from accord.entrypoints.mcp import core, deliberation, gates, milestones, proof, reach, webhooks
from accord.entrypoints.mcp.common import Caller
from accord.entrypoints.throttle import SignInThrottle

INSTRUCTIONS = (
    "Accord gates critical actions behind votes of agents and humans. Create proposals, cast votes with a "
    "comment (your rationale) and confidence, and wait for decisions. A proposal may be finalized once every "
    "eligible voter has voted, its deadline has passed, or its outcome is settled; before that finalize is "
    "refused: wait_proposal instead. Escalations and human approvals belong to humans. Complete milestone "
    "checkpoints only when their dependencies and consensus proposals allow (request_checkpoint_approval asks "
    "again after a rejection). Act on a gate only when your own gate_wait answers approved with actionable: "
    "true, and gate_verify the payload before acting."
)


class AccordMCPServer(MCPServer[Any]):
    """Tools raise ToolError; a refusal of Accord's reaches the client with exactly the REST message.

    The SDK prefixes a ToolError's text with "Error executing tool <name>: "; SPEC §9 wants the same text
    as REST, so an error caused by an AccordError becomes an is_error result carrying its own message (and,
    as structured content, the REST error object)."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            schema = self._tool_input_schema(name)
            if schema is not None and isinstance(arguments, dict):
                refuse_booleans(arguments, schema)  # SPEC §13: before the SDK's model reads `true` as 1
            return await super().call_tool(name, arguments, context)
        except AccordError as exc:
            return _refusal(exc)
        except ToolError as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, AccordError):
                cause = cause.__cause__
            if cause is None:
                raise
            return _refusal(cause)


def _refusal(exc: AccordError) -> CallToolResult:
    """An Accord refusal as a tool error: REST's message as text, REST's error object as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=exc.message)],
        structured_content={"error": {"code": exc.code, "message": exc.message}},
        is_error=True,
    )


def build_mcp(services: Services, token: str | None = None, throttle: SignInThrottle | None = None) -> MCPServer[Any]:
    """An MCP server over `services`; with `token` every call acts as that member (stdio). Over HTTP, `throttle`
    counts each bad bearer token as a failed sign-in of the client's address (SPEC §13)."""
    server: MCPServer[Any] = AccordMCPServer(name="accord", instructions=INSTRUCTIONS, version="0.1.0")
    caller = Caller(services, token, throttle)
    for module in (core, milestones, gates, deliberation, proof, reach, webhooks):
        module.register(server, caller)
    return server
