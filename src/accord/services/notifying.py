"""Member notices as channel deliveries (SPEC §11): planned in the causing event's transaction, sent later.

`plan_channel_deliveries(conn, events)` reads, in the transaction that appends `events`, the facts SPEC §11's
table needs (voters and their ballots, the group's human owners/admins, who opted in), asks the pure notice
table (`accord.domain.notices`) who is told what, and returns one delivery payload per (recipient, channel)
that wants it, already rendered with the deadline in the recipient's time zone. `send_channel_delivery`
sends one payload through Apprise, minting the human's sign-in link at that attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from accord.domain import notices
from accord.domain.notices import ItemFacts, Notice, Recipient, VoterFacts
from accord.domain.proposals import Proposal
from accord.services import apprise_channels
from accord.services.context import Context
from accord.services.ids import new_id
from accord.services.outbox import Delivery, Outcome, Sender, delivery_row
from accord.services.signin_links import SigninLinkService
from accord.storage.event_log import PendingEvent
from accord.storage.outbox_repository import OutboxRepository
from accord.storage.proposal_repository import ProposalRepository
from accord.storage.reach_repository import ReachRepository
from accord.storage.repositories import GroupRepository, MemberRepository

CHANNEL = "channel"  # the outbox kind of member notices


class EventLike(Protocol):
    """An event as `plan_notices` reads it: a PendingEvent being flushed, or a StoredEvent read back."""

    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def group(self) -> str | None: ...
    @property
    def ref(self) -> str | None: ...
    @property
    def id(self) -> int | None: ...


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from the log, shaped as `plan_notices` takes it."""

    type: str
    data: Any
    group: str | None
    ref: str | None
    id: int | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> StoredEvent:
        return cls(row["type"], row["data"], row.get("group_name", row.get("group")), row["ref"], row["id"])


def proposal_facts(conn: Connection, p: Proposal) -> ItemFacts:
    """What the notice table needs about a proposal or gate, read in the caller's transaction."""
    members = MemberRepository(conn)
    creator = members.get(p.created_by)
    managers = tuple(
        Recipient(m.member, m.kind)
        for m in GroupRepository(conn).memberships(p.group)
        if m.manages and m.kind == "human"
    )
    is_gate = p.kind == "gate"
    outcome = (p.outcome or {}).get("outcome") if p.outcome else None
    return ItemFacts(
        kind="gate" if is_gate else "proposal",
        id=p.id,
        group=p.group,
        title=p.title,
        creator=p.created_by,
        creator_kind=creator.kind if creator is not None else "agent",
        subject=p.subject,
        deadline=p.deadline,
        status=p.status,
        outcome=None if outcome is None else str(outcome),
        voters=tuple(
            VoterFacts(v.name, v.kind, advisory=v.advisory, voted=v.name in p.ballots) for v in p.voters.values()
        ),
        human_managers=managers,
        path=f"/gates/{p.id}" if is_gate else f"/proposals/{p.id}",
    )


def checkpoint_facts(conn: Connection, event: EventLike, data: dict[str, Any]) -> ItemFacts | None:
    """A ready checkpoint's facts, with the members of its group whose channels name `checkpoint.ready`."""
    group, checkpoint_id, milestone_id = event.group, data.get("checkpoint_id"), data.get("milestone_id")
    if not (isinstance(group, str) and isinstance(checkpoint_id, str) and isinstance(milestone_id, str)):
        return None
    members = {m.member: m.kind for m in GroupRepository(conn).memberships(group)}
    opted = sorted(
        {
            row["member"]
            for row in ReachRepository(conn).channels(sorted(members))
            if row["events"] is not None and notices.wants(row["events"], notices.CHECKPOINT_READY)
        }
    )
    return ItemFacts(
        kind="checkpoint",
        id=checkpoint_id,
        group=group,
        title=str(data.get("title") or checkpoint_id),
        milestone_id=milestone_id,
        opted_in=tuple(Recipient(name, members[name]) for name in opted),
        path=f"/milestones/{milestone_id}",
    )


def plan_notices(conn: Connection, events: Sequence[EventLike]) -> list[tuple[Notice, int | None]]:
    """The notices a transaction's events cause (SPEC §11), each with its causing event's id. The same notice
    about the same item is planned once per transaction (resolving records `proposal.resolved` and
    `proposal.finalized`; a checkpoint's approval request creates a proposal too)."""
    planned: dict[tuple[str, str], tuple[Notice, int | None]] = {}
    proposals = ProposalRepository(conn)
    cache: dict[str, ItemFacts | None] = {}
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        kind = notices.notice_type(event.type, data)
        if kind is None:
            continue
        if kind == notices.CHECKPOINT_READY:
            ready = checkpoint_facts(conn, event, data)
            notice = None if ready is None else notices.plan(event.type, data, ready)
            if notice is not None and ready is not None and (notice.type, ready.id) not in planned:
                planned[(notice.type, ready.id)] = (notice, event.id)
            continue
        proposal_id = data.get("proposal_id") or event.ref
        if not isinstance(proposal_id, str):
            continue
        if proposal_id not in cache:
            p = proposals.get(proposal_id)
            cache[proposal_id] = None if p is None else proposal_facts(conn, p)
        facts = cache[proposal_id]
        if facts is None:
            continue
        notice = notices.plan(event.type, data, facts)
        if notice is not None and (notice.type, facts.id) not in planned:
            planned[(notice.type, facts.id)] = (notice, event.id)
    return list(planned.values())


@dataclass(frozen=True)
class ChannelDelivery:
    """One notice for one member on one channel: the outbox payload of kind `channel`."""

    target: str  # "channel:<id>": deliveries to one channel go in event order
    event_id: int | None
    payload: dict[str, Any]


def plan_channel_deliveries(conn: Connection, events: Sequence[EventLike], *, public_url: str) -> list[ChannelDelivery]:
    """Every channel delivery `events` cause, rendered for each recipient (see the module's docstring)."""
    planned = plan_notices(conn, events)
    if not planned:
        return []
    repo = ReachRepository(conn)
    names = sorted({r.name for notice, _ in planned for r in notice.recipients})
    channels: dict[str, list[dict[str, Any]]] = {}
    for row in repo.channels(names):
        channels.setdefault(row["member"], []).append(row)
    zones = repo.time_zones(names)
    out: list[ChannelDelivery] = []
    for notice, event_id in planned:
        for recipient in notice.recipients:
            for channel in channels.get(recipient.name, ()):
                if not notices.wants(channel["events"], notice.type):
                    continue
                shown = notices.render(notice, recipient, public_url=public_url, time_zone=zones.get(recipient.name))
                payload = {
                    "channel_id": channel["id"],
                    "member": recipient.name,
                    "member_kind": recipient.kind,
                    "notice": notice.type,
                    "cause": notice.cause,
                    "event_id": event_id,
                    "title": shown.title,
                    "body": shown.body,
                    "url": shown.url,
                    "next_path": notice.item.path,
                    "data": shown.data,
                }
                out.append(ChannelDelivery(target=f"channel:{channel['id']}", event_id=event_id, payload=payload))
    return out


def channel_observer(public_url: str) -> Callable[[Connection, Sequence[PendingEvent]], None]:
    """The event-log observer that writes channel deliveries in the causing transaction (SPEC §11)."""

    def observe_events(conn: Connection, events: Sequence[PendingEvent]) -> None:
        if not any(notices.notice_type(e.type, e.data if isinstance(e.data, dict) else None) for e in events):
            return
        deliveries = plan_channel_deliveries(conn, events, public_url=public_url)
        if not deliveries:
            return
        at = events[-1].at
        by_id = {e.id: e for e in events}
        rows = [
            delivery_row(
                new_id("dlv"),
                kind=CHANNEL,
                target=d.target,
                payload=d.payload,
                at=at,
                group=by_id[d.event_id].group if d.event_id in by_id else None,
                event_id=d.event_id,
                event_type=by_id[d.event_id].type if d.event_id in by_id else None,
            )
            for d in deliveries
        ]
        OutboxRepository(conn).add_many(rows)

    return observe_events


class ChannelSender(Sender):
    """Sends `channel` deliveries through Apprise: re-reads the channel (a removed one ends the delivery), mints
    a human's sign-in link at this attempt, and hands the notice to Apprise."""

    kind = CHANNEL

    def __init__(self, ctx: Context, links: SigninLinkService) -> None:
        self.ctx = ctx
        self.links = links

    def send(self, delivery: Delivery, *, now: datetime) -> Outcome:
        payload: dict[str, Any] = delivery.payload if isinstance(delivery.payload, dict) else {}
        with self.ctx.uow(write=False) as uow:
            channel = ReachRepository(uow.conn).channel(str(payload.get("channel_id")))
        if channel is None:
            return Outcome(False, error=f"channel {payload.get('channel_id')} was removed", final=True)
        body = str(payload.get("body", ""))
        if payload.get("member_kind") == "human":
            link = self.links.mint_now(str(payload["member"]), str(payload.get("next_path") or "/"))
            body += "\n" + notices.signin_line(link)
        sent = apprise_channels.send(
            channel["url"], str(payload.get("title", "")), body, allow_private=self.ctx.allow_private_targets
        )
        return Outcome(sent.ok, error=sent.error)
