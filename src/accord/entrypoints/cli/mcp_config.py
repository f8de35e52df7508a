"""`accord mcp --print-config`: an MCP client configuration that works from any directory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from accord.bootstrap import show_url
from accord.settings import Settings

TOKEN_PLACEHOLDER = "REPLACE_WITH_A_MEMBER_TOKEN"  # `accord member add NAME` or `accord member token NAME` prints one


def executable() -> list[str]:
    """The absolute command that starts this `accord`, whatever directory a desktop client starts it from."""
    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if invoked is not None and invoked.name.startswith("accord") and invoked.is_file():
        return [str(invoked.absolute())]
    beside = Path(sys.executable).with_name("accord")  # a virtual environment's console script
    if beside.is_file():
        return [str(beside.absolute())]
    found = shutil.which("accord")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "accord"]


def client_config(settings: Settings) -> dict[str, Any]:
    """`{"mcpServers": {"accord": ...}}`: stdio on the local store (absolute executable and database URL), or
    streamable HTTP at ACCORD_URL/mcp when the CLI is pointed at a server. The token is ACCORD_TOKEN when set,
    else a placeholder to replace."""
    token = settings.token or TOKEN_PLACEHOLDER
    if settings.url:
        server: dict[str, Any] = {
            "type": "http",
            "url": settings.url.rstrip("/") + "/mcp",
            "headers": {"Authorization": f"Bearer {token}"},
        }
    else:
        command, *args = executable()
        server = {
            "command": command,
            "args": [*args, "mcp"],
            "env": {"ACCORD_DATABASE_URL": absolute_url(settings.database_url), "ACCORD_TOKEN": token},
        }
    return {"mcpServers": {"accord": server}}


def absolute_url(raw: str) -> str:
    """The store's URL with a SQLite file made absolute (a relative one means another file in another
    directory); other URLs as given, password included (the client needs it to connect)."""
    shown = show_url(raw)
    return shown if shown.startswith("sqlite:///") else raw
