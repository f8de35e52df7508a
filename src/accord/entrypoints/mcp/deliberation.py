"""MCP tools of the deliberation feature."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from accord.entrypoints.mcp.common import Caller


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add this feature's tools to `server`."""
