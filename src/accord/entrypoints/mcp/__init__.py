"""The MCP server: stdio (`accord mcp`, identity from ACCORD_TOKEN) and streamable HTTP at /mcp."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent

from accord.bootstrap import Services
from accord.domain.errors import AccordError
from accord.entrypoints.mcp import conventions, core, deliberation, gates, milestones, proof
from accord.entrypoints.mcp.common import Caller

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
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, AccordError):
                cause = cause.__cause__
            if cause is None:
                raise
            error = {"code": cause.code, "message": cause.message}
            return CallToolResult(
                content=[TextContent(type="text", text=cause.message)],
                structured_content={"error": error},
                is_error=True,
            )


def build_mcp(services: Services, token: str | None = None) -> MCPServer[Any]:
    """An MCP server over `services`; with `token` every call acts as that member (stdio)."""
    server: MCPServer[Any] = AccordMCPServer(name="accord", instructions=INSTRUCTIONS, version="0.1.0")
    caller = Caller(services, token)
    for module in (core, milestones, gates, deliberation, proof):
        module.register(server, caller)
    conventions.apply(server)
    return server
