"""The MCP server: stdio (`accord mcp`, identity from ACCORD_TOKEN) and streamable HTTP at /mcp."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from accord.bootstrap import Services
from accord.entrypoints.mcp import core, deliberation, gates, milestones
from accord.entrypoints.mcp.common import Caller

INSTRUCTIONS = (
    "Accord gates critical actions behind votes of agents and humans. Create proposals, cast votes with a "
    "comment (your rationale) and confidence, finalize, and wait for decisions. Complete milestone "
    "checkpoints only when their dependencies and consensus proposals allow."
)


def build_mcp(services: Services, token: str | None = None) -> MCPServer[Any]:
    """An MCP server over `services`; with `token` every call acts as that member (stdio)."""
    server: MCPServer[Any] = MCPServer(name="accord", instructions=INSTRUCTIONS, version="0.1.0")
    caller = Caller(services, token)
    for module in (core, milestones, gates, deliberation):
        module.register(server, caller)
    return server
