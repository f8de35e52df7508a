"""REST routes for members, groups, proposals and events (SPEC §1, §2, §8)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response
from pydantic import Field

from accord.entrypoints.rest.common import Body, CallerApi, TokenApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")


class NewMember(Body):
    name: str
    kind: Literal["agent", "human"] = "agent"
    admin: bool = False


class NewToken(Body):
    label: str | None = Field(default=None, description="What the token is for (at most 200 characters).")
    expires_in: str | None = Field(default=None, description="Lifetime such as 90s, 15m, 12h, 30d, 2w; ≤ 365 days.")


class NewGroup(Body):
    name: str
    description: str = ""


class GroupMember(Body):
    member: str
    role: Literal["owner", "admin", "member"] = "member"
    weight: float | str = 1.0
    advisory: bool = False
    veto: bool = False
    expertise: list[str] | None = None


class GroupPolicy(Body):
    irreversible_pattern: str | None = None
    default_timeout_seconds: int | None = None
    irreversible_human_approvals: int | None = None
    receipt_ttl_seconds: int | None = None
    remind_after_seconds: int | None = None
    escalate_after_seconds: int | None = None
    clear: list[str] | None = None


class NewProposal(Body):
    group: str
    title: str
    description: str = ""
    voting_type: str | None = None
    options: list[str] | None = None
    threshold_type: str | None = None
    threshold: float | str | None = None
    quorum: float | str | None = None
    min_votes: int | None = None
    weighted: bool | None = None
    weighted_denominator: str | None = None
    deadline: str | None = None
    deadline_hours: float | str | None = None
    subject: str | None = None
    allow_abstain: bool | None = None
    prevent_self_vote: bool | None = None
    on_no_consensus: list[str] | None = None
    max_rounds: int | None = None
    domain: str | None = None
    critical: bool = False
    preset: str | None = None
    min_human_approvals: int | None = None
    close_at_deadline: bool = False


class NewVote(Body):
    vote: str | list[str]
    comment: str | None = None
    confidence: float | str | None = None
    evidence: list[str] | None = None


class Finalize(Body):
    mitigation: str | None = None
    force: bool = False
    rationale: str | None = None


Json = dict[str, Any]


# First: routes are matched in order, one by one, and casting votes is the busiest route by far.
@router.post("/proposals/{proposal_id}/votes", status_code=201, tags=["proposals"])
async def cast_vote(proposal_id: str, body: NewVote, api: TokenApi) -> Json:
    """Cast or replace the caller's vote."""
    return await api.cast_vote(proposal_id, body.vote, body.comment, body.confidence, body.evidence)


@router.get("/me", tags=["members"])
def whoami(api: CallerApi) -> Json:
    """The caller: name, kind, whether a store administrator, and groups."""
    return api.whoami()


@router.post("/members", status_code=201, tags=["members"])
def create_member(body: NewMember, api: CallerApi) -> Json:
    """Create a member (store administrators only); the response holds its token, shown only this once."""
    return api.create_member(body.name, body.kind, body.admin)


@router.get("/members", tags=["members"])
def list_all_members(api: CallerApi) -> list[Json]:
    """Members the caller can see (every member for an administrator)."""
    return api.list_all_members()


@router.post("/members/{name}/tokens", status_code=201, tags=["members"])
def issue_token(name: str, api: CallerApi, body: NewToken | None = None) -> Json:
    """A new token for a member (itself or an administrator): `{name, token, id, label, created_at,
    expires_at}`; the secret is shown only this once. `expires_in` such as `30d` (at most 365 days)."""
    body = body or NewToken()
    return api.issue_token(name, body.label, body.expires_in)


@router.get("/members/{name}/tokens", tags=["members"])
def list_tokens(name: str, api: CallerApi) -> list[Json]:
    """A member's tokens (itself or an administrator): id `tok_…`, label, created_at, last_used_at (to the
    minute), expires_at, revoked_at and status; never the secret."""
    return api.list_tokens(name)


@router.delete("/members/{name}/tokens", tags=["members"])
def revoke_tokens(name: str, api: CallerApi) -> Json:
    """Revoke every token of a member: feeds held with them end within a second, web sessions end."""
    return api.revoke_token(name)


@router.delete("/members/{name}/tokens/{token_id}", tags=["members"])
def revoke_token(name: str, token_id: str, api: CallerApi) -> Json:
    """Revoke one token of a member (404 when it is not that member's)."""
    return api.revoke_token(name, token_id)


@router.post("/groups", status_code=201, tags=["groups"])
def create_group(body: NewGroup, api: CallerApi) -> Json:
    """Create a group; a creator who is not a store administrator joins it as owner."""
    return api.create_group(body.name, body.description)


@router.get("/groups", tags=["groups"])
def list_groups(api: CallerApi) -> list[Json]:
    """The caller's groups with its role in each."""
    return api.list_groups()


@router.post("/groups/{group}/members", status_code=201, tags=["groups"])
def add_group_member(group: str, body: GroupMember, api: CallerApi) -> Json:
    """Add a member to a group, or update its role and voting settings (owners/admins)."""
    return api.add_group_member(group, **body.model_dump())


@router.get("/groups/{group}/members", tags=["groups"])
def list_members(group: str, api: CallerApi) -> list[Json]:
    """A group's members with roles, weights, advisory and veto flags, and expertise."""
    return api.list_members(group)


@router.delete("/groups/{group}/members/{member}", tags=["groups"])
def remove_group_member(group: str, member: str, api: CallerApi) -> Json:
    """Remove a member from a group (owners/admins)."""
    return api.remove_group_member(group, member)


@router.get("/groups/{group}/policy", tags=["groups"])
def get_group_policy(group: str, api: CallerApi) -> Json:
    """The group's policy: gate rules (SPEC §5), receipt lifetime (§12), reminders and escalation (§11)."""
    return api.get_group_policy(group)


@router.put("/groups/{group}/policy", tags=["groups"])
def set_group_policy(group: str, body: GroupPolicy, api: CallerApi) -> Json:
    """Change the given fields of the group's policy (owners/admins); `clear` switches off reminders/escalation."""
    return api.set_group_policy(group, **body.model_dump())


@router.post("/proposals", status_code=201, tags=["proposals"])
def create_proposal(body: NewProposal, api: CallerApi) -> Json:
    """Open a proposal; the group's current members become its eligible voters."""
    return api.create_proposal(**body.model_dump())


@router.get("/proposals", tags=["proposals"])
def list_proposals(
    api: CallerApi,
    group: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    awaiting: Annotated[Literal["me"] | None, Query(description="me: only those waiting for your ballot")] = None,
) -> list[Json]:
    """Proposals and gates (`kind`) of the caller's groups, newest first, each with its counted voters and
    ballots and `eligible_voter`, `voted`, `awaiting_me` for the caller; `awaiting=me` keeps those waiting for
    your ballot (open, before the deadline, no current ballot of yours), soonest deadline first."""
    return api.list_proposals(group, status, limit, awaiting == "me")


@router.get("/proposals/{proposal_id}", tags=["proposals"])
def get_proposal(proposal_id: str, api: CallerApi, history: bool = False) -> Json:
    """A proposal with its running tally, shares, participation and every current vote."""
    return api.get_proposal(proposal_id, history)


@router.post("/proposals/{proposal_id}/finalize", tags=["proposals"])
def finalize_proposal(proposal_id: str, api: CallerApi, body: Finalize | None = None) -> Json:
    """Compute and freeze the result (or start a re-vote or escalation, per on_no_consensus), once the proposal is
    closable: every eligible voter has voted, the deadline has passed, or the outcome is settled (409 otherwise).
    `force` with a `rationale` (group owners/admins) finalizes at once, fail-closed (SPEC §2.5)."""
    body = body or Finalize()
    return api.finalize_proposal(proposal_id, body.mitigation, body.force, body.rationale)


@router.post("/proposals/{proposal_id}/cancel", tags=["proposals"])
def cancel_proposal(proposal_id: str, api: CallerApi) -> Json:
    """Cancel an open proposal and release its subject."""
    return api.cancel_proposal(proposal_id)


@router.get("/proposals/{proposal_id}/wait", tags=["proposals"])  # typed from RESULTS; the shared bytes as they are
async def wait_proposal(
    proposal_id: str, api: CallerApi, timeout: Annotated[float, Query(ge=0, le=3600)] = 30
) -> Response:
    """Long-poll: returns as soon as the proposal leaves `open`, or at `timeout` with `timed_out: true`. Every
    waiter on the proposal gets the same bytes, read and encoded once (SPEC §8 rev. 2)."""
    shared = await api.services.proposals.wait_shared(api.actor, proposal_id, timeout)
    return Response(shared.body, media_type="application/json")


@router.get("/events", tags=["events"])
async def list_events(
    api: CallerApi,
    after: Annotated[int, Query(description="Only events after this id (0 to 2^53, SPEC §13).")] = 0,
    wait: Annotated[float, Query(ge=0, le=300)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Events after id `after`; with `wait`, long-polls until at least one arrives."""
    return await api.services.events.feed_async(api.actor, after, wait, limit)


@router.get("/audit", tags=["events"])
def audit(
    api: CallerApi,
    ref: str | None = None,
    after: Annotated[int, Query(description="Only events after this id (0 to 2^53, SPEC §13).")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    latest: Annotated[
        int | None, Query(ge=1, le=500, description="Only the newest N events (still oldest first).")
    ] = None,
) -> list[Json]:
    """The audit log, oldest first, optionally about one thing (a proposal id, `group:NAME`, ...): the first
    `limit` events after id `after`, or with `latest=N` the newest N."""
    return api.audit(ref, after, limit, latest)
