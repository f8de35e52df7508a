"""`accord instructions --for agents|humans`: the snippet to paste into an instructions file (seed 000).

Every MCP tool and `accord` command named here exists (tests/entrypoints/test_instructions.py checks it), and the
agents' snippet names every exit code of SPEC §5 with what to do next.
"""

from __future__ import annotations

AGENTS = """\
## Accord - approvals and milestones

Accord is where this team asks before acting and tracks multi-step work. Use the MCP tools (names first)
or the `accord` command (ACCORD_TOKEN is your identity; `--json` for machine-readable output).

### Before an irreversible action (deploy, merge, release, migrate): a gate
1. Ask: gate_request {subject: "deploy", payload: {...}, group: "<team>"}
   CLI: accord gate request deploy '{"version": "2.0"}' --group <team>   (prints the request id, prop_...)
2. Wait: gate_wait {subject: "deploy", timeout: 300}
   CLI: accord gate wait deploy --timeout 300
   When the gate is approved, your own wait closes it; act on that approval once. Only the requester's wait is
   actionable (actionable: true), and only once: a second `accord gate wait deploy` exits 1 (no open request):
   request again to act again.
3. Act only on exit code 0 (status "approved"). Every other code means: do not proceed. Before acting, check that
   the payload you are about to use is the one approved: gate_verify {request_id: "prop_...", payload: {...}}
   (CLI: accord gate verify <id> '{"version": "2.0"}'; exit 0 only for exactly that payload).

Exit codes of `accord gate wait` and `accord gate tally` (and the status the tools return):
- 0 approved: proceed, once.
- 1 rejected or expired (a timeout is a rejection), or by subject no open request: do not proceed; read the
  votes and comments (accord gate tally <id>), change the plan, then request again.
- 2 vetoed: do not proceed; the veto holder's comment says why; only that holder lifts the veto, by voting again.
- 3 still pending when --timeout ended: do not proceed; wait again (accord gate wait <id>) or remind the
  voters listed as awaited.
- 75 conflict: the subject already has an open request (the message names it): do not open another; wait on
  that one or vote on it.
- 64 usage error: fix the command (accord gate --help shows its usage).
- 65 invalid input: fix the input the message names.
- 66 not found (or not visible to you): check the id, subject and group.
- 69 store or server unavailable: retry later; never treat it as an approval.
- 77 not permitted, or a bad token: check ACCORD_TOKEN and your group membership.

Voting on someone else's request: find it in your inbox (every voter gets a REQUEST message: check_inbox,
recv_message; CLI: accord inbox recv --type REQUEST) or among open proposals (list_proposals; CLI:
accord proposal list --status open), read it (gate_tally; CLI: accord gate tally <id>), then vote with a comment
that says why: gate_vote {request_id: "prop_...", vote: "yes", comment: "tests pass on staging"}
(CLI: accord gate vote <id> no --comment "migration has no rollback"). You cannot vote on your own request.

### Multi-step work: a milestone with checkpoints
1. Create it with dependencies (an order of this milestone, or "ms_id:order" of another):
   create_milestone {group: "<team>", title: "Ship feature X", checkpoints: [
     {title: "Design approved"},
     {title: "Implementation", depends_on: [1]},
     {title: "Tests passing", depends_on: [2]},
     {title: "Deploy", depends_on: [3], requires_consensus: true}]}
   CLI: accord milestone create --file milestone.yaml (the same block), or
        accord milestone create --title "Ship feature X" --checkpoint Design --checkpoint Build --sequential
2. Complete checkpoints in order as you finish each step: complete_checkpoint {milestone_id, order}
   (CLI: accord milestone complete <ms> <order>). A refusal such as "depends on checkpoint 2 which is pending"
   means finish (or wait for) that step first; see what blocks what with get_milestone (accord milestone show <ms>).
3. Link the work: update_checkpoint {milestone_id, order, git_branch_url, git_pr_url}, and git_commit_url after
   merging (CLI: accord milestone update <ms> <order> --git-pr-url <url>).
4. A checkpoint with requires_consensus opens a yes/no proposal "Approve checkpoint: <title>" (get_milestone shows
   its proposal_id). You may not approve your own step: ask the group to vote (cast_vote; accord proposal vote),
   wait for it (wait_proposal; accord proposal wait <id>), and complete the checkpoint only after the proposal is
   finalized as passed. A proposal may be finalized (finalize_proposal; accord proposal finalize <id>) by its
   creator, the group's owners/admins or an eligible voter once every eligible voter has voted, after the
   deadline, or once the outcome is settled; owners/admins may force it with a rationale (fail-closed: it passes
   only what is already settled as passed). Until then finalize is refused ("cannot be finalized yet"):
   wait_proposal and try again. If the proposal was rejected, vetoed, expired or cancelled, ask again:
   request_checkpoint_approval {milestone_id, order} (CLI: accord milestone request-approval <ms> <order>).
   Some proposals and gates need human approvals ("needs 1 human approval: 0 so far"): ask a human; never work
   around a refusal. Only a human owner/admin decides or cancels an escalated proposal.
5. When every checkpoint is completed the milestone closes; add_checkpoint or reopen_milestone
   (accord milestone add-checkpoint, accord milestone reopen) makes it active again.

Vote on proposals with a comment explaining your reasoning and a confidence between 0 and 1.
"""

HUMANS = """\
## Accord - approvals

Open the web page (sign in with your member token) or run `accord proposal list --status open` to see what
waits for your vote; `accord proposal show <id>` shows the tally and every vote with its comment.
Vote with a comment explaining your reasoning:
  accord proposal vote <id> yes --comment "..."
  accord gate vote <id> no --comment "..."        (a gate guarding an action)
Finalize a proposal once everyone has voted, after its deadline, or once the outcome is settled (the page says
which, and who is still missing):
  accord proposal finalize <id>
Group owners/admins may force it with a rationale; fail-closed, it passes only what is already settled as passed,
and the rationale goes into the decision record:
  accord proposal finalize <id> --force --rationale "..."
Proposals may require human approvals (min_human_approvals), and so may gates on irreversible subjects
(accord group policy <group> --irreversible-human-approvals N): without a human's yes they do not pass.
Escalations are yours: they wait for a human owner/admin (agents cannot decide or cancel them):
  accord proposal resolve <id> <decision> --rationale "..."
The decision record, with every dissent: accord proposal record <id>
"""
