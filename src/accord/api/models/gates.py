"""Results of the gate and inbox operations (SPEC §5, §7)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.api.models.base import Out

Instant = str


class Gate(Out):
    """A gate as tally shows it; with no open request on a subject: {"status": "none_open", "latest": ...}."""

    status: str = Field(description="approved, rejected, pending, vetoed, expired, or none_open")
    id: str | None = None
    request_id: str | None = None
    group: str | None = None
    subject: str | None = None
    payload: Any = None
    payload_digest: str | None = None
    requester: str | None = None
    reason: str | None = None
    closed: bool | None = None
    actionable: bool | None = Field(None, description="Act only when true (the requester's close or wait)")
    tally: dict[str, int] | None = None
    vetoed_by: list[str] | None = None
    awaiting: list[str] | None = None
    timeout_at: Instant | None = None
    receipt: str | None = Field(None, description="The signed decision receipt (compact JWS), once decided")
    timed_out: bool | None = None
    latest: dict[str, Any] | None = Field(None, description="With none_open: the subject's latest request")


class GateBallot(Out):
    request_id: str
    voter: str
    vote: str
    comment: str | None
    replaced: bool
    gate: Gate


class GateList(Out):
    gates: list[Gate]


class GateVerification(Out):
    request_id: str
    verified: bool
    status: str
    payload_digest: str | None
    given_digest: str | None
    reason: str


class Message(Out):
    id: str = Field(description="msg_…")
    group: str
    to: str
    type: str = Field(description="REQUEST, RESPONSE, NOTICE, TASK, BROADCAST or HEARTBEAT")
    subject: str | None
    content: str
    payload: Any
    created_at: Instant
    expires_at: Instant | None
    read: bool
    status: str | None = Field(description="For TASKs: pending, claimed or completed")
    claimed_by: str | None
    response: str | None


class MessageList(Out):
    messages: list[Message]


class MaybeMessage(Out):
    message: Message | None


class Sent(Out):
    id: str
    group: str
    to: str
    type: str
    subject: str | None
    recipients: list[str]
    created_at: Instant
    expires_at: Instant | None
