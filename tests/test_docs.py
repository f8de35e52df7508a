"""Docs that cannot rot: every command and tool is described, every operation has every face."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pytest
import typer.main

from accord.api import Api
from accord.bootstrap import build_services
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.mcp import build_mcp

ENTRYPOINTS = Path(__file__).parents[1] / "src" / "accord" / "entrypoints"
README = Path(__file__).parents[1] / "README.md"

# Operations that are deliberately not MCP tools, with the reason.
NOT_MCP = {
    "create_member": "store administration belongs to humans and scripts, not agents",
    "issue_token": "store administration",
    "list_all_members": "list_members(group) is the agent's view",
    "create_group": "store administration",
    "add_group_member": "store administration",
    "remove_group_member": "store administration",
    "set_group_policy": "group administration belongs to humans and scripts",
    "get_group_policy": "group administration belongs to humans and scripts",
    "audit": "an administrator's view; agents read get_proposal",
    "list_events": "the feed is for dashboards and scripts (REST long-poll)",
    "audit_verify": "an administrator's check of the whole store",
    "audit_head": "pinning the chain's head is for scripts and auditors",
    "show_keys": "store administration; the JWKS is public at /.well-known/jwks.json",
    "rotate_key": "store administration",
    "set_time_zone": "a member's own setting, made by the human on the web page or by scripts",
}


def operations() -> list[str]:
    return sorted(name for name, _ in inspect.getmembers(Api, inspect.isfunction) if not name.startswith("_"))


def face_source(face: str) -> str:
    return "\n".join(p.read_text() for p in sorted((ENTRYPOINTS / face).glob("*.py")))


def walk(command: Any, path: str = "accord") -> list[tuple[str, Any]]:
    found = [(path, command)]
    if hasattr(command, "commands"):  # a group (Typer vendors its own click)
        for name, sub in command.commands.items():
            found += walk(sub, f"{path} {name}")
    return found


def test_every_cli_command_has_help() -> None:
    missing = [path for path, cmd in walk(typer.main.get_command(cli_app)) if not (cmd.help or "").strip()]
    assert missing == []


def test_every_mcp_tool_has_a_description(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    tools = asyncio.run(build_mcp(services, token="unused").list_tools())
    services.close()
    assert [t.name for t in tools if not (t.description or "").strip()] == []


def test_every_operation_is_an_mcp_tool(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    tools = {t.name for t in asyncio.run(build_mcp(services, token="unused").list_tools())}
    services.close()
    assert [op for op in operations() if op not in tools and op not in NOT_MCP] == []


@pytest.mark.parametrize("face", ["rest", "cli"])
def test_every_operation_has_a_route_and_a_command(face: str) -> None:
    source = face_source(face)
    # The long-polls call the async variant of the same service method.
    aliases = {
        "wait_proposal": "proposals.wait_shared(",
        "list_events": "events.feed_async(",
        "gate_wait": "gates.wait_shared(",
        "recv_message": "inbox.recv_async(",
    }
    missing = [
        op
        for op in operations()
        if f".{op}(" not in source and not (face == "rest" and aliases.get(op, "@@") in source)
    ]
    assert missing == []


def test_readme_leads_with_the_two_commands() -> None:
    text = README.read_text()
    quick_start = text[text.index("## Quick start") :].split("\n## ")[0]
    commands = [line.strip() for line in quick_start.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make run", "make test"]
