"""MCP conventions (SPEC §9 rev. 2) as data: one line per tool gives its title and its kind (hence its annotations);
its output model is the operation's line in `accord.api.contract.RESULTS`; one table gives every parameter its
description, enum and range.

A tool registered without a line in `TOOLS` stops the server from building (`apply` raises), so a new tool
is one line here plus its function. Parameters are described by name (`PARAMETERS`), with `tool.parameter`
entries where one tool means something narrower; the MCP face test fails on a parameter left undescribed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel, TypeAdapter

from accord.api.contract import result_model


class Kind(Enum):
    """What a tool does to the world, which decides its annotations (SPEC §9 rev. 2)."""

    READ = "read"  # readOnlyHint: reads nothing but state
    WRITE = "write"  # a write a repeat would do again
    IDEMPOTENT = "idempotent"  # a write a repeat changes nothing more
    DESTRUCTIVE = "destructive"  # a write that ends or removes something
    DESTRUCTIVE_IDEMPOTENT = "destructive_idempotent"
    OUTSIDE = "outside"  # a write that makes Accord contact an outside system later (openWorldHint)

    def annotations(self, title: str) -> ToolAnnotations:
        if self is Kind.READ:
            return ToolAnnotations(title=title, read_only_hint=True, open_world_hint=False)
        return ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=self in (Kind.DESTRUCTIVE, Kind.DESTRUCTIVE_IDEMPOTENT),
            idempotent_hint=self in (Kind.IDEMPOTENT, Kind.DESTRUCTIVE_IDEMPOTENT),
            open_world_hint=self is Kind.OUTSIDE,
        )


READ, WRITE, IDEMPOTENT = Kind.READ, Kind.WRITE, Kind.IDEMPOTENT
DESTRUCTIVE, OUTSIDE = Kind.DESTRUCTIVE, Kind.OUTSIDE


@dataclass(frozen=True)
class Line:
    """One tool's convention: a human title and its kind (its result model is in accord.api.contract.RESULTS)."""

    title: str
    kind: Kind


TOOLS: dict[str, Line] = {
    # members, groups, proposals
    "whoami": Line("Who am I", READ),
    "list_groups": Line("List my groups", READ),
    "list_members": Line("List a group's members", READ),
    "create_proposal": Line("Open a proposal", WRITE),
    "cast_vote": Line("Cast a vote", WRITE),
    "get_proposal": Line("Get a proposal", READ),
    "list_proposals": Line("List proposals", READ),
    "finalize_proposal": Line("Finalize a proposal", DESTRUCTIVE),
    "cancel_proposal": Line("Cancel a proposal", DESTRUCTIVE),
    "wait_proposal": Line("Wait for a decision", READ),
    # deliberation
    "resolve_proposal": Line("Resolve an escalated proposal", WRITE),
    "get_decision_record": Line("Get a decision record", READ),
    "create_consultation": Line("Open a consultation", WRITE),
    "submit_contribution": Line("Submit a contribution", WRITE),
    "get_consultation": Line("Get a consultation", READ),
    "list_consultations": Line("List consultations", READ),
    "create_completion_gate": Line("Open a completion gate", WRITE),
    "signal_completion": Line("Signal completion", WRITE),
    "get_completion_gate": Line("Get a completion gate", READ),
    "list_completion_gates": Line("List completion gates", READ),
    "sweep": Line("Send due notices", WRITE),
    # gates and the inbox
    "gate_request": Line("Request a gate", WRITE),
    "gate_vote": Line("Vote on a gate", WRITE),
    "gate_tally": Line("Tally a gate", READ),
    "gate_wait": Line("Wait for a gate", WRITE),  # the requester's wait closes an approved gate
    "gate_close": Line("Close a gate", Kind.DESTRUCTIVE_IDEMPOTENT),
    "gate_list": Line("List gates", READ),
    "gate_verify": Line("Verify a gate's payload", READ),
    "send_message": Line("Send a message", WRITE),
    "check_inbox": Line("Check my inbox", READ),
    "recv_message": Line("Receive a message", WRITE),  # consumes
    "peek_message": Line("Peek at the next message", READ),
    "mark_message_read": Line("Mark a message read", IDEMPOTENT),
    "claim_message": Line("Claim a task", WRITE),
    "complete_message": Line("Complete a task", WRITE),
    "release_message": Line("Release a task", WRITE),
    # milestones
    "create_milestone": Line("Create a milestone", WRITE),
    "get_milestone": Line("Get a milestone", READ),
    "list_milestones": Line("List milestones", READ),
    "complete_checkpoint": Line("Complete a checkpoint", IDEMPOTENT),
    "update_checkpoint": Line("Update a checkpoint", WRITE),
    "add_checkpoint": Line("Add a checkpoint", WRITE),
    "delete_checkpoint": Line("Delete a checkpoint", DESTRUCTIVE),
    "request_checkpoint_approval": Line("Ask again for a checkpoint's approval", WRITE),
    "reopen_milestone": Line("Reopen a milestone", WRITE),
    # receipts
    "verify_receipt": Line("Verify a decision receipt", READ),
    "redeem_receipt": Line("Redeem a gate's receipt", WRITE),
    # rev. 2 tools colleagues add (tokens, channels, webhooks): their lines are ready here
    "list_tokens": Line("List tokens", READ),
    "revoke_token": Line("Revoke a token", IDEMPOTENT),  # destructiveHint only on the SPEC's four tools
    "add_channel": Line("Add a notification channel", OUTSIDE),
    "list_channels": Line("List notification channels", READ),
    "remove_channel": Line("Remove a notification channel", IDEMPOTENT),
    "add_webhook": Line("Add a webhook", OUTSIDE),
    "list_webhooks": Line("List webhooks", READ),
    "remove_webhook": Line("Remove a webhook", IDEMPOTENT),
    "list_deliveries": Line("List deliveries", READ),
    "redeliver": Line("Send a webhook delivery again", WRITE),
}

PARAMETERS: dict[str, dict[str, Any]] = {
    # ids and names
    "group": {"description": "The group's name (needed when you belong to several groups)."},
    "proposal_id": {"description": "The proposal's id (prop_...)."},
    "request_id": {"description": "The gate request's id (prop_...), as gate_request returned it."},
    "message_id": {"description": "The message's id (msg_...)."},
    "milestone_id": {"description": "The milestone's id (ms_...)."},
    "consultation_id": {"description": "The consultation's id (cons_...)."},
    "gate_id": {"description": "The completion gate's id (cg_...)."},
    "jti": {"description": "The receipt's id: its `jti` claim."},
    "project_id": {"description": "The project the milestone belongs to (free text, e.g. a repository name)."},
    "order": {"description": "The checkpoint's number within its milestone (1 = first).", "minimum": 1},
    "to": {"description": 'The recipient: a member of the group, or "*" for every member but you.'},
    "subject": {
        "description": "What the gate, proposal or message is about (e.g. deploy:api); at most one open request "
        "per subject in a group."
    },
    "gate_tally.subject": {"description": "A gate request id (prop_...), or a subject whose open request counts."},
    "gate_wait.subject": {"description": "A gate request id (prop_...), or a subject whose open request is awaited."},
    "member": {"description": "The member's name (yourself, or anyone for a store administrator)."},
    "token_id": {"description": "One token's id (tok_...); without it, every token of the member."},
    "channel_id": {"description": "The channel's id (ch_...), as list_channels shows it."},
    "webhook_id": {"description": "The webhook's id (wh_...)."},
    "delivery_id": {"description": "The delivery's id (dlv_...): the webhook-id header it was sent with."},
    "url": {"description": "An Apprise URL (mailto://, slack://, ntfy://, json://...) or, for a webhook, http(s)."},
    "events": {"description": "Which to send: event types or notice types, or families such as 'proposal.*'."},
    "list_deliveries.status": {
        "description": "Only deliveries in this status.",
        "enum": ["pending", "delivered", "failed", "cancelled", None],
    },
    "list_deliveries.limit": {"description": "At most this many, newest first.", "minimum": 1, "maximum": 200},
    # text
    "title": {"description": "A short title, at most 200 characters.", "maxLength": 200},
    "description": {"description": "Longer text in Markdown (optional)."},
    "comment": {"description": "Your rationale, kept with your ballot and shown to everyone."},
    "content": {"description": "The message text, at most 4096 characters.", "maxLength": 4096},
    "response": {"description": "Your result, at most 4096 characters; the sender receives it.", "maxLength": 4096},
    "mitigation": {"description": "How dissent is addressed (kept in the decision record)."},
    "rationale": {"description": "Why (required with force, and when resolving)."},
    "note": {"description": "A note kept with your signal."},
    "domain": {"description": "The area of expertise the decision belongs to (for expert_override)."},
    "receipt": {"description": "The decision receipt: a compact JWS (three base64url parts joined by dots)."},
    "payload": {"description": "JSON describing the action, at most 16 KiB; its RFC 8785 digest binds an approval."},
    "send_message.payload": {"description": "JSON sent with the message, at most 16 KiB."},
    "git_branch_url": {"description": "A link to the checkpoint's branch."},
    "git_commit_url": {"description": "A link to the checkpoint's commit."},
    "git_pr_url": {"description": "A link to the checkpoint's pull request."},
    "evidence": {"description": "URLs, paths or quotes supporting your vote."},
    # choices
    "vote": {"description": 'yes_no: "yes", "no" or "abstain"; single: an option; ranked: options in your order.'},
    "gate_vote.vote": {"description": "Your vote on the gate.", "enum": ["yes", "no", "abstain"]},
    "voting_type": {
        "description": "How ballots are cast (default yes_no).",
        "enum": ["yes_no", "single", "ranked", "verdict", None],
    },
    "threshold_type": {
        "description": "What passing takes (default majority).",
        "enum": ["majority", "two_thirds", "unanimous", "quorum", "supermajority", "custom", None],
    },
    "weighted_denominator": {"description": "Share of weights or of scores.", "enum": ["weights", "scores", None]},
    "on_no_consensus": {
        "description": "What finalize does when nothing passes, in order.",
        "items": {"enum": ["discussion_round", "expert_override", "escalate"]},
    },
    "type": {
        "description": "The message type.",
        "enum": ["REQUEST", "RESPONSE", "NOTICE", "TASK", "BROADCAST", "HEARTBEAT", None],
    },
    "status": {"description": "Only items in this status."},
    "list_proposals.status": {
        "description": "Only proposals in this status.",
        "enum": ["open", "escalated", "finalized", "cancelled", None],
    },
    "gate_list.status": {"description": "open: still taking votes; closed: decided.", "enum": ["open", "closed", None]},
    "list_milestones.status": {"description": "Only milestones in this status.", "enum": ["active", "closed", None]},
    "signal": {"description": "Your signal.", "enum": ["complete", "incomplete"]},
    "decision": {"description": "The human decision.", "enum": ["passed", "rejected"]},
    "preset": {"description": "A named set of rules (e.g. critical), applied before the other fields."},
    # numbers
    "limit": {"description": "At most this many items (1-500).", "minimum": 1, "maximum": 500},
    "check_inbox.limit": {"description": "At most this many messages (1-100).", "minimum": 1, "maximum": 100},
    "threshold": {"description": "custom threshold: the share that must say yes (0-1).", "minimum": 0, "maximum": 1},
    "quorum": {"description": "The share of eligible voters who must vote (0-1).", "minimum": 0, "maximum": 1},
    "confidence": {"description": "How sure you are, 0.0-1.0 (default 1.0).", "minimum": 0, "maximum": 1},
    "min_votes": {"description": "The fewest ballots a result needs.", "minimum": 0},
    "max_rounds": {"description": "The most discussion rounds before escalating.", "minimum": 1},
    "min_human_approvals": {"description": "Counted yes ballots that must come from humans.", "minimum": 0},
    "min_completions": {"description": "How many participants must signal complete.", "minimum": 1},
    "position": {"description": "Where to insert the checkpoint (1 = first; default last).", "minimum": 1},
    "timeout": {"description": "Seconds to wait at most (0-3600).", "minimum": 0, "maximum": 3600},
    "wait": {"description": "Seconds to block for a message (0-3600).", "minimum": 0, "maximum": 3600},
    "timeout_seconds": {"description": "Seconds until the request expires (default the group's).", "minimum": 0},
    "claim_message.timeout_seconds": {"description": "Seconds the claim lasts (default 300).", "minimum": 1},
    "ttl_seconds": {"description": "Seconds until the message expires unread.", "minimum": 1},
    "deadline": {"description": "No votes after this ISO-8601 instant with a time zone.", "format": "date-time"},
    "deadline_hours": {"description": "No votes after this many hours from now.", "exclusiveMinimum": 0},
    "since": {"description": "Only messages after this ISO-8601 instant.", "format": "date-time"},
    "window_seconds": {"description": "Seconds participants have to signal.", "minimum": 1},
    "fallback_timeout": {"description": "Seconds after which the gate decides on what it has.", "minimum": 1},
    "nudge_after_seconds": {"description": "Seconds before quiet participants are reminded.", "minimum": 1},
    # flags and lists
    "history": {"description": "Include every vote ever cast, not only current ones."},
    "awaiting_me": {"description": "Only items waiting for your vote or signal."},
    "unread_only": {"description": "Only messages recv_message has not returned yet."},
    "weighted": {"description": "Count member weight x vote confidence."},
    "allow_abstain": {"description": "Whether abstaining is allowed."},
    "prevent_self_vote": {"description": "Whether the creator is kept from voting."},
    "critical": {"description": "Mark the decision critical (stricter defaults)."},
    "close_at_deadline": {"description": "Finalize by itself when the deadline passes (needs one)."},
    "force": {"description": "Finalize now, fail-closed (group owners/admins, with a rationale)."},
    "flagged": {"description": "Only consultations with questions flagged for humans."},
    "requires_consensus": {"description": "Completing the checkpoint needs a passed proposal first."},
    "completion_gate": {
        "description": "Open a completion gate for the checkpoint: {participants, min_completions, ...}."
    },
    "options": {"description": "The choices, for single and ranked votes (at least two)."},
    "checkpoints": {"description": "The checkpoints in order: {title, description, depends_on, ...} each."},
    "depends_on": {"description": "Orders of checkpoints that must be completed first."},
    "participants": {"description": "The members who must signal."},
    "questions": {"description": 'The questions by id: {"ARCH-001": "Monorepo or polyrepo?", ...}.'},
    "decisions": {"description": "Your answers: [{question_id, answer, confidence 0-1, rationale, evidence?}]."},
}


def parameter_schema(tool: str, name: str) -> dict[str, Any] | None:
    """What `PARAMETERS` says about `name` in `tool` (its own entry first), or None."""
    return PARAMETERS.get(f"{tool}.{name}") or PARAMETERS.get(name)


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with an object at the root (MCP wants `type: object` there, not a bare `$ref`)."""
    schema = TypeAdapter(model).json_schema(mode="serialization")
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = {**schema["$defs"][ref.removeprefix("#/$defs/")], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def apply(server: MCPServer[Any]) -> None:
    """Give every registered tool its title, annotations, output model and parameter descriptions.

    Raises LookupError for a tool without a line in TOOLS."""
    for tool in server._tool_manager.list_tools():
        line = TOOLS.get(tool.name)
        if line is None:
            raise LookupError(f"MCP tool {tool.name!r} has no line in accord.entrypoints.mcp.conventions.TOOLS")
        tool.title = line.title
        tool.annotations = line.kind.annotations(line.title)
        output = result_model(tool.name)
        tool.fn_metadata.output_model = output
        tool.fn_metadata.output_schema = output_schema(output)
        tool.fn_metadata.wrap_output = False
        vars(tool).pop("output_schema", None)  # a cached_property on Tool
        for name, schema in tool.parameters.get("properties", {}).items():
            extra = parameter_schema(tool.name, name)
            if extra:
                _describe(schema, extra)


def _describe(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge `extra` into a parameter's JSON schema; an enum or range goes on its non-null branch."""
    schema["description"] = extra["description"]
    constraints = {k: v for k, v in extra.items() if k != "description"}
    if not constraints:
        return
    branches = schema.get("anyOf")
    if branches:
        for branch in branches:
            if branch.get("type") != "null":
                branch.update({k: v for k, v in constraints.items() if k != "enum"})
                if "enum" in constraints:
                    branch["enum"] = [v for v in constraints["enum"] if v is not None]
        return
    schema.update({k: v for k, v in constraints.items() if k != "enum" or None not in v})
    if "enum" in constraints and None in constraints["enum"]:
        schema["enum"] = [v for v in constraints["enum"] if v is not None]
