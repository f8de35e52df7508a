"""My queue (SPEC §9): everything that waits for the member, read from summary listings (no read per item)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.api import Api

LIMIT = 500


@dataclass
class Queue:
    """What waits for the member: ballots (proposals and gates), escalations, consultations flagged for humans,
    completion gates waiting for a signal, votes to finalize, the member's own gate requests, the rest."""

    to_vote: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    consultations: list[dict[str, Any]] = field(default_factory=list)
    completions: list[dict[str, Any]] = field(default_factory=list)
    to_finalize: list[dict[str, Any]] = field(default_factory=list)
    my_requests: list[dict[str, Any]] = field(default_factory=list)
    other_open: list[dict[str, Any]] = field(default_factory=list)
    unread: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (self.to_vote, self.escalations, self.consultations, self.completions, self.to_finalize, self.other_open)
        )


def gate_item(row: dict[str, Any], gate: dict[str, Any]) -> dict[str, Any]:
    """A gate as the queue shows it: the proposal summary with the gate's subject, requester, payload, status."""
    return {
        **row,
        "subject": gate["subject"],
        "requester": gate["requester"],
        "payload": gate["payload"],
        "gate_status": gate["status"],
        "deadline": gate["timeout_at"],
        "awaiting": gate["awaiting"],
    }


def queue(api: Api) -> Queue:
    me = api.actor
    roles = {g["name"]: g["role"] for g in api.list_groups()}
    gates = {g["id"]: g for g in api.gate_list(status="open", limit=LIMIT)}
    q = Queue()
    for row in api.list_proposals(status="open", limit=LIMIT):
        if row["kind"] == "gate":
            gate = gates.get(row["id"])
            if gate is None:  # timed out: closed at its timeout, whether swept yet or not
                continue
            item = gate_item(row, gate)
            if row["awaiting_me"]:
                q.to_vote.append(item)
            elif gate["requester"] == me.name:
                q.my_requests.append(item)
            else:
                q.other_open.append(item)
            continue
        if row["voting_type"] == "yes_no" and row["ballots"]:
            # Only a yes/no proposal with ballots can stand vetoed: read those to mark them (SPEC §2.3 wording).
            p = api.get_proposal(row["id"])
            row = {**row, "summary": p["summary"], "vetoed": p.get("outcome") == "vetoed" and bool(p.get("vetoed_by"))}
        manages = me.is_admin or roles.get(row["group"]) in ("owner", "admin")
        if row["awaiting_me"]:
            q.to_vote.append(row)
        elif row["closable"] and (manages or row["created_by"] == me.name or row["eligible_voter"]):
            q.to_finalize.append(row)
        else:
            q.other_open.append(row)
    q.escalations = [
        {**e, "can_resolve": me.kind == "human" and roles.get(e["group"]) in ("owner", "admin")}
        for e in api.list_proposals(status="escalated", limit=LIMIT)
    ]
    q.consultations = api.list_consultations(flagged=True, limit=100)
    q.completions = api.list_completion_gates(awaiting_me=True, limit=100)
    q.unread = api.check_inbox(unread_only=True, limit=100)
    # Soonest deadline (or gate timeout) first; those without one after, newest first as listed.
    q.to_vote.sort(key=lambda i: (i["deadline"] is None, i["deadline"] or ""))
    return q
