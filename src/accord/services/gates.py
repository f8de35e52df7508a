"""Gates (SPEC §5): request, vote, tally, wait and close — fail-closed, one open request per subject."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accord.canonical import payload_digest
from accord.domain import gates as rules
from accord.domain.errors import DeadlineError, ForbiddenError, NotFoundError, ValidationError
from accord.domain.inbox import check_payload
from accord.domain.members import Member
from accord.domain.proposals import Proposal, ProposalSpec
from accord.domain.tally import tally
from accord.services import holding
from accord.services.access import require_group, visible_groups
from accord.services.context import Context, decision, record
from accord.services.fanout import IDLE_RECHECK_SECONDS, Reading, Shared, WaitBoard
from accord.services.notices import SYSTEM, send_system
from accord.services.proposals import ProposalService, check_limit, iso
from accord.storage.reach_repository import ReachRepository
from accord.storage.uow import UnitOfWork

MAX_WAIT_SECONDS = 3600
LIST_STATUSES = ("open", "closed")
GATE_ID = re.compile(r"^prop_[a-z0-9]{12}$")


def gate_view(p: Proposal, now: datetime, viewer: str | None = None) -> dict[str, Any]:
    """A gate as every face shows it: status (approved, rejected, pending, vetoed, expired), why, the count, the
    payload's digest, and `actionable`: true only for its requester (`viewer`) once it is closed as approved."""
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
        "payload_digest": p.payload_digest,
        "requester": p.created_by,
        "status": st.status,
        "reason": st.reason,
        "closed": st.closed,
        "actionable": st.closed and st.status == "approved" and viewer == p.created_by,
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


@dataclass(frozen=True)
class NoneOpen:
    """A subject with no open request: only the latest one is named (SPEC §5 rev. 2)."""

    subject: str
    latest: Proposal

    def view(self, now: datetime, viewer: str) -> dict[str, Any]:
        """{"status": "none_open", "reason": ..., "latest": {...}}; never actionable, by anyone."""
        latest = {**gate_view(self.latest, now, viewer), "actionable": False}
        return {
            "status": "none_open",
            "subject": self.subject,
            "group": latest["group"],
            "request_id": None,
            "reason": f"no open request for subject '{self.subject}'; the latest, {latest['id']}, closed at "
            f"{latest['closed_at']} as {latest['status']}: request again to act again",
            "closed": True,
            "actionable": False,
            "latest": latest,
        }


class GateService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.proposals = ProposalService(ctx)
        # Waiters on one gate share a watch, a read and an encoding (SPEC §8 rev. 2, services/fanout.py).
        self.waits = WaitBoard(
            ctx.hub,
            self._watch_read,
            lambda rid: NotFoundError(f"gate request {rid} not found", request_id=rid),
            ctx.decision_under_way,
            [lambda caller, _reading: holding.unexpired(ctx, caller)],  # no read: the expiry instant
        )

    # -- finding -------------------------------------------------------------------------------------------

    def _load(self, uow: UnitOfWork, actor: Member, request_id: str, *, for_update: bool = False) -> Proposal:
        try:
            p = self.proposals.load(uow, actor, request_id, for_update=for_update)
        except NotFoundError:
            p = None
        if p is None or p.kind != rules.KIND:
            raise NotFoundError(f"gate request {request_id} not found", request_id=request_id)
        return p

    def _find(self, uow: UnitOfWork, actor: Member, ref: str, group: str | None) -> Proposal | NoneOpen:
        """A gate by request id, or by subject: only the subject's open request counts (SPEC §5 rev. 2). With none
        open, the latest request is named (NoneOpen); a subject never requested is NotFoundError."""
        if GATE_ID.match(ref.strip()):
            return self._load(uow, actor, ref.strip())
        subject = rules.check_subject(ref)
        if group is not None:
            require_group(uow, actor, group)
            groups = [group]
        else:
            visible = visible_groups(uow, actor)
            groups = visible if visible is not None else [g["name"] for g in uow.groups.all(None)]
        now = self.ctx.now()
        opened: list[str] = []
        latest: list[str] = []
        for name in groups:
            holder = uow.proposals.open_for_subject(name, subject)
            held = uow.proposals.get(holder) if holder is not None else None
            if held is not None and held.kind == rules.KIND and not rules.timed_out(held, now):
                opened.append(holder or "")
                continue
            found = uow.proposals.latest_for_subject(name, subject, kind=rules.KIND)
            if found is not None:
                latest.append(found)
        hits = opened or latest
        if not hits:
            where = f"group {group}" if group else "your groups"
            raise NotFoundError(f"no gate request for subject {subject!r} in {where}", subject=subject)
        if len(hits) > 1:
            owners = sorted(uow.proposals.group_of(h) or "" for h in hits)
            what = "open gate requests" if opened else "gate requests"
            raise ValidationError(
                f"subject {subject!r} has {what} in several groups ({', '.join(owners)}): give the group",
                field="group",
            )
        p = self._load(uow, actor, hits[0])
        return p if opened else NoneOpen(subject, p)

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
        """Open a gate on `subject`; every eligible voter receives a REQUEST. The payload's digest (SHA-256 of its
        RFC 8785 form) is stored with it. Refused while the subject has an open request (ConflictError naming it),
        for a payload with no canonical form, and when the group has no one else to approve it or, for an
        irreversible subject, fewer human gate voters than its policy's `irreversible_human_approvals`."""
        subject = rules.check_subject(subject)
        payload = check_payload(payload)
        digest = payload_digest(payload)
        timeout = None if timeout_seconds is None else rules.check_timeout(timeout_seconds)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            group = self._group_for(uow, actor, group)
            require_group(uow, actor, group)
            policy = uow.groups.get(group) or {}
            if timeout is None:
                timeout = float(policy.get("default_timeout_seconds") or 3600)
            irreversible = rules.is_irreversible(subject, policy.get("irreversible_pattern") or rules.DEFAULT_PATTERN)
            humans = int(policy.get("irreversible_human_approvals") or 0) if irreversible else 0
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
                min_human_approvals=humans,
            )
            p = self.proposals.open_in(
                uow, actor, spec, kind=rules.KIND, payload=payload, now=now, payload_digest=digest
            )
            uow.commit()
        return gate_view(p, now, actor.name)

    def _release_if_expired(self, uow: UnitOfWork, group: str, subject: str, now: datetime) -> None:
        """A timed-out gate still holding the subject closes now (it closed itself at its timeout)."""
        holder = uow.proposals.open_for_subject(group, subject)
        if holder is None:
            return
        p = uow.proposals.get(holder, for_update=True)
        if p is not None and p.kind == rules.KIND and rules.timed_out(p, now):
            self._expire(uow, p, now)

    def _expire(self, uow: UnitOfWork, p: Proposal, now: datetime) -> None:
        """Close a timed-out gate as it stood at its timeout (approved, vetoed, else expired), with its receipt.
        Whichever path notices first does it (a read, a wait, a close, a new request, the sweeper): the row
        lock (PostgreSQL) or the writer lock (SQLite) lets exactly one of them."""
        status, reason = rules.at_timeout(p, rules.count(p))
        assert p.deadline is not None
        self._freeze(uow, p, status, reason, by=SYSTEM, at=p.deadline, method="timeout", now=now)

    def sweep(self) -> dict[str, Any]:
        """Close every gate whose timeout passed while nobody looked (the sweeper's share), so its requester is
        told at its expiry (SPEC §11 `gate.decided`). Idempotent; returns {at, expired: [ids]}."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            due = ReachRepository(uow.conn).gates_past_timeout(now)
        for request_id in due:
            self._settle(request_id)
        return {"at": now.isoformat(), "expired": due}

    def _settle(self, request_id: str) -> None:
        """Close the gate now if it timed out while nobody looked (a read noticing it writes it)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = uow.proposals.get(request_id, for_update=True)
            if p is not None and p.kind == rules.KIND and rules.timed_out(p, now):
                self._expire(uow, p, now)
                uow.commit()

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
        decided = record(
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
        self.proposals.receipts.issue(uow, p, decided, now=now)

    @decision
    def vote(self, actor: Member, request_id: str, vote: object, comment: str | None = None) -> dict[str, Any]:
        """Vote yes, no or abstain on a gate; a veto holder's no vetoes it at once and tells the whole group."""
        choice = rules.check_vote(vote)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self._load(uow, actor, request_id, for_update=True)
            expired = (p.resolution or {}).get("method") == "gate_timeout"  # closed by a read at its timeout
            if not expired:
                p.ensure_open()
            if expired or rules.timed_out(p, now):
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
            "gate": gate_view(p, now, actor.name),
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

    @decision
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
                    self._expire(uow, p, now)
                else:
                    status, reason = rules.on_close(p, rules.count(p), actor.name)
                    self._freeze(uow, p, status, reason, by=actor.name, at=now, method="close", now=now)
                uow.flush()  # the closing event is chained and the receipt signed
            view = self._with_receipt(uow, actor, p, gate_view(p, now, actor.name))
            uow.commit()
        return view

    def _with_receipt(self, uow: UnitOfWork, actor: Member, p: Proposal, view: dict[str, Any]) -> dict[str, Any]:
        """`view` with the gate's receipt (SPEC §12): only for its requester and administrators, once closed."""
        entitled = actor.name == p.created_by or actor.is_admin
        view["receipt"] = self.proposals.receipts.stored(uow, p.id) if entitled and view["closed"] else None
        return view

    def expire_due(self) -> list[str]:
        """Close every timed-out gate still holding its subject (a sweeper's job; reads never need it)."""
        now = self.ctx.now()
        closed = []
        with self.ctx.uow() as uow:
            for row in uow.proposals.summaries(None, status="open", kind=rules.KIND, limit=500):
                if row["deadline"] is not None and now >= row["deadline"]:
                    p = uow.proposals.get(row["id"], for_update=True)
                    if p is not None and rules.timed_out(p, now):
                        self._expire(uow, p, now)
                        closed.append(p.id)
            uow.commit()
        return closed

    def verify(self, actor: Member, request_id: str, payload: Any = None) -> dict[str, Any]:
        """Whether gate `request_id` was closed as approved for exactly `payload` (SPEC §5 rev. 2): its digest,
        SHA-256 of the RFC 8785 form, must equal the one stored when the gate was requested.

        Returns {"request_id", "verified", "status", "closed", "payload_digest", "given_digest", "reason"}, the
        reason being "gate <id> is not approved: <status>" or "gate <id> was approved for payload <d1>, not <d2>"
        when `verified` is false. ValidationError for a payload with no canonical form; NotFoundError for a gate
        the caller cannot see."""
        payload = check_payload(payload)
        given = payload_digest(payload)
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            p = self._load(uow, actor, request_id.strip())
        view = gate_view(p, now, actor.name)
        verified = False
        if not (view["closed"] and view["status"] == "approved"):
            state = view["status"] if view["closed"] else f"{view['status']} (still open)"
            reason = f"gate {p.id} is not approved: {state}"
        elif p.payload_digest != given:
            reason = f"gate {p.id} was approved for payload {p.payload_digest}, not {given}"
        else:
            verified, reason = True, f"gate {p.id} was approved for this payload ({given})"
        return {
            "request_id": p.id,
            "subject": p.subject,
            "group": p.group,
            "verified": verified,
            "status": view["status"],
            "closed": view["closed"],
            "payload_digest": p.payload_digest,
            "given_digest": given,
            "reason": reason,
        }

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
        """The gate for a request id, or for `subject`'s open request, counted now; with no open request for the
        subject, {"status": "none_open", "latest": {...}} (SPEC §5 rev. 2)."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            found = self._find(uow, actor, subject, group)
        if isinstance(found, NoneOpen):
            return found.view(now, actor.name)
        p = found
        if rules.timed_out(p, now):
            self._settle(p.id)
            with self.ctx.uow(write=False) as uow:
                p = self._load(uow, actor, p.id)
        return gate_view(p, self.ctx.now(), actor.name)

    def _read(self, actor: Member, request_id: str) -> dict[str, Any]:
        """The gate now; when it stands approved and the caller is its requester, close it (freeze the approval).
        A gate that timed out is closed first, so its receipt exists; the receipt is in the view for the
        requester and administrators."""
        with self.ctx.uow(write=False) as uow:
            p = self._load(uow, actor, request_id)
            if not rules.timed_out(p, self.ctx.now()):
                view = gate_view(p, self.ctx.now(), actor.name)
                if not (view["status"] == "approved" and not view["closed"] and actor.name == p.created_by):
                    return self._with_receipt(uow, actor, p, view)
        return self.close(actor, request_id) if actor.name == p.created_by else self._settled_view(actor, request_id)

    def _settled_view(self, actor: Member, request_id: str) -> dict[str, Any]:
        self._settle(request_id)
        with self.ctx.uow(write=False) as uow:
            p = self._load(uow, actor, request_id)
            return self._with_receipt(uow, actor, p, gate_view(p, self.ctx.now(), actor.name))

    def _sleep_for(self, view: dict[str, Any], remaining: float) -> float:
        """Sleep until the next event, but no longer than until the gate's own timeout instant."""
        if view["timeout_at"] is None:
            return remaining
        until = datetime.fromisoformat(view["timeout_at"]) - self.ctx.now()
        return max(0.0, min(remaining, until.total_seconds() + 0.001))

    def _resolve(self, actor: Member, subject: str, group: str | None) -> str | dict[str, Any]:
        """The request id to wait on, or the none-open answer when `subject` has no open request."""
        with self.ctx.uow(write=False) as uow:
            found = self._find(uow, actor, subject, group)
        if isinstance(found, NoneOpen):
            return {**found.view(self.ctx.now(), actor.name), "timed_out": False}
        return found.id

    def wait(self, actor: Member, subject: str, timeout: float = 300, group: str | None = None) -> dict[str, Any]:
        """Block until the gate is approved (closing it for its requester), vetoed, rejected or expired, or
        `timeout` seconds pass (`timed_out: true`, still pending). Wakes on the deciding event. By subject, only
        an open request is waited on: with none open it answers `none_open` at once (SPEC §5 rev. 2)."""
        timeout = _check_wait(timeout)
        end = time.monotonic() + timeout
        request_id = self._resolve(actor, subject, group)
        if isinstance(request_id, dict):
            return request_id
        refs = [request_id, *holding.watch_refs(actor, holding.group_of(self.ctx, request_id))]
        with self.ctx.hub.subscribe(refs) as sub:
            while True:
                view = self._held_read(actor, request_id)
                remaining = end - time.monotonic()
                if view["status"] in rules.DECIDED or remaining <= 0:
                    return {**view, "timed_out": view["status"] not in rules.DECIDED}
                sub.wait(holding.cap(self.ctx, actor, self._sleep_for(view, remaining)))

    async def wait_async(
        self, actor: Member, subject: str, timeout: float = 300, group: str | None = None
    ) -> dict[str, Any]:
        """`wait` for async faces: the event loop keeps serving while this waits (a copy of `wait_shared`'s view)."""
        return dict((await self.wait_shared(actor, subject, timeout, group)).view)

    async def wait_shared(self, actor: Member, subject: str, timeout: float = 300, group: str | None = None) -> Shared:
        """`wait` for async faces, shared (SPEC §8 rev. 2): the waiters on one gate in this process share one read
        of the deciding state and one JSON encoding (`Shared.body`), each after its own visibility check (a member
        removed from the group meanwhile gets NotFoundError). Its requester's wait (which closes an approved gate
        and is `actionable`) and an administrator's (which shows the receipt) read on their own after the wake.
        ValidationError (timeout outside 0-3600), NotFoundError (no such gate visible to the caller)."""
        timeout = _check_wait(timeout)
        end = time.monotonic() + timeout
        request_id = await asyncio.to_thread(self._resolve, actor, subject, group)
        if isinstance(request_id, dict):
            return Shared(request_id)
        group = await asyncio.to_thread(holding.group_of, self.ctx, request_id)
        # The caller's own watch (its token, its membership), before its first read: no refusal is missed.
        with self.ctx.hub.subscribe(holding.watch_refs(actor, group)) as held:
            view = await asyncio.to_thread(self._held_read, actor, request_id)  # its own check, the fast path
            if view["status"] in rules.DECIDED or timeout == 0:
                return Shared({**view, "timed_out": view["status"] not in rules.DECIDED})
            shared = self.waits.wait(request_id, end - time.monotonic())
            reading = await holding.race(self.ctx, actor, group, held, shared, lambda: self.waits.refusal(request_id))
            if reading is not None:
                self.waits.admit(actor, reading, request_id)
                if not (actor.is_admin or actor.name == reading.state.created_by):
                    return reading.shared
            view = await asyncio.to_thread(self._held_read, actor, request_id)
            return Shared({**view, "timed_out": view["status"] not in rules.DECIDED})

    def _watch_read(self, request_id: str) -> Reading:
        """The gate as any member other than its requester sees it, read once for every waiter (no caller: each is
        checked by `admit`). A gate past its timeout is closed first, as a read would."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            p = uow.proposals.get(request_id)
            if p is None or p.kind != rules.KIND:
                raise NotFoundError(f"gate request {request_id} not found", request_id=request_id)
            members = frozenset(m.member for m in uow.groups.memberships(p.group))
        if rules.timed_out(p, now):
            self._settle(request_id)
            with self.ctx.uow(write=False) as uow:
                p = uow.proposals.get(request_id)
                assert p is not None
        view = {**gate_view(p, now), "receipt": None, "timed_out": False}
        decided = view["status"] in rules.DECIDED
        return Reading(
            decided=decided,
            group=p.group,
            members=members,
            shared=Shared(view),
            sleep=None if decided else self._sleep_for(view, IDLE_RECHECK_SECONDS),
            state=p,
        )

    def _held_read(self, actor: Member, request_id: str) -> dict[str, Any]:
        """A wait's read: the token still good (401 otherwise), the member still in the group (404)."""
        holding.check(self.ctx, actor)
        return self._read(actor, request_id)


def _title(subject: str) -> str:
    title = f"gate: {subject}"
    return title if len(title) <= 200 else title[:199] + "…"


def _check_wait(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= MAX_WAIT_SECONDS:
        raise ValidationError(f"timeout must be 0-{MAX_WAIT_SECONDS} seconds, got {timeout!r}", field="timeout")
    return float(timeout)
