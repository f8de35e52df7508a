"""`accord instructions`: the agents' snippet covers seed 002's gate flow and seed 003's milestone flow, names
every exit code of SPEC §5 with what to do next, and every tool and command it names exists."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

import accord
from accord.bootstrap import build_services
from accord.entrypoints.cli import app
from accord.entrypoints.cli.common import COMMANDS
from accord.entrypoints.cli.instructions import AGENTS, HUMANS
from accord.entrypoints.mcp import build_mcp

EXIT_CODES = (0, 1, 2, 3, 64, 65, 66, 69, 75, 77)


def mcp_tools() -> dict[str, Any]:
    """Every MCP tool with its input schema."""
    services = build_services("sqlite://")
    try:
        tools = asyncio.run(build_mcp(services).list_tools())
    finally:
        services.close()
    return {t.name: t.input_schema for t in tools}


def cli_commands() -> set[tuple[str, ...]]:
    """Every `accord` command path: ("gate", "vote"), ("init",), and the groups themselves."""
    found: set[tuple[str, ...]] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if path:
            found.add(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def test_the_cli_prints_the_snippets() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["instructions", "--for", "agents"]).stdout == AGENTS
    assert runner.invoke(app, ["instructions"]).stdout == AGENTS
    assert runner.invoke(app, ["instructions", "--for", "humans"]).stdout == HUMANS
    assert runner.invoke(app, ["instructions", "--for", "robots"]).exit_code == 64


def test_the_agents_snippet_names_every_exit_code_with_what_to_do() -> None:
    for code in EXIT_CODES:
        assert re.search(rf"^- (\d+, )?{code}\b[^\n]*:", AGENTS, re.MULTILINE), f"exit code {code} is not explained"
    for code in (0, 1, 2, 3, 75):  # the gate flow's codes each say what to do next
        line = re.search(rf"^- {code} ([^\n]*(?:\n  [^\n]*)*)", AGENTS, re.MULTILINE)
        assert line is not None
        assert re.search(r"proceed|wait|request|fix|retry", line.group(1)), line.group(1)


def test_the_agents_snippet_covers_the_gate_and_milestone_flows() -> None:
    for words in (
        # seed 002: request, vote with a comment, wait, find an open request
        "gate_request",
        "gate_vote",
        "comment",
        "gate_wait",
        "accord gate wait",
        "accord inbox recv --type REQUEST",
        "accord proposal list --status open",
        # seed 003: dependencies, order, git links, consensus checkpoints and who finalizes
        "depends_on",
        "ms_id:order",
        "complete_checkpoint",
        "depends on checkpoint 2 which is pending",
        "git_branch_url",
        "git_pr_url",
        "git_commit_url",
        "requires_consensus",
        "You may not approve your own step",
        "once every eligible voter has voted, after the",
        "deadline, or once the outcome is settled; owners/admins may force it with a rationale",
    ):
        assert words in AGENTS, words


def test_every_tool_and_command_the_snippets_name_exists() -> None:
    tools = mcp_tools()
    parameters = {name for schema in tools.values() for name in schema.get("properties", {})}
    # Names inside arguments (a checkpoint's fields), a view's proposal_id and the "ms_id:order" placeholder.
    known = set(tools) | parameters | {"depends_on", "requires_consensus", "proposal_id", "ms_id"}
    for text in (AGENTS, HUMANS):
        for word in set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)):
            assert word in known, f"{word} is neither an MCP tool nor an argument"
        named = re.findall(r"\baccord ([a-z][a-z-]*)(?: ([a-z][a-z-]*|--help))?", text)
        assert named
        commands = cli_commands()
        for first, second in named:
            assert (first,) in commands, f"accord {first} does not exist"
            if second != "--help" and (first, second) not in commands:  # a group needs one of its commands
                assert not any(c[0] == first and len(c) > 1 for c in commands), f"accord {first} {second}"
    mentioned = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", AGENTS)) & set(tools)
    assert {"gate_request", "gate_vote", "gate_wait", "gate_tally", "create_milestone", "complete_checkpoint"} <= (
        mentioned
    )


def test_the_cli_hint_table_matches_both_faces() -> None:
    tools = mcp_tools()
    commands = cli_commands()
    assert set(COMMANDS) == set(tools), "every MCP tool has its CLI name (and only those)"
    for tool, command in COMMANDS.items():
        words = tuple(command.split()[1:])
        assert command.startswith("accord ") and words in commands, (tool, command)


def test_every_refusal_that_names_a_tool_declares_it() -> None:
    """A message naming an operation (`gate_vote`) lists it in `mentions`, so each face can name it its way."""
    tools = set(COMMANDS)
    root = Path(accord.__file__).parent
    checked = 0
    for path in [*root.glob("domain/*.py"), *root.glob("services/*.py"), *root.glob("api/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
                continue
            words = {
                w
                for part in ast.walk(node.exc.args[0])
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
                for w in re.findall(r"[a-z]+(?:_[a-z]+)+", part.value)
            }
            named = words & tools
            if not named:
                continue
            checked += 1
            declared = next((k.value for k in node.exc.keywords if k.arg == "mentions"), None)
            assert isinstance(declared, ast.Tuple), f"{path.name}:{node.lineno} names {named} without mentions="
            listed = {e.value for e in declared.elts if isinstance(e, ast.Constant)}
            assert named <= listed, f"{path.name}:{node.lineno} names {named - listed} without declaring it"
    assert checked >= 4
