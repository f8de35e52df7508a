"""REST routes for gates and the inbox (SPEC §5, §7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response

from accord.entrypoints.rest.common import Body, CallerApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")
Json = dict[str, Any]


class NewGate(Body):
    subject: str
    group: str | None = None
    payload: Any = None
    timeout_seconds: float | None = None


class GateVote(Body):
    vote: str
    comment: str | None = None


class GateVerify(Body):
    payload: Any = None


class NewMessage(Body):
    to: str
    content: str = ""
    group: str
    type: str = "NOTICE"
    subject: str | None = None
    payload: Any = None
    ttl_seconds: int | None = None


class Recv(Body):
    wait: float = 0
    type: str | None = None
    subject: str | None = None


class Claim(Body):
    timeout_seconds: int = 300


class Complete(Body):
    response: str | None = None


@router.post("/gates", status_code=201, tags=["gates"])
def gate_request(body: NewGate, api: CallerApi) -> Json:
    """Open a gate on `subject` (409 while the subject has an open request); every eligible voter gets a REQUEST."""
    return api.gate_request(body.subject, body.payload, body.group, body.timeout_seconds)


@router.post("/gates/{request_id}/votes", status_code=201, tags=["gates"])
def gate_vote(request_id: str, body: GateVote, api: CallerApi) -> Json:
    """Vote yes, no or abstain on a gate (not on your own request)."""
    return api.gate_vote(request_id, body.vote, body.comment)


@router.get("/gates", tags=["gates"])
def gate_list(
    api: CallerApi,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open (taking votes) or closed")] = None,
    group: str | None = None,
    awaiting: Annotated[Literal["me"] | None, Query(description="me: only gates waiting for your ballot")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Gates of your groups, each as `tally` shows it with `voted` and `awaiting_me`: open ones (still taking
    votes) soonest timeout first, closed ones newest first; `awaiting=me` keeps the open gates waiting for your
    ballot (SPEC §5)."""
    return api.gate_list(status, group, awaiting == "me", limit)


@router.get("/gates/tally", tags=["gates"])
def gate_tally(api: CallerApi, subject: str, group: str | None = None) -> Json:
    """A gate by request id, or by subject (only its open request counts: with none open, `none_open` and the
    latest request), with its status, count and payload digest."""
    return api.gate_tally(subject, group)


@router.get(
    "/gates/{ref:path}/wait", tags=["gates"]
)  # the body is typed from RESULTS (the shared bytes are not re-validated)
async def gate_wait(
    ref: str,
    api: CallerApi,
    timeout: Annotated[float, Query(ge=0, le=3600)] = 300,
    group: str | None = None,
) -> Response:
    """Long-poll a gate (request id, or subject): returns once approved (closing it for its requester), vetoed,
    rejected or expired, or at `timeout` with `timed_out: true`. Waiters other than the requester get the same
    bytes, read and encoded once (SPEC §8 rev. 2)."""
    shared = await api.services.gates.wait_shared(api.actor, ref, timeout, group)
    return Response(shared.body, media_type="application/json")


@router.post("/gates/{request_id}/close", tags=["gates"])
def gate_close(request_id: str, api: CallerApi) -> Json:
    """The requester freezes the gate's result (approved, vetoed, else rejected) and releases its subject."""
    return api.gate_close(request_id)


@router.post("/gates/{request_id}/verify", tags=["gates"])
def gate_verify(request_id: str, api: CallerApi, body: GateVerify | None = None) -> Json:
    """Whether the gate was closed as approved for exactly this payload (its RFC 8785 SHA-256 digest equals the
    one stored at request time): {"verified", "reason", "payload_digest", "given_digest", ...}."""
    return api.gate_verify(request_id, (body or GateVerify()).payload)


@router.post("/messages", status_code=201, tags=["inbox"])
def send_message(body: NewMessage, api: CallerApi) -> Json:
    """Send a message to a member of the group, or to `*` (every member but you)."""
    return api.send_message(**body.model_dump())


@router.get("/inbox", tags=["inbox"])
def check_inbox(
    api: CallerApi,
    since: str | None = None,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[Json]:
    """Your unexpired messages, newest first; nothing is consumed."""
    return api.check_inbox(since, unread_only, limit)


@router.post("/inbox/recv", tags=["inbox"])
async def recv_message(api: CallerApi, body: Recv | None = None) -> Json | None:
    """Consume your oldest unread message (null when none); `wait` blocks up to that many seconds for one."""
    body = body or Recv()
    return await api.services.inbox.recv_async(api.actor, body.wait, type=body.type, subject=body.subject)


@router.get("/inbox/peek", tags=["inbox"])
def peek_message(api: CallerApi, type: str | None = None, subject: str | None = None) -> Json | None:
    """The message `recv` would return next (null when none), without consuming it."""
    return api.peek_message(type, subject)


@router.post("/messages/{message_id}/read", tags=["inbox"])
def mark_message_read(message_id: str, api: CallerApi) -> Json:
    """Mark one of your messages read without receiving it (recv then skips it); again: `already_read: true`."""
    return api.mark_message_read(message_id)


@router.post("/messages/{message_id}/claim", tags=["inbox"])
def claim_message(message_id: str, api: CallerApi, body: Claim | None = None) -> Json:
    """Claim a TASK for `timeout_seconds` (409 when someone else holds it)."""
    return api.claim_message(message_id, (body or Claim()).timeout_seconds)


@router.post("/messages/{message_id}/complete", tags=["inbox"])
def complete_message(message_id: str, api: CallerApi, body: Complete | None = None) -> Json:
    """Complete a TASK you have claimed; its sender receives a RESPONSE."""
    return api.complete_message(message_id, (body or Complete()).response)


@router.post("/messages/{message_id}/release", tags=["inbox"])
def release_message(message_id: str, api: CallerApi) -> Json:
    """Give back a TASK you have claimed; it returns to pending."""
    return api.release_message(message_id)
