"""What people are told (SPEC §11): which causing event makes which notice, for whom, and what it says.

Pure: the caller passes the item's facts (voters, ballots, the group's human owners/admins, who opted in)
read in the causing event's transaction, and gets back the notice type and its recipients; `render` turns
one notice into the title and body a member reads, with the deadline in the member's time zone.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.domain.errors import ValidationError

VOTE_REQUESTED = "vote.requested"
VOTE_REMINDER = "vote.reminder"
ESCALATED = "proposal.escalated"
DECIDED = "proposal.decided"
GATE_DECIDED = "gate.decided"
CHECKPOINT_READY = "checkpoint.ready"
NOTICE_TYPES = (VOTE_REQUESTED, VOTE_REMINDER, ESCALATED, DECIDED, GATE_DECIDED, CHECKPOINT_READY)
# Sent only to members whose channel names it (SPEC §11: "members who opted in").
OPT_IN = (CHECKPOINT_READY,)

# SPEC §11's table: causing event → notice. A gate's request is recorded as `proposal.created` with kind "gate",
# its close or expiry as `proposal.finalized` with kind "gate"; both names are accepted.
CAUSES: dict[str, str] = {
    "proposal.created": VOTE_REQUESTED,
    "proposal.revote": VOTE_REQUESTED,
    "gate.requested": VOTE_REQUESTED,
    "checkpoint.approval_requested": VOTE_REQUESTED,
    "proposal.reminded": VOTE_REMINDER,
    "proposal.escalated": ESCALATED,
    "proposal.finalized": DECIDED,
    "proposal.forced": DECIDED,
    "proposal.resolved": DECIDED,
    "gate.decided": GATE_DECIDED,
    "gate.expired": GATE_DECIDED,
    "checkpoint.ready": CHECKPOINT_READY,
}

MAX_TIME_ZONE = 64


@dataclass(frozen=True)
class Recipient:
    name: str
    kind: str  # "agent" or "human"


@dataclass(frozen=True)
class VoterFacts:
    """A voter of the item as the proposal's snapshot has it, and whether it has a ballot in this round."""

    name: str
    kind: str
    advisory: bool = False
    voted: bool = False


@dataclass(frozen=True)
class ItemFacts:
    """What the notice table needs to know about the item an event is about."""

    kind: str  # "proposal", "gate" or "checkpoint"
    id: str
    group: str
    title: str
    creator: str | None = None
    creator_kind: str = "agent"
    subject: str | None = None
    deadline: datetime | None = None
    status: str | None = None
    outcome: str | None = None
    voters: tuple[VoterFacts, ...] = ()
    human_managers: tuple[Recipient, ...] = ()  # the group's human owners/admins
    opted_in: tuple[Recipient, ...] = ()  # members whose channels ask for this notice (checkpoint.ready)
    path: str = "/"  # the item's page on the web, e.g. /gates/<id>
    milestone_id: str | None = None


@dataclass(frozen=True)
class Notice:
    """One notice type about one item, for its recipients (each gets its own message)."""

    type: str
    cause: str
    item: ItemFacts
    recipients: tuple[Recipient, ...]
    reason: str | None = None


def notice_type(event_type: str, data: dict[str, Any] | None = None) -> str | None:
    """The notice an event causes (SPEC §11), or None. A `proposal.finalized` about a gate is its close or
    expiry: `gate.decided` to the requester, not `proposal.decided`."""
    data = data or {}
    if event_type == "proposal.finalized" and data.get("kind") == "gate":
        return GATE_DECIDED
    return CAUSES.get(event_type)


def plan(event_type: str, data: dict[str, Any], item: ItemFacts) -> Notice | None:
    """The notice `event_type` causes about `item`, with its recipients per SPEC §11's table; None when it
    causes none or nobody is to be told. Recipients are unique, in the table's order."""
    kind = notice_type(event_type, data)
    if kind is None:
        return None
    who: list[Recipient]
    if kind == VOTE_REQUESTED:
        who = [Recipient(v.name, v.kind) for v in item.voters if not v.advisory]
    elif kind == VOTE_REMINDER:
        who = [Recipient(v.name, v.kind) for v in item.voters if not v.voted]
    elif kind == ESCALATED:
        who = list(item.human_managers)
    elif kind == DECIDED:
        creator = [Recipient(item.creator, item.creator_kind)] if item.creator else []
        who = creator + [Recipient(v.name, v.kind) for v in item.voters]
    elif kind == GATE_DECIDED:
        who = [Recipient(item.creator, item.creator_kind)] if item.creator else []
    else:
        who = list(item.opted_in)
    unique = tuple({r.name: r for r in who}.values())
    if not unique:
        return None
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    return Notice(type=kind, cause=event_type, item=item, recipients=unique, reason=reason)


@dataclass(frozen=True)
class Rendered:
    """A notice as one member reads it."""

    title: str
    body: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)


def render(
    notice: Notice,
    member: Recipient,
    *,
    public_url: str,
    time_zone: str | None = None,
) -> Rendered:
    """The notice for `member`: the item, what is asked, the deadline in the member's time zone (UTC when
    none) and the item's web address under `public_url`. A human's sign-in link is minted at each send
    attempt and added then (`signin_line`)."""
    item = notice.item
    url = public_url.rstrip("/") + item.path
    name = _item_name(item)
    asked = _asked(notice)
    lines = [f"{name} in group {item.group}.", asked]
    if item.deadline is not None and notice.type in (VOTE_REQUESTED, VOTE_REMINDER, ESCALATED):
        lines.append(f"Deadline: {local_time(item.deadline, time_zone)}.")
    lines.append(f"Open it: {url}")
    title = f"[Accord] {_title_verb(notice)}: {item.title}"
    data = {
        "notice": notice.type,
        "cause": notice.cause,
        "group": item.group,
        "item": {"kind": item.kind, "id": item.id, "title": item.title, "subject": item.subject},
        "deadline": None if item.deadline is None else item.deadline.isoformat(),
        "url": url,
        "to": member.name,
    }
    return Rendered(title=title, body="\n".join(lines), url=url, data=data)


def signin_line(link: str) -> str:
    """The line a human's notice ends with: its single-use sign-in link."""
    return f"Sign in and open it (single use, valid 15 minutes): {link}"


def local_time(at: datetime, time_zone: str | None) -> str:
    """`at` in `time_zone` (an IANA name; UTC when None), e.g. '2026-05-01 14:00 CEST (Europe/Paris)'."""
    zone: tzinfo = UTC if not time_zone else ZoneInfo(time_zone)
    shown = at.astimezone(zone)
    return f"{shown:%Y-%m-%d %H:%M %Z} ({time_zone or 'UTC'})"


def check_time_zone(value: object) -> str | None:
    """An IANA time zone name ('Europe/Paris'), or None to clear it; ValidationError naming `time_zone`."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= MAX_TIME_ZONE and re.fullmatch(r"[A-Za-z0-9_+/-]+", value):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    raise ValidationError(
        f"time_zone {value!r} is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)",
        field="time_zone",
    )


def check_events(events: Iterable[str] | None) -> tuple[str, ...] | None:
    """A channel's notice filter: notice types or patterns over them ('vote.*'); None means every notice but
    the opt-in ones. ValidationError naming `events` and the allowed types."""
    if events is None:
        return None
    chosen = tuple(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not chosen:
        return None
    for e in chosen:
        if len(e) > 64 or not fnmatch.filter(NOTICE_TYPES, e):
            raise ValidationError(
                f"events: {e!r} matches no notice; use {', '.join(NOTICE_TYPES)} or a pattern such as 'vote.*'",
                field="events",
                allowed=list(NOTICE_TYPES),
            )
    return chosen


def wants(events: Sequence[str] | None, notice: str) -> bool:
    """Whether a channel with filter `events` is told `notice` (opt-in notices only when named)."""
    if events is None:
        return notice not in OPT_IN
    return any(fnmatch.fnmatchcase(notice, e) for e in events)


def _item_name(item: ItemFacts) -> str:
    if item.kind == "gate":
        return f"Gate {item.subject!r} ({item.id}) requested by {item.creator}"
    if item.kind == "checkpoint":
        return f"Checkpoint {item.title!r} of milestone {item.milestone_id}"
    return f"Proposal {item.title!r} ({item.id}) by {item.creator}"


def _title_verb(notice: Notice) -> str:
    return {
        VOTE_REQUESTED: "Your vote is requested",
        VOTE_REMINDER: "Reminder, your vote is still needed",
        ESCALATED: "Escalated to you",
        DECIDED: "Decided",
        GATE_DECIDED: "Gate decided",
        CHECKPOINT_READY: "Checkpoint ready",
    }[notice.type]


def _asked(notice: Notice) -> str:
    item = notice.item
    if notice.type == VOTE_REQUESTED:
        if item.kind == "gate":
            return "You are asked to approve or reject it: vote yes or no."
        return "You are asked to vote on it."
    if notice.type == VOTE_REMINDER:
        return "You have not voted yet: please vote before the deadline."
    if notice.type == ESCALATED:
        why = f" ({notice.reason})" if notice.reason else ""
        return f"It was escalated to the group's humans{why}: decide it with resolve_proposal."
    if notice.type == DECIDED:
        return f"It was decided: {item.outcome or item.status}. Nothing more is asked of you."
    if notice.type == GATE_DECIDED:
        return f"Your gate was closed: {item.outcome or item.status}."
    return "All its dependencies are complete: it can be worked on now."
