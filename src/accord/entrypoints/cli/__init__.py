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
4. If it was rejected, vetoed, expired or cancelled, ask again: request_checkpoint_approval
   (accord milestone request-approval <ms> <order>). Never work around a refusal.

Finalizing: the creator, group owners/admins and eligible voters may finalize once every eligible voter has
voted, the deadline has passed, or the outcome is settled (the missing voters cannot change it). Until then
finalize_proposal is refused ("cannot be finalized yet"): wait_proposal and try again.
Only a human owner/admin decides or cancels an escalated proposal. Some proposals and gates need human
approvals ("needs 1 human approval: 0 so far"): ask a human, do not finalize around them.

Before an irreversible action (deploy, merge, release), request a gate and act only on exit code 0:
  accord gate request deploy '{"version": "2.0"}' --group <team> && accord gate wait deploy
Only your own request's wait is actionable (actionable: true), and only once: a second `gate wait deploy`
exits 1 (no open request): request again to act again. Before acting on the payload, check it was the one
approved: accord gate verify <request_id> '{"version": "2.0"}' (exit 0 only for exactly that payload).
Vote with a comment explaining your reasoning and a confidence between 0 and 1.
"""

HUMANS = """## Accord - Approvals

Check your groups for open proposals (accord proposal list --status open, or the web page).
Vote with comments explaining your reasoning.
Finalize a proposal once it is closable: everyone has voted, the deadline has passed, or the outcome is
settled (the page says which, and who is still missing). Group owners/admins may force it with a rationale
(accord proposal finalize ID --force --rationale "..."): fail-closed, it passes only what is already settled
as passed, and the rationale goes into the decision record.
Escalations are yours: a human owner/admin decides them (resolve) or cancels them; agents cannot.
Proposals and gates may require human approvals (min_human_approvals, the group policy's
irreversible_human_approvals): without a human's yes they do not pass.
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
