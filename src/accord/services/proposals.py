"""Proposals (SPEC §2): open, vote, read, finalize, cancel and wait, one short transaction each."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from accord.domain import limits
from accord.domain.closing import closability
from accord.domain.errors import NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.proposals import (
    Proposal,
    ProposalSpec,
    Rules,
    Voter,
    build_rules,
    check_approvers,
    check_close_at_deadline,
    check_confidence,
    check_strategies,
    check_text,
    resolve_deadline,
)
from accord.services import holding
from accord.services.access import manages, require_group, visible_groups
from accord.services.context import Context, decision, record
from accord.services.fanout import IDLE_RECHECK_SECONDS, Reading, Shared, WaitBoard
from accord.services.finalizing import Finalizing, due, refuse_gate
from accord.services.identity import member_for_token, note_use, require_token
from accord.services.ids import new_id
from accord.services.notices import send_system
from accord.services.proposal_views import iso, proposal_view
from accord.services.receipts import ReceiptService
from accord.storage.uow import UnitOfWork

MAX_WAIT_SECONDS = limits.MAX_WAIT_SECONDS
STATUSES = ("open", "escalated", "finalized", "cancelled")
MAX_LIMIT = 500


__all__ = ["ProposalService", "iso", "proposal_view", "refuse_gate"]


def summary_view(r: dict[str, Any]) -> dict[str, Any]:
    """A listed proposal or gate: what a list shows, with its counted voters and ballots and where the caller
    stands (`eligible_voter`, `voted`, `awaiting_me`)."""
    return {
        "id": r["id"],
        "kind": r["kind"],
        "group": r["group_name"],
        "title": r["title"],
        "voting_type": r["voting_type"],
        "threshold_type": r["threshold_type"],
        "status": r["status"],
        "subject": r["subject"],
        "deadline": iso(r["deadline"]),
        "voting_closed": not r["live"],
        "created_by": r["created_by"],
        "created_at": iso(r["created_at"]),
        "round": r["round"],
        "outcome": (r["outcome"] or {}).get("outcome"),
        "result": (r["outcome"] or {}).get("result"),
        "eligible": r["eligible"],
        "ballots": r["ballots"],
        "eligible_voter": r["eligible_voter"],
        "voted": r["voted"],
        "awaiting_me": r["live"] and r["eligible_voter"] and not r["voted"],
    }


def check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be 1-{MAX_LIMIT}, got {limits.shown(limit)}", field="limit")
    return limit


class ProposalService(Finalizing):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.receipts = ReceiptService(ctx)
        # Waiters on one proposal share a watch, a read and an encoding (SPEC §8 rev. 2, services/fanout.py).
        self.waits = WaitBoard(
            ctx.hub,
            self._watch_read,
            lambda pid: NotFoundError(f"proposal {pid} not found", proposal_id=pid),
            ctx.decision_under_way,
            [lambda caller, _reading: holding.unexpired(ctx, caller)],  # no read: the expiry instant
        )

    # -- reading -------------------------------------------------------------------------------------------

    def load(self, uow: UnitOfWork, actor: Member, proposal_id: str, *, for_update: bool = False) -> Proposal:
        """The proposal if the actor may see it; NotFoundError otherwise (existence is not leaked)."""
        p = uow.proposals.get(proposal_id, for_update=for_update)
        if p is None:
            raise NotFoundError(f"proposal {proposal_id} not found", proposal_id=proposal_id)
        try:
            require_group(uow, actor, p.group)
        except NotFoundError:
            raise NotFoundError(f"proposal {proposal_id} not found", proposal_id=proposal_id) from None
        return p

    def visible(self, actor: Member, proposal_id: str) -> None:
        """NotFoundError unless `actor` may see the proposal (one read of it and of the membership)."""
        with self.ctx.uow(write=False) as uow:
            self.load(uow, actor, proposal_id)

    def get(self, actor: Member, proposal_id: str, *, with_history: bool = False) -> dict[str, Any]:
        """The proposal with its running tally, shares, participation and every current vote. A
        `close_at_deadline` proposal past its deadline is finalized first (as `system`, at the deadline)."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            p = self.load(uow, actor, proposal_id)
            history = None
            if with_history:
                history = [
                    {
                        "voter": b.voter,
                        "vote": b.shown(),
                        "comment": b.comment,
                        "confidence": float(b.confidence),
                        "cast_at": iso(b.cast_at),
                        "round": b.round,
                    }
                    for b in uow.proposals.history(proposal_id)
                ]
        if due(p, now):
            self.close_if_due(p.id)
            return self.get(actor, proposal_id, with_history=with_history)
        return proposal_view(p, now, history=history)

    def search(
        self,
        actor: Member,
        *,
        group: str | None = None,
        status: str | None = None,
        limit: int = 100,
        awaiting_me: bool = False,
    ) -> list[dict[str, Any]]:
        """Proposals and gates of the caller's groups, newest first, optionally of one group or status; with
        `awaiting_me`, only those waiting for the caller's ballot (open, before the deadline, the caller an
        eligible voter without a current ballot), soonest deadline first. One query, however many."""
        if status is not None and status not in STATUSES:
            raise ValidationError(
                f"status {status!r} is not allowed: use open, escalated, finalized or cancelled",
                field="status",
            )
        check_limit(limit)
        now = self.ctx.now()
        while True:
            with self.ctx.uow(write=False) as uow:
                if group is not None:
                    require_group(uow, actor, group)
                rows = uow.proposals.listing(
                    visible_groups(uow, actor),
                    actor.name,
                    at=now,
                    status=status,
                    group=group,
                    awaiting=awaiting_me,
                    soonest_first=awaiting_me,
                    limit=limit,
                )
            # A listed close_at_deadline proposal past its deadline is read: it finalizes first (SPEC §2.1).
            late = [
                r["id"] for r in rows if r["status"] == "open" and r["deadline"] is not None and r["deadline"] <= now
            ]
            if not [pid for pid in late if self.close_if_due(pid)]:
                break
        views = [summary_view(r) for r in rows]
        self._mark_closable(views, now)
        return views

    def _mark_closable(self, views: list[dict[str, Any]], now: datetime) -> None:
        """Set each listed open proposal's `closable` (SPEC §2.5: everyone voted, the deadline passed, or the outcome
        is settled; None for gates and decided proposals). Only those with some but not all ballots need their
        ballots read, all at once."""
        undecided = [
            v["id"]
            for v in views
            if v["kind"] != "gate"
            and v["status"] == "open"
            and not v["voting_closed"]
            and 0 < v["ballots"] < v["eligible"]
        ]
        settled: set[str] = set()
        if undecided:
            with self.ctx.uow(write=False) as uow:
                settled = {p.id for p in uow.proposals.get_many(undecided) if closability(p, now).closable}
        for v in views:
            if v["kind"] == "gate" or v["status"] != "open":
                v["closable"] = None
            else:
                v["closable"] = v["voting_closed"] or v["ballots"] >= v["eligible"] or v["id"] in settled

    # -- changing ------------------------------------------------------------------------------------------

    def create(
        self, actor: Member, spec: ProposalSpec, *, kind: str = "proposal", payload: Any = None
    ) -> dict[str, Any]:
        """Open a proposal in `spec.group`; its eligible voters are the group's members as they are now."""
        now = self.ctx.now()
        _check_spec(spec, now)  # refused before the write begins: a bad field never waits for, or holds, the lock
        with self.ctx.uow() as uow:
            p = self.open_in(uow, actor, spec, kind=kind, payload=payload, now=now)
            uow.commit()
        return proposal_view(p, now)

    def open_in(
        self,
        uow: UnitOfWork,
        actor: Member,
        spec: ProposalSpec,
        *,
        kind: str,
        payload: Any,
        now: datetime,
        payload_digest: str | None = None,
    ) -> Proposal:
        """`create` inside the caller's unit of work (a milestone and its consensus proposals commit together)."""
        rules, strategies, deadline, max_rounds = _check_spec(spec, now)
        subject = spec.subject.strip() if spec.subject and spec.subject.strip() else None
        if subject is not None and len(subject) > 500:
            raise ValidationError("subject is longer than 500 characters", field="subject")
        prevent_self_vote = bool(spec.prevent_self_vote) if spec.prevent_self_vote is not None else kind == "gate"
        close_at_deadline = check_close_at_deadline(spec.close_at_deadline, deadline)
        require_group(uow, actor, spec.group)
        voters = {
            m.member: Voter(
                name=m.member,
                kind=m.kind,
                weight=m.settings.weight,
                advisory=m.settings.advisory,
                veto=m.settings.veto,
                expertise=m.settings.expertise,
            )
            for m in uow.groups.memberships(spec.group)
            if not (prevent_self_vote and m.member == actor.name)
        }
        check_approvers(spec.group, list(voters.values()), actor.name, rules.min_human_approvals)
        counted = [v for v in voters.values() if not v.advisory]
        if rules.min_votes > len(counted):
            raise ValidationError(
                f"min_votes {rules.min_votes} exceeds the {len(counted)} counted voters of {spec.group}",
                field="min_votes",
            )
        p = Proposal(
            id=new_id("prop"),
            group=spec.group,
            title=spec.title.strip(),
            description=spec.description or "",
            created_by=actor.name,
            created_at=now,
            rules=rules,
            deadline=deadline,
            subject=subject,
            prevent_self_vote=prevent_self_vote,
            on_no_consensus=strategies,
            max_rounds=max_rounds,
            domain=spec.domain,
            critical=spec.critical,
            close_at_deadline=close_at_deadline,
            kind=kind,
            voters=voters,
            payload=payload,
            payload_digest=payload_digest,
            voting_seconds=None if deadline is None else (deadline - now).total_seconds(),
        )
        uow.proposals.add(p)
        record(
            uow,
            "proposal.created",
            at=now,
            actor=actor.name,
            group=p.group,
            ref=p.id,
            proposal_id=p.id,
            title=p.title,
            kind=kind,
            subject=subject,
        )
        send_system(
            uow,
            group=p.group,
            to=list(voters),
            type="REQUEST",
            subject=subject or p.title,
            content=f"{actor.name} asks for your vote: {p.title}",
            payload={
                "proposal_id": p.id,
                "request_id": p.id,
                "subject": subject,
                "request": payload,
                "kind": kind,
                "voting_type": rules.voting_type,
                "options": list(rules.options),
            },
            at=now,
        )
        return p

    def vote(
        self,
        actor: Member,
        proposal_id: str,
        vote: object,
        *,
        comment: str | None = None,
        confidence: float | str | None = None,
        evidence: list[str] | None = None,
    ) -> dict[str, Any]:
        """Cast (or replace) the caller's vote; returns the ballot as recorded."""
        _check_vote_input(proposal_id, vote, comment, confidence, evidence)
        return self.ctx.write(lambda uow: self._cast(uow, actor, proposal_id, vote, comment, confidence, evidence))

    async def vote_async(
        self,
        token: str | None,
        proposal_id: str,
        vote: object,
        *,
        comment: str | None = None,
        confidence: float | str | None = None,
        evidence: list[str] | None = None,
    ) -> dict[str, Any]:
        """`vote` for async faces, as the holder of `token`, checked inside the vote's own transaction
        (AuthError for a missing, unknown or revoked token, then the same refusals as `vote`)."""
        require_token(token)
        _check_vote_input(proposal_id, vote, comment, confidence, evidence)
        voters: list[Member] = []

        def cast(uow: UnitOfWork) -> dict[str, Any]:
            voters.append(member_for_token(uow, token, self.ctx.now()))
            return self._cast(uow, voters[-1], proposal_id, vote, comment, confidence, evidence)

        result = await self.ctx.write_async(cast)
        if voters[-1].credential is not None and voters[-1].credential.use_due(self.ctx.now()):
            await asyncio.to_thread(note_use, self.ctx, voters[-1])  # once a minute, after the vote's commit
        return result

    def _cast(
        self,
        uow: UnitOfWork,
        actor: Member,
        proposal_id: str,
        vote: object,
        comment: str | None,
        confidence: float | str | None,
        evidence: list[str] | None,
    ) -> dict[str, Any]:
        now = self.ctx.now()
        found = uow.proposals.get_for_vote(proposal_id, actor.name)
        # `load`'s visibility rule (require_group) on the membership read with the proposal: members see it,
        # and store administrators (its group exists: a foreign key); anyone else gets NotFoundError.
        if found is None or not (found[1] or actor.is_admin):
            raise NotFoundError(f"proposal {proposal_id} not found", proposal_id=proposal_id)
        p = found[0]
        refuse_gate(p, "voted on")
        ballot, replaced = p.cast(actor.name, vote, at=now, comment=comment, confidence=confidence, evidence=evidence)
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
            vote=ballot.shown(),
            round=p.round,
        )
        voter = p.voters[actor.name]
        if p.rules.voting_type == "yes_no" and voter.veto and not voter.advisory and ballot.choice == "no":
            record(
                uow,
                "proposal.vetoed",
                at=now,
                actor=actor.name,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                by=actor.name,
            )
        return {
            "proposal_id": p.id,
            "voter": actor.name,
            "vote": ballot.shown(),
            "comment": ballot.comment,
            "confidence": float(ballot.confidence),
            "evidence": list(ballot.evidence),
            "replaced": replaced is not None,
            "round": p.round,
            "cast_at": iso(ballot.cast_at),
        }

    @decision
    def cancel(self, actor: Member, proposal_id: str) -> dict[str, Any]:
        """Cancel an open proposal (its creator or a group owner/admin) or an escalated one (a human owner/admin or
        a store administrator only, SPEC §2.5); releases its subject."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.load(uow, actor, proposal_id, for_update=True)
            refuse_gate(p, "cancelled")
            p.may_cancel(
                actor.name,
                manages=manages(actor, uow.groups.membership(p.group, actor.name)),
                is_human=actor.kind == "human",
                is_admin=actor.is_admin,
            )
            self.cancel_in(uow, p, by=actor.name, now=now)
            uow.commit()
        return proposal_view(p, now)

    def cancel_in(self, uow: UnitOfWork, p: Proposal, *, by: str, now: datetime) -> None:
        """Cancel `p` inside the caller's unit of work (permissions are the caller's to check)."""
        p.cancel(by=by, at=now)
        uow.proposals.save(p)
        record(uow, "proposal.cancelled", at=now, actor=by, group=p.group, ref=p.id, proposal_id=p.id)

    # -- waiting -------------------------------------------------------------------------------------------

    def wait(self, actor: Member, proposal_id: str, timeout: float) -> dict[str, Any]:
        """Block until the proposal leaves `open` or `timeout` seconds pass; its state and `timed_out`. A
        `close_at_deadline` proposal is finalized at its deadline instant, waking the wait then."""
        timeout = _check_timeout(timeout)
        deadline = time.monotonic() + timeout
        refs = [proposal_id, *holding.watch_refs(actor, holding.group_of(self.ctx, proposal_id))]
        with self.ctx.hub.subscribe(refs) as sub:
            while True:
                view = self._held_read(actor, proposal_id)
                remaining = deadline - time.monotonic()
                if view["status"] != "open" or remaining <= 0:
                    return {**view, "timed_out": view["status"] == "open"}
                sub.wait(holding.cap(self.ctx, actor, self._sleep_for(view, remaining)))

    async def wait_async(self, actor: Member, proposal_id: str, timeout: float) -> dict[str, Any]:
        """`wait` for async faces: the event loop keeps serving while this waits (a copy of `wait_shared`'s view)."""
        return dict((await self.wait_shared(actor, proposal_id, timeout)).view)

    async def wait_shared(self, actor: Member, proposal_id: str, timeout: float) -> Shared:
        """`wait` for async faces, shared (SPEC §8 rev. 2): every waiter on this proposal in this process gets the
        one deciding read and its one JSON encoding (`Shared.body`), after its own visibility check (a member
        removed from the group meanwhile gets NotFoundError). Timed out: the caller's own read, `timed_out: true`.
        ValidationError (timeout outside 0-3600), NotFoundError (not visible)."""
        timeout = _check_timeout(timeout)
        deadline = time.monotonic() + timeout
        group = await asyncio.to_thread(holding.group_of, self.ctx, proposal_id)
        # The caller's own watch (its token, its membership), before its first read: no refusal is missed.
        with self.ctx.hub.subscribe(holding.watch_refs(actor, group)) as held:
            view = await asyncio.to_thread(self._held_read, actor, proposal_id)  # its own check, the fast path
            if view["status"] != "open" or timeout == 0:
                return Shared({**view, "timed_out": view["status"] == "open"})
            shared = self.waits.wait(proposal_id, deadline - time.monotonic())
            reading = await holding.race(self.ctx, actor, group, held, shared, lambda: self.waits.refusal(proposal_id))
            if reading is None:
                view = await asyncio.to_thread(self._held_read, actor, proposal_id)
                return Shared({**view, "timed_out": view["status"] == "open"})
            self.waits.admit(actor, reading, proposal_id)
            return reading.shared

    def _watch_read(self, proposal_id: str) -> Reading:
        """The proposal as a waiter sees it, read once for all of them (no caller: each is checked by `admit`)."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            p = uow.proposals.get(proposal_id)
            if p is None:
                raise NotFoundError(f"proposal {proposal_id} not found", proposal_id=proposal_id)
            members = frozenset(m.member for m in uow.groups.memberships(p.group))
        if due(p, now):
            self.close_if_due(p.id)
            return self._watch_read(proposal_id)
        view = proposal_view(p, now)
        decided = view["status"] != "open"
        return Reading(
            decided=decided,
            group=p.group,
            members=members,
            shared=Shared({**view, "timed_out": False}),
            sleep=None if decided else self._sleep_for(view, IDLE_RECHECK_SECONDS),
            state=p,
        )

    def _held_read(self, actor: Member, proposal_id: str) -> dict[str, Any]:
        """A wait's read: the token still good (401 otherwise), the member still in the group (404)."""
        holding.check(self.ctx, actor)
        return self.get(actor, proposal_id)

    def _sleep_for(self, view: dict[str, Any], remaining: float) -> float:
        """Sleep until the next event, but for a `close_at_deadline` proposal no longer than its deadline."""
        if not view.get("close_at_deadline") or view.get("deadline") is None:
            return remaining
        until = datetime.fromisoformat(view["deadline"]) - self.ctx.now()
        return max(0.0, min(remaining, until.total_seconds() + 0.001))


def _check_spec(spec: ProposalSpec, now: datetime) -> tuple[Rules, tuple[str, ...], datetime | None, int]:
    """The rules of a new proposal's own fields (pure: no store read): its rules, no-consensus strategies,
    deadline and max_rounds, or the ValidationError naming the field."""
    check_text(spec.title, spec.description or "")
    rules = build_rules(spec)
    strategies = check_strategies(spec.on_no_consensus)
    deadline = resolve_deadline(spec, now)
    max_rounds = 2 if spec.max_rounds is None else limits.integer(spec.max_rounds, "max_rounds", low=1)
    return rules, strategies, deadline, max_rounds


def _check_vote_input(
    proposal_id: str, vote: object, comment: str | None, confidence: float | str | None, evidence: list[str] | None
) -> None:
    """SPEC §13's bounded checks of a ballot, made before the write transaction is entered (a refused confidence
    never holds the store's writer)."""
    limits.check_input({"proposal_id": proposal_id, "vote": vote, "comment": comment, "evidence": evidence}, "")
    check_confidence(confidence)


def _check_timeout(timeout: float) -> float:
    return limits.wait_seconds(timeout, "timeout", high=MAX_WAIT_SECONDS)
