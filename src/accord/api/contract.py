"""Every operation's result model, by operation name (the MCP tool's name; REST routes are named the same).

This is the one place an operation's output is declared: REST takes it as the route's `response_model` (a
list route takes the model's one list field's items), MCP as the tool's `outputSchema` and structured result,
the Python client as its return type. A new operation adds one line here.
"""

from __future__ import annotations

from pydantic import BaseModel

from accord.api import models as m

RESULTS: dict[str, type[BaseModel]] = {
    # members and groups
    "whoami": m.Me,
    "create_member": m.Token,
    "issue_token": m.Token,
    # tokens, channels and webhooks (SPEC §1, §11)
    "list_tokens": m.TokenList,
    "revoke_token": m.TokenRevocation,
    "revoke_tokens": m.TokenRevocation,  # REST's DELETE of every token: the same operation
    "set_time_zone": m.TimeZone,
    "add_channel": m.Channel,
    "list_channels": m.ChannelList,
    "remove_channel": m.ChannelRemoved,
    "add_webhook": m.Webhook,
    "list_webhooks": m.WebhookList,
    "remove_webhook": m.WebhookRemoved,
    "list_deliveries": m.DeliveryList,
    "redeliver": m.Delivery,
    # REST's by-group forms of the same operations
    "remove_group_webhook": m.WebhookRemoved,
    "list_group_webhook_deliveries": m.DeliveryList,
    "redeliver_group_delivery": m.Delivery,
    "list_all_members": m.MemberList,
    "create_group": m.Group,
    "list_groups": m.GroupList,
    "add_group_member": m.GroupMember,
    "list_members": m.GroupMemberList,
    "remove_group_member": m.Removed,
    "get_group_policy": m.Policy,
    "set_group_policy": m.Policy,
    # proposals and events
    "create_proposal": m.ProposalView,
    "cast_vote": m.Ballot,
    "get_proposal": m.ProposalView,
    "list_proposals": m.ProposalList,
    "finalize_proposal": m.ProposalView,
    "cancel_proposal": m.ProposalView,
    "wait_proposal": m.ProposalWait,
    "list_events": m.EventList,
    "audit": m.EventList,
    # deliberation
    "resolve_proposal": m.ProposalView,
    "get_decision_record": m.DecisionRecord,
    "create_consultation": m.Consultation,
    "submit_contribution": m.Consultation,
    "get_consultation": m.Consultation,
    "list_consultations": m.ConsultationList,
    "create_completion_gate": m.CompletionGate,
    "signal_completion": m.CompletionGate,
    "get_completion_gate": m.CompletionGate,
    "list_completion_gates": m.CompletionGateList,
    "sweep": m.Sweep,
    # gates and the inbox
    "gate_request": m.Gate,
    "gate_vote": m.GateBallot,
    "gate_tally": m.Gate,
    "gate_wait": m.Gate,
    "gate_close": m.Gate,
    "gate_list": m.GateList,
    "gate_verify": m.GateVerification,
    "send_message": m.Sent,
    "check_inbox": m.MessageList,
    "recv_message": m.MaybeMessage,
    "peek_message": m.MaybeMessage,
    "mark_message_read": m.Message,
    "claim_message": m.Message,
    "complete_message": m.Message,
    "release_message": m.Message,
    # milestones
    "create_milestone": m.Milestone,
    "get_milestone": m.Milestone,
    "list_milestones": m.MilestoneList,
    "complete_checkpoint": m.CheckpointDone,
    "update_checkpoint": m.Milestone,
    "add_checkpoint": m.Milestone,
    "delete_checkpoint": m.Milestone,
    "request_checkpoint_approval": m.CheckpointApproval,
    "reopen_milestone": m.Milestone,
    # the verifiable record
    "audit_verify": m.AuditVerification,
    "audit_head": m.AuditHead,
    "show_keys": m.Keys,
    "rotate_key": m.Keys,
    "jwks": m.Jwks,
    "verify_receipt": m.ReceiptCheck,
    "redeem_receipt": m.Redeemed,
}


def result_model(operation: str) -> type[BaseModel]:
    """The result model of `operation`; a generic JSON object for one without a line yet."""
    return RESULTS.get(operation, m.Result)
