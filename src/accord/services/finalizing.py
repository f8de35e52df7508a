"""Finalizing proposals (SPEC §2.5, §4): by a member once closable, forced fail-closed by an owner/admin, or by
the system at the deadline (`close_at_deadline`) when read, waited on or swept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.domain import closing, deliberation
from accord.domain.errors import ConflictError, ValidationError
from accord.domain.members import Member
from accord.domain.proposals import Proposal
from accord.domain.tally import TallyResult, tally
from accord.services.access import manages
from accord.services.context import Context, decision, record
from accord.services.notices import send_system
from accord.services.proposal_views import proposal_view
from accord.services.receipts import ReceiptService
from accord.storage.uow import UnitOfWork

SYSTEM_ACTOR = "system"  # who finalizes a close_at_deadline proposal at its deadline (SPEC §2.1)


class Finalizing:
    """`ProposalService`'s finalizing half (it provides `load`)."""

    ctx: Context
    receipts: ReceiptService

    def load(self, uow: UnitOfWork, actor: Member, proposal_id: str, *, for_update: bool = False) -> Proposal:
        raise NotImplementedError  # pragma: no cover - ProposalService.load

    @decision
    def finalize(
        self,
        actor: Member,
        proposal_id: str,
        *,
        mitigation: str | None = None,
        force: bool = False,
        rationale: str | None = None,
    ) -> dict[str, Any]:
        """Compute and freeze the result, or start a re-vote / expert decision / escalation (SPEC §4).

        Refused unless the caller is the creator, a group owner/admin or an eligible voter and the proposal is
        closable (SPEC §2.5): ConflictError "proposal <id> cannot be finalized yet: ...". With `force`, a group
        owner/admin finalizes at once, fail-closed, with a `rationale` (event `proposal.forced`)."""
        if not force and rationale is not None and rationale.strip():
            raise ValidationError(
                "rationale is given with force only (a note on how dissent is handled goes in mitigation)",
                field="rationale",
            )
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.load(uow, actor, proposal_id, for_update=True)
            refuse_gate(p, "finalized")
            managing = manages(actor, uow.groups.membership(p.group, actor.name))
            if force:
                text = closing.check_force(p, actor.name, manages=managing, rationale=rationale)
            else:
                closing.check_finalize(p, actor.name, manages=managing, now=now)
            if mitigation is not None:
                p.mitigation = mitigation
            result = tally(p)
            if force:
                figures, forced, step = closing.forced(
                    p, result, result.as_dict(p.rules), rationale=text, by=actor.name, at=now
                )
                extra = self._apply(uow, p, result, step, actor=actor.name, now=now, figures=figures, forced=forced)
            else:
                step = deliberation.next_step(p, result)
                extra = self._apply(uow, p, result, step, actor=actor.name, now=now)
            uow.proposals.save(p)
            uow.flush()  # the decision's event is chained and its receipt signed
            if p.status == "finalized":
                extra["receipt"] = self.receipts.stored(uow, p.id)
            uow.commit()
        return {**proposal_view(p, now), **extra}

    # -- close_at_deadline ---------------------------------------------------------------------------------

    def close_if_due(self, proposal_id: str) -> bool:
        """Finalize a `close_at_deadline` proposal whose deadline has passed, as actor `system` at the deadline
        instant (SPEC §2.1); False when it is not due (or someone else closed it first)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = uow.proposals.get(proposal_id, for_update=True)
            if p is None or not due(p, now):
                return False
            assert p.deadline is not None
            at = p.deadline
            result = tally(p)
            self._apply(uow, p, result, deliberation.next_step(p, result), actor=SYSTEM_ACTOR, now=at)
            uow.proposals.save(p)
            uow.commit()
        return True

    def sweep(self) -> dict[str, Any]:
        """Finalize every `close_at_deadline` proposal whose deadline has passed (the sweeper's share; reads and
        waits do the same for the proposal they read). Idempotent."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            ids = uow.proposals.due_to_close(now)
        closed = [pid for pid in ids if self.close_if_due(pid)]
        return {"at": now.isoformat(), "checked": len(ids), "closed": closed}

    def _apply(
        self,
        uow: UnitOfWork,
        p: Proposal,
        result: TallyResult,
        step: deliberation.Step,
        *,
        actor: str,
        now: datetime,
        figures: dict[str, Any] | None = None,
        forced: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Carry out `step`; returns what the response adds (the re-vote's round and arguments).

        `forced` is a forced finalize's resolution (its `figures` already fail-closed): the event is then
        `proposal.forced` (SPEC §2.5)."""
        figures = figures if figures is not None else result.as_dict(p.rules)
        if step.kind == "revote":
            arguments = deliberation.leading_arguments(p, result)
            archived_round = p.round
            p.start_round(at=now)
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
            if forced is not None:
                p.resolution = {**forced, "method": "escalated", "reason": step.reason, "forced": True}
            record(
                uow,
                "proposal.escalated",
                at=now,
                actor=actor,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                reason=step.reason,
                forced=forced is not None,
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
        resolution: dict[str, Any] = forced if forced is not None else {"method": "vote"}
        if step.kind == "override":
            resolution = {"method": "expert_override", "expert": step.expert, "decision": step.decision}
            figures = {
                **figures,
                "result": step.decision,
                "outcome": "passed" if not p.rules.binary or step.decision == p.rules.options[0] else "rejected",
            }
        p.finalize(figures, by=actor, at=now, resolution=resolution)
        decided = record(
            uow,
            "proposal.forced" if forced is not None else "proposal.finalized",
            at=now,
            actor=actor,
            group=p.group,
            ref=p.id,
            proposal_id=p.id,
            outcome=figures["outcome"],
            result=figures["result"],
            method=resolution["method"],
            **({"rationale": forced["rationale"], "settled": forced["settled"]} if forced is not None else {}),
        )
        self.receipts.issue(uow, p, decided, now=now)
        return {}


def due(p: Proposal, now: datetime) -> bool:
    """Whether `p` finalizes by itself now: open, `close_at_deadline`, and at or after its deadline."""
    return p.is_open and p.kind != "gate" and p.close_at_deadline and p.past_deadline(now)


def refuse_gate(p: Proposal, what: str) -> None:
    """Gates follow their own rules (SPEC §5): the core's finalize/cancel/vote must not bypass them."""
    if p.kind == "gate":
        raise ConflictError(
            f"{p.id} is a gate and is not {what} like a proposal: vote with gate_vote; its requester closes "
            "it with gate_close, or it expires at its timeout",
            mentions=("gate_vote", "gate_close"),
            proposal_id=p.id,
        )
