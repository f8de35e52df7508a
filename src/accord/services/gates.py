"""Gates (SPEC §5): request, vote, tally, wait and close — fail-closed, one open request per subject."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta
from typing import Any

from accord.domain import gates as rules
from accord.domain.errors import DeadlineError, ForbiddenError, NotFoundError, ValidationError
from accord.domain.inbox import check_payload
from accord.domain.members import Member
from accord.domain.proposals import Proposal, ProposalSpec
from accord.domain.tally import tally
from accord.services.access import require_group, visible_groups
from accord.services.context import Context, record
from accord.services.notices import SYSTEM, send_system
from accord.services.proposals import ProposalService, check_limit, iso
from accord.storage.uow import UnitOfWork

MAX_WAIT_SECONDS = 3600
LIST_STATUSES = ("open", "closed")
GATE_ID = re.compile(r"^prop_[a-z0-9]{12}$")


def gate_view(p: Proposal, now: datetime) -> dict[str, Any]:
    """A gate as every face shows it: status (approved, rejected, pending, vetoed, expired), why, and the count."""
    st = rules.state(p, now)
    closed_at = p.finalized_at or (p.deadline if st.closed else None)
    closed_by = p.finalized_by or (SYSTEM if st.closed else None)
    counted = set(st.count.voters)
    timeout = (p.deadline - p.created_at).total_seconds() if p.deadline else None
    return {
        "id": p.id,
        "request_id": p.id,
        "group": p.group,
        "subject": p.subject,
        "payload": p.payload,
        "requester": p.created_by,
        "status": st.status,
        "reason": st.reason,
        "closed": st.closed,
        **st.count.figures(),
        "votes": [
            {
                "voter": b.voter,
                "vote": b.shown(),
                "comment": b.comment,
                "advisory": p.voters[b.voter].advisory if b.voter in p.voters else False,
                "counted": b.voter in counted,
                "cast_at": iso(b.cast_at),
            }
            for b in p.ballots.values()
        ],
        "created_at": iso(p.created_at),
        "timeout_seconds": timeout,
        "timeout_at": iso(p.deadline),
        "closed_at": iso(closed_at),
        "closed_by": closed_by,
    }


class GateService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.proposals = ProposalService(ctx)

    # -- finding -------------------------------------------------------------------------------------------

    def _load(self, uow: UnitOfWork, actor: Member, request_id: str, *, for_update: bool = False) -> Proposal:
        try:
            p = self.proposals.load(uow, actor, request_id, for_update=for_update)
        except NotFoundError:
            p = None
        if p is None or p.kind != rules.KIND:
            raise NotFoundError(f"gate request {request_id} not found", request_id=request_id)
        return p

    def _find(self, uow: UnitOfWork, actor: Member, ref: str, group: str | None) -> Proposal:
        """A gate by id, or by subject: the subject's open request, else its latest one."""
        if GATE_ID.match(ref.strip()):
            return self._load(uow, actor, ref.strip())
        subject = rules.check_subject(ref)
        if group is not None:
            require_group(uow, actor, group)
            groups = [group]
        else:
            visible = visible_groups(uow, actor)
            groups = visible if visible is not None else [g["name"] for g in uow.groups.all(None)]
        hits: list[str] = []
        for name in groups:
            holder = uow.proposals.open_for_subject(name, subject)
            if holder is not None and self._kind(uow, holder) != rules.KIND:
                holder = None
            found = holder or uow.proposals.latest_for_subject(name, subject, kind=rules.KIND)
            if found is not None:
                hits.append(found)
        if not hits:
            where = f"group {group}" if group else "your groups"
            raise NotFoundError(f"no gate request for subject {subject!r} in {where}", subject=subject)
        if len(hits) > 1:
            owners = sorted(uow.proposals.group_of(h) or "" for h in hits)
            raise ValidationError(
                f"subject {subject!r} has gate requests in several groups ({', '.join(owners)}): give the group",
                field="group",
            )
        return self._load(uow, actor, hits[0])

    @staticmethod
    def _kind(uow: UnitOfWork, proposal_id: str) -> str | None:
        p = uow.proposals.get(proposal_id)
        return p.kind if p else None

    def _group_for(self, uow: UnitOfWork, actor: Member, group: str | None) -> str:
        if group is not None:
            return group
        mine = uow.groups.groups_of(actor.name)
        if len(mine) == 1:
            return mine[0]
        listed = ", ".join(mine) if mine else "none"
        raise ValidationError(f"group is required: you belong to {len(mine)} groups ({listed})", field="group")

    # -- changing ------------------------------------------------------------------------------------------

    def request(
        self,
        actor: Member,
        subject: str,
        payload: Any = None,
        group: str | None = None,
        timeout_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Open a gate on `subject`; every eligible voter receives a REQUEST. Refused while the subject has an
        open request (ConflictError naming it)."""
        subject = rules.check_subject(subject)
        payload = check_payload(payload)
        timeout = None if timeout_seconds is None else rules.check_timeout(timeout_seconds)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            group = self._group_for(uow, actor, group)
            require_group(uow, actor, group)
            policy = uow.groups.get(group) or {}
            if timeout is None:
                timeout = float(policy.get("default_timeout_seconds") or 3600)
            irreversible = rules.is_irreversible(subject, policy.get("irreversible_pattern") or rules.DEFAULT_PATTERN)
            voters = [m for m in uow.groups.memberships(group) if not m.settings.advisory and m.member != actor.name]
            if not voters:
                raise ValidationError(
                    f"group {group} has no one but you who could approve a gate (advisory members are not counted)",
                    field="group",
                )
            self._release_if_expired(uow, group, subject, now)
            spec = ProposalSpec(
                group=group,
                title=_title(subject),
                description=f"{actor.name} asks to go ahead with {subject!r}.",
                voting_type="yes_no",
                threshold_type=rules.threshold_type(irreversible),
                deadline=now + timedelta(seconds=timeout),
                subject=subject,
                prevent_self_vote=True,
                allow_abstain=True,
            )
            p = self.proposals.open_in(uow, actor, spec, kind=rules.KIND, payload=payload, now=now)
            uow.commit()
        return gate_view(p, now)

    def _release_if_expired(self, uow: UnitOfWork, group: str, subject: str, now: datetime) -> None:
        """A timed-out gate still holding the subject closes now (it closed itself at its timeout)."""
        holder = uow.proposals.open_for_subject(group, subject)
        if holder is None:
            return
        p = uow.proposals.get(holder, for_update=True)
        if p is not None and p.kind == rules.KIND and rules.timed_out(p, now):
            status, reason = rules.at_timeout(p, rules.count(p))
            assert p.deadline is not None
            self._freeze(uow, p, status, reason, by=SYSTEM, at=p.deadline, method="timeout", now=now)

    def _freeze(
        self,
        uow: UnitOfWork,
        p: Proposal,
        status: str,
        reason: str,
        *,
        by: str,
        at: datetime,
        method: str,
        now: datetime,
    ) -> None:
        """Close the gate with `status` frozen, and release its subject."""
        c = rules.count(p)
        figures = {
            **tally(p).as_dict(p.rules),
            "outcome": status,
            "result": "yes" if status == "approved" else "no",
            "threshold_met": status == "approved",
            "gate": {"status": status, "reason": reason, "method": method, **c.figures()},
        }
        p.finalize(figures, by=by, at=at, resolution={"method": f"gate_{method}"})
        uow.proposals.save(p)
        record(
            uow,
            "proposal.finalized",
            at=now,
            actor=by,
            group=p.group,
            ref=p.id,
            proposal_id=p.id,
            kind=rules.KIND,
            subject=p.subject,
            outcome=status,
            result=figures["result"],
            method=f"gate_{method}",
        )

    def vote(self, actor: Member, request_id: str, vote: object, comment: str | None = None) -> dict[str, Any]:
        """Vote yes, no or abstain on a gate; a veto holder's no vetoes it at once and tells the whole group."""
        choice = rules.check_vote(vote)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self._load(uow, actor, request_id, for_update=True)
            p.ensure_open()
            if rules.timed_out(p, now):
                assert p.deadline is not None
                raise DeadlineError(
                    f"voting closed at {p.deadline.isoformat()}: gate {p.id} timed out", proposal_id=p.id
                )
            if actor.name == p.created_by:
                raise ForbiddenError(
                    f"{actor.name} is not an eligible voter of {p.id}: the requester may not vote on its own gate",
                    proposal_id=p.id,
                    member=actor.name,
                )
            before = rules.count(p)
            ballot, replaced = p.cast(actor.name, choice, at=now, comment=comment)
            uow.proposals.put_ballot(p.id, ballot, replacing=replaced is not None)
            record(
                uow,
                "vote.changed" if replaced else "vote.cast",
                at=now,
                actor=actor.name,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                voter=actor.name,
                vote=choice,
                kind=rules.KIND,
            )
            after = rules.count(p)
            if actor.name in after.vetoed_by and actor.name not in before.vetoed_by:
                self._announce_veto(uow, p, actor.name, comment, now)
            elif actor.name in before.vetoed_by and actor.name not in after.vetoed_by:
                record(uow, "gate.veto_lifted", at=now, actor=actor.name, group=p.group, ref=p.id, proposal_id=p.id)
            uow.commit()
        return {
            "request_id": p.id,
            "voter": actor.name,
            "vote": choice,
            "comment": ballot.comment,
            "replaced": replaced is not None,
            "gate": gate_view(p, now),
        }

    def _announce_veto(self, uow: UnitOfWork, p: Proposal, holder: str, comment: str | None, now: datetime) -> None:
        record(uow, "proposal.vetoed", at=now, actor=holder, group=p.group, ref=p.id, proposal_id=p.id, by=holder)
        send_system(
            uow,
            group=p.group,
            to=[m.member for m in uow.groups.memberships(p.group)],
            type="VETO",
            subject=p.subject,
            content=f"VETO issued by {holder} on {p.subject!r}: {comment or 'no reason given'}",
            payload={"request_id": p.id, "proposal_id": p.id, "subject": p.subject, "by": holder, "comment": comment},
            at=now,
        )

    def close(self, actor: Member, request_id: str) -> dict[str, Any]:
        """The requester freezes the gate (approved, vetoed, else rejected) and releases the subject.

        Closing a gate that is already closed (or timed out) returns it as it was frozen."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self._load(uow, actor, request_id, for_update=True)
            if actor.name != p.created_by:
                raise ForbiddenError(
                    f"{actor.name} may not close {p.id}: only its requester {p.created_by} may act on its approval",
                    proposal_id=p.id,
                )
            if p.is_open:
                if rules.timed_out(p, now):
                    status, reason = rules.at_timeout(p, rules.count(p))
                    assert p.deadline is not None
                    self._freeze(uow, p, status, reason, by=SYSTEM, at=p.deadline, method="timeout", now=now)
                else:
                    status, reason = rules.on_close(p, rules.count(p), actor.name)
                    self._freeze(uow, p, status, reason, by=actor.name, at=now, method="close", now=now)
                uow.commit()
        return gate_view(p, now)

    def expire_due(self) -> list[str]:
        """Close every timed-out gate still holding its subject (a sweeper's job; reads never need it)."""
        now = self.ctx.now()
        closed = []
        with self.ctx.uow() as uow:
            for row in uow.proposals.summaries(None, status="open", kind=rules.KIND, limit=500):
                if row["deadline"] is not None and now >= row["deadline"]:
                    p = uow.proposals.get(row["id"], for_update=True)
                    if p is not None and rules.timed_out(p, now):
                        status, reason = rules.at_timeout(p, rules.count(p))
                        assert p.deadline is not None
                        self._freeze(uow, p, status, reason, by=SYSTEM, at=p.deadline, method="timeout", now=now)
                        closed.append(p.id)
            uow.commit()
        return closed

    # -- reading and waiting -------------------------------------------------------------------------------

    def listing(
        self,
        actor: Member,
        *,
        status: str | None = None,
        group: str | None = None,
        awaiting_me: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Gates of the caller's groups (SPEC §5 gate listing), each as `tally` shows it plus `voted` and
        `awaiting_me`. status: `open` (still taking votes: neither closed nor timed out) or `closed`; open
        gates come soonest timeout first, closed ones newest first. awaiting_me: only open gates waiting for
        the caller's ballot. Four queries, however many gates."""
        if status is not None and status not in LIST_STATUSES:
            raise ValidationError(f"status {status!r} is not allowed: use open or closed", field="status")
        check_limit(limit)
        now = self.ctx.now()
        live = None if status is None else status == "open"
        with self.ctx.uow(write=False) as uow:
            if group is not None:
                require_group(uow, actor, group)
            rows = uow.proposals.listing(
                visible_groups(uow, actor),
                actor.name,
                at=now,
                kind=rules.KIND,
                group=group,
                live=live,
                awaiting=awaiting_me,
                soonest_first=live is True or awaiting_me,
                limit=limit,
            )
            gates = uow.proposals.get_many([r["id"] for r in rows])
        mine = {r["id"]: r for r in rows}
        listed = []
        for p in gates:
            view = gate_view(p, now)
            row = mine[p.id]
            view["voted"] = row["voted"]
            view["awaiting_me"] = row["live"] and row["eligible_voter"] and not row["voted"]
            listed.append(view)
        return listed

    def tally(self, actor: Member, subject: str, group: str | None = None) -> dict[str, Any]:
        """The gate for `subject` (its open request, else its latest) or for a request id, counted now."""
        with self.ctx.uow(write=False) as uow:
            p = self._find(uow, actor, subject, group)
        return gate_view(p, self.ctx.now())

    def _read(self, actor: Member, request_id: str) -> dict[str, Any]:
        """The gate now; when it stands approved and the caller is its requester, close it (freeze the approval)."""
        with self.ctx.uow(write=False) as uow:
            p = self._load(uow, actor, request_id)
        view = gate_view(p, self.ctx.now())
        if view["status"] == "approved" and not view["closed"] and actor.name == p.created_by:
            return self.close(actor, request_id)
        return view

    def _sleep_for(self, view: dict[str, Any], remaining: float) -> float:
        """Sleep until the next event, but no longer than until the gate's own timeout instant."""
        if view["timeout_at"] is None:
            return remaining
        until = datetime.fromisoformat(view["timeout_at"]) - self.ctx.now()
        return max(0.0, min(remaining, until.total_seconds() + 0.001))

    def _resolve(self, actor: Member, subject: str, group: str | None) -> str:
        with self.ctx.uow(write=False) as uow:
            return self._find(uow, actor, subject, group).id

    def wait(self, actor: Member, subject: str, timeout: float = 300, group: str | None = None) -> dict[str, Any]:
        """Block until the gate is approved (closing it for its requester), vetoed, rejected or expired, or
        `timeout` seconds pass (`timed_out: true`, still pending). Wakes on the deciding event."""
        timeout = _check_wait(timeout)
        end = time.monotonic() + timeout
        request_id = self._resolve(actor, subject, group)
        with self.ctx.hub.subscribe([request_id]) as sub:
            while True:
                view = self._read(actor, request_id)
                remaining = end - time.monotonic()
                if view["status"] in rules.DECIDED or remaining <= 0:
                    return {**view, "timed_out": view["status"] not in rules.DECIDED}
                sub.wait(self._sleep_for(view, remaining))

    async def wait_async(
        self, actor: Member, subject: str, timeout: float = 300, group: str | None = None
    ) -> dict[str, Any]:
        """`wait` for async faces: the event loop keeps serving while this waits."""
        timeout = _check_wait(timeout)
        end = time.monotonic() + timeout
        request_id = await asyncio.to_thread(self._resolve, actor, subject, group)
        with self.ctx.hub.subscribe([request_id]) as sub:
            while True:
                view = await asyncio.to_thread(self._read, actor, request_id)
                remaining = end - time.monotonic()
                if view["status"] in rules.DECIDED or remaining <= 0:
                    return {**view, "timed_out": view["status"] not in rules.DECIDED}
                await sub.wait_async(self._sleep_for(view, remaining))


def _title(subject: str) -> str:
    title = f"gate: {subject}"
    return title if len(title) <= 200 else title[:199] + "…"


def _check_wait(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= MAX_WAIT_SECONDS:
        raise ValidationError(f"timeout must be 0-{MAX_WAIT_SECONDS} seconds, got {timeout!r}", field="timeout")
    return float(timeout)
