"""Proposals (SPEC §2): open, vote, read, finalize, cancel and wait, one short transaction each."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from accord.domain import deliberation
from accord.domain import gates as gate_rules
from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.proposals import (
    Proposal,
    ProposalSpec,
    Voter,
    build_rules,
    check_strategies,
    check_text,
    resolve_deadline,
)
from accord.domain.summary import summarize
from accord.domain.tally import TallyResult, tally
from accord.services.access import manages, require_group, visible_groups
from accord.services.context import Context, record
from accord.services.identity import member_for_token, require_token
from accord.services.ids import new_id
from accord.services.notices import send_system
from accord.storage.uow import UnitOfWork

MAX_WAIT_SECONDS = 3600
STATUSES = ("open", "escalated", "finalized", "cancelled")
MAX_LIMIT = 500


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def proposal_view(p: Proposal, now: datetime, *, history: list[Any] | None = None) -> dict[str, Any]:
    """The full picture of a proposal: its rules, voters, current ballots and (provisional) result."""
    r = p.rules
    view: dict[str, Any] = {
        "id": p.id,
        "kind": p.kind,
        "group": p.group,
        "title": p.title,
        "description": p.description,
        "voting_type": r.voting_type,
        "options": list(r.options),
        "threshold_type": r.threshold_type,
        "threshold": None if r.threshold is None else float(r.threshold),
        "quorum": None if r.quorum is None else float(r.quorum),
        "min_votes": r.min_votes,
        "weighted": r.weighted,
        "weighted_denominator": r.weighted_denominator,
        "allow_abstain": r.allow_abstain,
        "prevent_self_vote": p.prevent_self_vote,
        "on_no_consensus": list(p.on_no_consensus),
        "max_rounds": p.max_rounds,
        "domain": p.domain,
        "critical": p.critical,
        "subject": p.subject,
        "deadline": iso(p.deadline),
        "voting_closed": p.past_deadline(now) or not p.is_open,
        "status": p.status,
        "round": p.round,
        "created_by": p.created_by,
        "created_at": iso(p.created_at),
        "finalized_at": iso(p.finalized_at),
        "finalized_by": p.finalized_by,
        "eligible_voters": [
            {
                "member": v.name,
                "kind": v.kind,
                "weight": float(v.weight),
                "advisory": v.advisory,
                "veto": v.veto,
            }
            for v in p.voters.values()
        ],
        "votes": [
            {
                "voter": b.voter,
                "vote": b.shown(),
                "comment": b.comment,
                "confidence": float(b.confidence),
                "evidence": list(b.evidence),
                "cast_at": iso(b.cast_at),
                "advisory": p.voters[b.voter].advisory if b.voter in p.voters else False,
                "round": b.round,
            }
            for b in p.ballots.values()
        ],
        "resolution": p.resolution,
        "mitigation": p.mitigation,
    }
    if p.outcome is not None and p.status != "open":
        view.update(p.outcome)
        view["provisional"] = False
    else:
        view.update(tally(p).as_dict(r))
        view["provisional"] = True
    # A gate's words come from its own counting rules (SPEC §5), a proposal's from §2.3.
    view["summary"] = gate_rules.state(p, now).reason if p.kind == "gate" else summarize(p, view)
    if history is not None:
        view["history"] = history
    return view


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
        raise ValidationError(f"limit must be 1-{MAX_LIMIT}, got {limit!r}", field="limit")
    return limit


class ProposalService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

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

    def get(self, actor: Member, proposal_id: str, *, with_history: bool = False) -> dict[str, Any]:
        """The proposal with its running tally, shares, participation and every current vote."""
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
        return proposal_view(p, self.ctx.now(), history=history)

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
        return [summary_view(r) for r in rows]

    # -- changing ------------------------------------------------------------------------------------------

    def create(
        self, actor: Member, spec: ProposalSpec, *, kind: str = "proposal", payload: Any = None
    ) -> dict[str, Any]:
        """Open a proposal in `spec.group`; its eligible voters are the group's members as they are now."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.open_in(uow, actor, spec, kind=kind, payload=payload, now=now)
            uow.commit()
        return proposal_view(p, now)

    def open_in(
        self, uow: UnitOfWork, actor: Member, spec: ProposalSpec, *, kind: str, payload: Any, now: datetime
    ) -> Proposal:
        """`create` inside the caller's unit of work (a milestone and its consensus proposals commit together)."""
        check_text(spec.title, spec.description or "")
        rules = build_rules(spec)
        strategies = check_strategies(spec.on_no_consensus)
        deadline = resolve_deadline(spec, now)
        max_rounds = 2 if spec.max_rounds is None else spec.max_rounds
        if max_rounds < 1:
            raise ValidationError("max_rounds must be at least 1 (round 1 is the first vote)", field="max_rounds")
        subject = spec.subject.strip() if spec.subject and spec.subject.strip() else None
        if subject is not None and len(subject) > 500:
            raise ValidationError("subject is longer than 500 characters", field="subject")
        prevent_self_vote = bool(spec.prevent_self_vote) if spec.prevent_self_vote is not None else kind == "gate"
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
            kind=kind,
            voters=voters,
            payload=payload,
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
        return await self.ctx.write_async(
            lambda uow: self._cast(uow, member_for_token(uow, token), proposal_id, vote, comment, confidence, evidence)
        )

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

    def finalize(self, actor: Member, proposal_id: str, *, mitigation: str | None = None) -> dict[str, Any]:
        """Compute and freeze the result, or start a re-vote / expert decision / escalation (SPEC §4)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.load(uow, actor, proposal_id, for_update=True)
            membership = uow.groups.membership(p.group, actor.name)
            refuse_gate(p, "finalized")
            p.may_finalize(actor.name, manages=manages(actor, membership), now=now)
            if mitigation is not None:
                p.mitigation = mitigation
            result = tally(p)
            step = deliberation.next_step(p, result)
            extra = self._apply(uow, p, result, step, actor=actor.name, now=now)
            uow.proposals.save(p)
            uow.commit()
        return {**proposal_view(p, now), **extra}

    def _apply(
        self,
        uow: UnitOfWork,
        p: Proposal,
        result: TallyResult,
        step: deliberation.Step,
        *,
        actor: str,
        now: datetime,
    ) -> dict[str, Any]:
        """Carry out `step`; returns what the response adds (the re-vote's round and arguments)."""
        figures = result.as_dict(p.rules)
        if step.kind == "revote":
            arguments = deliberation.leading_arguments(p, result)
            archived_round = p.round
            p.start_round()
            uow.proposals.clear_ballots(p.id)
            record(
                uow,
                "proposal.revote",
                at=now,
                actor=actor,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                round=p.round,
                previous=figures,
            )
            send_system(
                uow,
                group=p.group,
                to=list(p.voters),
                type="NOTICE",
                subject=p.title,
                content=f"No consensus in round {archived_round} of {p.title!r}"
                f"{' (claim CONTESTED: challenge round)' if step.reason == 'challenge_round' else ''}: please read "
                f"the leading arguments and vote again (round {p.round}).",
                payload={
                    "proposal_id": p.id,
                    "reason": step.reason,
                    "round": p.round,
                    "previous": figures,
                    "leading_arguments": arguments,
                },
                at=now,
            )
            return {
                "outcome": "revote",
                "round": p.round,
                "previous": figures,
                "leading_arguments": arguments,
            }
        if step.kind == "escalate":
            # Not final: `outcome` says so (a waiting script must not read a pending vote as "passed").
            figures = {**figures, "vote_outcome": figures["outcome"], "outcome": "escalated"}
            p.escalate(figures, step.reason or "no_consensus")
            if step.reason == deliberation.SCRUTINY:
                figures["warnings"] = [deliberation.SCRUTINY]
                p.outcome = figures
            humans = [v.name for v in p.voters.values() if v.kind == "human"]
            humans += [
                m.member for m in uow.groups.memberships(p.group) if m.kind == "human" and m.member not in humans
            ]
            record(
                uow,
                "proposal.escalated",
                at=now,
                actor=actor,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                reason=step.reason,
            )
            send_system(
                uow,
                group=p.group,
                to=humans,
                type="NOTICE",
                subject=p.title,
                content=f"Escalated to humans ({step.reason}): {p.title!r} needs a decision.",
                payload={"proposal_id": p.id, "reason": step.reason, "figures": figures},
                at=now,
            )
            return {}
        resolution: dict[str, Any] = {"method": "vote"}
        if step.kind == "override":
            resolution = {"method": "expert_override", "expert": step.expert, "decision": step.decision}
            figures = {
                **figures,
                "result": step.decision,
                "outcome": "passed" if not p.rules.binary or step.decision == p.rules.options[0] else "rejected",
            }
        p.finalize(figures, by=actor, at=now, resolution=resolution)
        record(
            uow,
            "proposal.finalized",
            at=now,
            actor=actor,
            group=p.group,
            ref=p.id,
            proposal_id=p.id,
            outcome=figures["outcome"],
            result=figures["result"],
            method=resolution["method"],
        )
        return {}

    def cancel(self, actor: Member, proposal_id: str) -> dict[str, Any]:
        """Cancel an open proposal (its creator or a group owner/admin); releases its subject."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.load(uow, actor, proposal_id, for_update=True)
            refuse_gate(p, "cancelled")
            p.may_cancel(actor.name, manages=manages(actor, uow.groups.membership(p.group, actor.name)))
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
        """Block until the proposal leaves `open` or `timeout` seconds pass; its state and `timed_out`."""
        timeout = _check_timeout(timeout)
        deadline = time.monotonic() + timeout
        with self.ctx.hub.subscribe([proposal_id]) as sub:
            while True:
                view = self.get(actor, proposal_id)
                remaining = deadline - time.monotonic()
                if view["status"] != "open" or remaining <= 0:
                    return {**view, "timed_out": view["status"] == "open"}
                sub.wait(remaining)

    async def wait_async(self, actor: Member, proposal_id: str, timeout: float) -> dict[str, Any]:
        """`wait` for async faces: the event loop keeps serving while this waits."""
        timeout = _check_timeout(timeout)
        deadline = time.monotonic() + timeout
        with self.ctx.hub.subscribe([proposal_id]) as sub:
            while True:
                view = await asyncio.to_thread(self.get, actor, proposal_id)
                remaining = deadline - time.monotonic()
                if view["status"] != "open" or remaining <= 0:
                    return {**view, "timed_out": view["status"] == "open"}
                await sub.wait_async(remaining)


def refuse_gate(p: Proposal, what: str) -> None:
    """Gates follow their own rules (SPEC §5): the core's finalize/cancel/vote must not bypass them."""
    if p.kind == "gate":
        raise ConflictError(
            f"{p.id} is a gate and is not {what} like a proposal: vote with gate_vote; its requester closes "
            "it with gate_close, or it expires at its timeout",
            mentions=("gate_vote", "gate_close"),
            proposal_id=p.id,
        )


def _check_timeout(timeout: float) -> float:
    if not 0 <= timeout <= MAX_WAIT_SECONDS:
        raise ValidationError(f"timeout must be 0-{MAX_WAIT_SECONDS} seconds, got {timeout}", field="timeout")
    return float(timeout)
