"""The reminder and escalation ladder carried out by the sweeper (SPEC §11), each step an event.

Computed from stored times (the proposal's opening, the group's policy) against the clock, so every replica
and `accord sweep` may run it at once: a step is marked in `proposal_ladder` in the transaction that carries
it out, and the mark's primary key lets exactly one sweeper do it.
"""

from __future__ import annotations

from typing import Any

from accord.domain import ladder
from accord.domain.tally import tally
from accord.services.context import Context, record
from accord.services.notices import send_system
from accord.storage.reach_repository import ReachRepository

SYSTEM_ACTOR = "system"


class LadderService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def sweep(self) -> dict[str, Any]:
        """Send due reminders (`proposal.reminded`) and carry out due escalations (`proposal.escalated` with
        reason `no_decision_in_time`). Idempotent; returns {at, checked, reminded: [ids], escalated: [ids]}."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            rows = ReachRepository(uow.conn).ladder_candidates()
        reminded: list[str] = []
        escalated: list[str] = []
        for row in rows:
            steps = ladder.due_steps(
                kind=row["kind"],
                opened_at=row["created_at"],
                deadline=row["deadline"],
                remind_after_seconds=row["remind_after_seconds"],
                escalate_after_seconds=row["escalate_after_seconds"],
                done=row["done"],
                now=now,
            )
            for step in steps:
                if step == ladder.REMIND and self.remind(row["id"]):
                    reminded.append(row["id"])
                if step == ladder.ESCALATE and self.escalate(row["id"]):
                    escalated.append(row["id"])
        return {"at": now.isoformat(), "checked": len(rows), "reminded": reminded, "escalated": escalated}

    def remind(self, proposal_id: str) -> bool:
        """The reminder step for one proposal or gate: event `proposal.reminded` naming the voters without a
        ballot (each is sent one `vote.reminder`), and an inbox NOTICE to each. False when already done or
        nothing is due (closed, past its deadline, or everyone voted: the step is still marked done)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = uow.proposals.get(proposal_id, for_update=True)
            if p is None or not ReachRepository(uow.conn).mark_step(proposal_id, ladder.REMIND, now):
                return False
            missing = ladder.still_remindable(p, now)
            if missing:
                record(
                    uow,
                    "proposal.reminded",
                    at=now,
                    actor=SYSTEM_ACTOR,
                    group=p.group,
                    ref=p.id,
                    proposal_id=p.id,
                    kind=p.kind,
                    to=missing,
                    round=p.round,
                )
                send_system(
                    uow,
                    group=p.group,
                    to=missing,
                    type="NOTICE",
                    subject=p.subject or p.title,
                    content=f"Reminder: your vote on {p.title!r} is still needed.",
                    payload={"proposal_id": p.id, "kind": p.kind, "reminder": True},
                    at=now,
                )
            uow.commit()
        return bool(missing)

    def escalate(self, proposal_id: str) -> bool:
        """The escalation step for one non-gate proposal: status `escalated`, reason `no_decision_in_time`,
        event `proposal.escalated`, an inbox NOTICE to the group's human owners/admins. False when already
        done or the proposal no longer qualifies (decided, closable, or past its deadline)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = uow.proposals.get(proposal_id, for_update=True)
            if p is None or not ladder.escalates(p, now):
                return False
            if not ReachRepository(uow.conn).mark_step(proposal_id, ladder.ESCALATE, now):
                return False
            figures = tally(p).as_dict(p.rules)
            figures = {**figures, "vote_outcome": figures["outcome"], "outcome": "escalated"}
            p.escalate(figures, ladder.NO_DECISION_IN_TIME)
            uow.proposals.save(p)
            record(
                uow,
                "proposal.escalated",
                at=now,
                actor=SYSTEM_ACTOR,
                group=p.group,
                ref=p.id,
                proposal_id=p.id,
                reason=ladder.NO_DECISION_IN_TIME,
                forced=False,
            )
            humans = [m.member for m in uow.groups.memberships(p.group) if m.manages and m.kind == "human"]
            send_system(
                uow,
                group=p.group,
                to=humans,
                type="NOTICE",
                subject=p.title,
                content=f"Escalated to humans ({ladder.NO_DECISION_IN_TIME}): {p.title!r} needs a decision.",
                payload={"proposal_id": p.id, "reason": ladder.NO_DECISION_IN_TIME, "figures": figures},
                at=now,
            )
            uow.commit()
        return True
