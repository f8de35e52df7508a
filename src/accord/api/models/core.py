"""Results of the member, group, proposal and event operations (SPEC §1, §2, §8)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.api.models.base import Out

Instant = str  # ISO-8601 with a time zone, e.g. 2026-05-01T12:00:00+00:00


class Me(Out):
    name: str
    kind: str = Field(description="agent or human")
    admin: bool = Field(description="Whether a store administrator")
    groups: list[str]


class Member(Out):
    name: str
    kind: str = Field(description="agent or human")
    admin: bool


class Token(Out):
    name: str
    token: str = Field(description="acc_…; shown only this once")


class TokensRevoked(Out):
    name: str
    revoked: int = Field(description="How many tokens were revoked")


class Group(Out):
    name: str
    description: str


class GroupList(Out):
    groups: list[Group]


class GroupMember(Out):
    member: str
    kind: str
    role: str = Field(description="owner, admin or member")
    weight: float
    advisory: bool
    veto: bool
    expertise: list[str]


class GroupMemberList(Out):
    group: str
    members: list[GroupMember]


class Removed(Out):
    group: str
    member: str
    removed: bool


class Policy(Out):
    group: str
    irreversible_pattern: str
    default_timeout_seconds: int
    irreversible_human_approvals: int
    receipt_ttl_seconds: int
    remind_after_seconds: int | None
    escalate_after_seconds: int | None


class Vote(Out):
    voter: str
    vote: str | list[str] = Field(description="yes/no/abstain, an option, or options in order (ranked)")
    comment: str | None = None
    confidence: float | None = None
    cast_at: Instant | None = None


class ProposalView(Out):
    """A proposal with its rules, voters, current votes and the running (or final) tally (SPEC §2)."""

    id: str = Field(description="prop_…")
    kind: str = Field(description="proposal or gate")
    group: str
    title: str
    description: str
    voting_type: str = Field(description="yes_no, single, ranked or verdict")
    options: list[str]
    threshold_type: str
    status: str = Field(description="open, escalated, finalized or cancelled")
    round: int
    created_by: str
    created_at: Instant
    deadline: Instant | None
    subject: str | None
    eligible_voters: list[dict[str, Any]]
    votes: list[Vote]
    result: Any = Field(description="The winning option(s), or null")
    threshold_met: bool | None
    outcome: str | None = Field(description="passed, rejected, vetoed, no_quorum, no_consensus, ...")
    tally: dict[str, Any]
    participation: float | None
    provisional: bool = Field(description="True while open: figures as if finalized now")
    summary: str = Field(description="The status in words")


class ProposalWait(ProposalView):
    timed_out: bool


class ProposalRow(Out):
    id: str
    kind: str
    group: str
    title: str
    status: str
    subject: str | None
    deadline: Instant | None
    created_by: str
    created_at: Instant
    eligible: int
    ballots: int
    eligible_voter: bool
    voted: bool
    awaiting_me: bool


class ProposalList(Out):
    proposals: list[ProposalRow]


class Ballot(Out):
    proposal_id: str
    voter: str
    vote: str | list[str]
    comment: str | None
    confidence: float
    evidence: list[str]
    replaced: bool = Field(description="Whether it replaced an earlier vote of yours")
    round: int
    cast_at: Instant


class Event(Out):
    id: int
    at: Instant
    type: str
    actor: str | None
    group: str | None
    ref: str | None
    data: dict[str, Any]
    prev_id: int | None
    hash: str


class MemberList(Out):
    members: list[Member]


class EventList(Out):
    events: list[Event]
