"""The `accord` command: human-readable by default, --json everywhere, exit codes of SPEC §5."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from accord.entrypoints.cli import admin, core, deliberation, gates, milestones, proof, reach, webhooks
from accord.entrypoints.cli.common import new_app, out
from accord.entrypoints.cli.instructions import AGENTS, HUMANS

app = new_app(
    "Accord: consensus and coordination for teams of AI agents and their humans.\n\n"
    "Works on the local store (ACCORD_DATABASE_URL, default sqlite:///./accord.db; create it with `accord init`) "
    "or against a server (ACCORD_URL), as the member whose token is in ACCORD_TOKEN. Exit codes: 0 success or "
    "approved, 1 rejected, 2 vetoed, 3 pending, 64 usage, 65 invalid, 66 not found, 69 unavailable, "
    "75 conflict, 77 not permitted.",
    completion=True,
)
app.command("init")(core.init)
app.command("serve")(core.serve)
app.command("mcp")(core.mcp)
app.command("events")(core.events)
app.add_typer(core.member_app, name="member")
app.add_typer(core.group_app, name="group")
app.add_typer(core.proposal_app, name="proposal")
for module in (milestones, gates, deliberation, proof, admin, reach, webhooks):
    module.register(app)


def accord_version() -> str:
    try:
        return version("accord")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        out.print(f"accord {accord_version()}", markup=False)
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print Accord's version and exit."),
    ] = False,
) -> None:
    """Options of `accord` itself (the help text is the app's)."""


@app.command("instructions")
def instructions(
    audience: Annotated[str, typer.Option("--for", help="agents or humans.")] = "agents",
) -> None:
    """Print the snippet to paste into an agent's or a team's instructions file."""
    if audience not in ("agents", "humans"):
        raise typer.BadParameter("use --for agents or --for humans", param_hint="--for")
    out.print(AGENTS if audience == "agents" else HUMANS, markup=False, end="")


def main() -> None:
    """Console entry point."""
    app()
