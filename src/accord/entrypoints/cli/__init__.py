"""The `accord` command: human-readable by default, --json everywhere, exit codes of SPEC §5."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.entrypoints.cli import core, deliberation, gates, milestones
from accord.entrypoints.cli.common import new_app, out

app = new_app("Accord: consensus and coordination for teams of AI agents and their humans.")
app.command("init")(core.init)
app.command("serve")(core.serve)
app.command("mcp")(core.mcp)
app.command("audit")(core.audit)
app.command("events")(core.events)
app.add_typer(core.member_app, name="member")
app.add_typer(core.group_app, name="group")
app.add_typer(core.proposal_app, name="proposal")
for module in (milestones, gates, deliberation):
    module.register(app)

AGENTS = """## Accord - Consensus

When completing a checkpoint with requires_consensus:
1. Check if the linked proposal exists (get_milestone shows proposal_id).
2. If it is not finalized, notify humans and wait (wait_proposal).
3. After approval, complete the checkpoint (complete_checkpoint).

Before an irreversible action (deploy, merge, release), request a gate and act only on exit code 0:
  accord gate request deploy '{"version": "2.0"}' --group <team> && accord gate wait deploy
Vote with a comment explaining your reasoning and a confidence between 0 and 1.
"""

HUMANS = """## Accord - Approvals

Check your groups for open proposals (accord proposal list --status open, or the web page).
Vote with comments explaining your reasoning.
Finalize proposals when voting is complete.
"""


@app.command("instructions")
def instructions(
    audience: Annotated[str, typer.Option("--for", help="agents or humans.")] = "agents",
) -> None:
    """Print the snippet to paste into an agent's or a team's instructions file."""
    if audience not in ("agents", "humans"):
        raise typer.BadParameter("use --for agents or --for humans", param_hint="--for")
    out.print(AGENTS if audience == "agents" else HUMANS, markup=False)


def main() -> None:
    """Console entry point."""
    app()
