"""Deliberation (SPEC §4, §4.2, §6): human resolution, decision records, consultations, completion gates."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from accord.domain import deliberation
from accord.domain.consultation import (
    Answer,
    check_questions,
    consensus,
    parse_contribution,
    question_view,
    synthesis_markdown,
)
from accord.domain.errors import ForbiddenError, NotFoundError
from accord.domain.members import Member
from accord.domain.proposals import check_text
from accord.domain.records import build_record
from accord.domain.tally import tally
from accord.services.access import require_group, visible_groups
from accord.services.completion_gates import CompletionGates
from accord.services.context import Context, decision, record
from accord.services.ids import new_id
from accord.services.notices import send_system
from accord.services.proposals import ProposalService, check_limit, iso, proposal_view
from accord.storage.deliberation_repository import DeliberationRepository
from accord.storage.uow import UnitOfWork

LISTED_CONSULTATION = (
    "id",
    "group",
    "title",
    "contributors",
    "contributed",
    "summary",
    "escalated",
    "created_by",
    "created_at",
)


class DeliberationService(CompletionGates):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.proposals = ProposalService(ctx)

    # -- escalations and decision records ------------------------------------------------------------------

    @decision
    def resolve(
        self, actor: Member, proposal_id: str, decision: str, rationale: str, mitigation: str | None = None
    ) -> dict[str, Any]:
        """A human owner/admin decides an escalated proposal; method `human_decision` (SPEC §4)."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            p = self.proposals.load(uow, actor, proposal_id, for_update=True)
            membership = uow.groups.membership(p.group, actor.name)
            deliberation.human_decision(
                p,
                decision,
                rationale,
                by=actor.name,
                is_human=actor.kind == "human",
                manages_group=membership is not None and membership.manages,
                at=now,
                mitigation=mitigation,
            )
            uow.proposals.save(p)
            assert p.outcome is not None and p.resolution is not None
            event = {"group": p.group, "ref": p.id, "proposal_id": p.id}
            record(uow, "proposal.resolved", at=now, actor=actor.name, decision=p.outcome["result"], **event)
            decided = record(
                uow,
                "proposal.finalized",
                at=now,
                actor=actor.name,
                outcome=p.outcome["outcome"],
                result=p.outcome["result"],
                method="human_decision",
                **event,
            )
            self.proposals.receipts.issue(uow, p, decided, now=now)
            send_system(
                uow,
                group=p.group,
                to=[name for name in p.voters if name != actor.name],
                type="NOTICE",
                subject=p.subject or p.title,
                content=f"{actor.name} decided {p.title!r}: {p.outcome['result']} ({p.resolution['rationale']})",
                payload={"proposal_id": p.id, "decision": p.outcome["result"], "method": "human_decision"},
                at=now,
            )
            uow.commit()
        return proposal_view(p, now)

    def decision_record(self, actor: Member, proposal_id: str) -> dict[str, Any]:
        """The decision record (JSON, with its Markdown under `markdown`) in seed 004's layout, with the
        decision's signed `receipt` (SPEC §12; null while undecided, and for a gate unless the caller is its
        requester or an administrator)."""
        self.proposals.get(actor, proposal_id)  # a close_at_deadline proposal past its deadline finalizes first
        with self.ctx.uow(write=False) as uow:
            p = self.proposals.load(uow, actor, proposal_id)
            history = uow.proposals.history(proposal_id)
            # A proposal's receipt is the group's; a gate's only its requester's and administrators' (SPEC §12).
            entitled = p.kind != "gate" or actor.name == p.created_by or actor.is_admin
            receipt = self.proposals.receipts.stored(uow, p.id) if entitled else None
        return {**build_record(p, tally(p), history), "receipt": receipt}

    # -- consultations -------------------------------------------------------------------------------------

    def create_consultation(
        self,
        actor: Member,
        group: str,
        title: str,
        description: str = "",
        questions: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Open a consultation; the group's members now are its contributors (each asked by a REQUEST)."""
        check_text(title, description or "")
        declared = check_questions(questions)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_group(uow, actor, group)
            members = uow.groups.memberships(group)
            row: dict[str, Any] = {
                "id": new_id("cons"),
                "group_name": group,
                "title": title.strip(),
                "description": description or "",
                "questions": declared,
                "contributors": [
                    {
                        "member": m.member,
                        "kind": m.kind,
                        "weight": str(m.settings.weight),
                        "advisory": m.settings.advisory,
                    }
                    for m in members
                ],
                "escalated": [],
                "created_by": actor.name,
                "created_at": now,
            }
            DeliberationRepository(uow.conn).add_consultation(row)
            record(uow, "consultation.created", at=now, actor=actor.name, group=group, ref=row["id"], title=title)
            send_system(
                uow,
                group=group,
                to=[m.member for m in members if m.member != actor.name],
                type="REQUEST",
                subject=row["title"],
                content=f"{actor.name} asks for your answers: {row['title']}",
                payload={"consultation_id": row["id"], "questions": declared},
                at=now,
            )
            uow.commit()
        return _consultation_view(row, [])

    def submit_contribution(self, actor: Member, consultation_id: str, decisions: object) -> dict[str, Any]:
        """Record the caller's answers (replacing its earlier answers to the same questions); escalates a
        question to the group's humans the first time it has a critical conflict."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo = DeliberationRepository(uow.conn)
            row = self._consultation(uow, repo, actor, consultation_id, for_update=True)
            if actor.name not in {c["member"] for c in row["contributors"]}:
                raise ForbiddenError(
                    f"{actor.name} is not a contributor of {consultation_id}: its contributors are the members of "
                    f"group {row['group_name']} when it opened",
                    consultation_id=consultation_id,
                )
            answers = parse_contribution(actor.name, decisions, at=now)
            repo.put_answers(consultation_id, answers)
            record(
                uow,
                "consultation.contributed",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=consultation_id,
                questions=[a.question_id for a in answers],
            )
            everything = repo.answers(consultation_id)
            view = _consultation_view(row, everything)
            critical = [q["question_id"] for q in view["questions"] if "critical_conflict" in q["flags"]]
            new = [qid for qid in critical if qid not in row["escalated"]]
            if new:
                self._escalate_questions(uow, repo, row, new, now=now, by=actor.name)
                view["escalated"] = sorted({*row["escalated"], *new})
            uow.commit()
        view["markdown"] = synthesis_markdown(view)
        return view

    def get_consultation(self, actor: Member, consultation_id: str) -> dict[str, Any]:
        """The synthesis: per-question consensus, conflicts, flags for humans; JSON with `markdown`."""
        with self.ctx.uow(write=False) as uow:
            repo = DeliberationRepository(uow.conn)
            row = self._consultation(uow, repo, actor, consultation_id)
            answers = repo.answers(consultation_id)
        return _consultation_view(row, answers)

    def list_consultations(
        self, actor: Member, *, group: str | None = None, flagged: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Consultations of the caller's groups, newest first, each with its synthesis summary (questions,
        resolved, unresolved, `flagged` for humans, unanswered) but not every answer; `flagged`: only those
        with a question flagged for humans (split, or a critical conflict). Two queries, however many."""
        check_limit(limit)
        with self.ctx.uow(write=False) as uow:
            if group is not None:
                require_group(uow, actor, group)
            repo = DeliberationRepository(uow.conn)
            rows = repo.consultations(visible_groups(uow, actor), group=group, limit=limit)
            answers = repo.answers_of([r["id"] for r in rows])
        listed = []
        for row in rows:
            view = _consultation_view(row, answers[row["id"]])
            if flagged and not view["summary"]["flagged"]:
                continue
            listed.append({k: view[k] for k in LISTED_CONSULTATION})
        return listed

    def _consultation(
        self, uow: UnitOfWork, repo: DeliberationRepository, actor: Member, cid: str, *, for_update: bool = False
    ) -> dict[str, Any]:
        row = repo.consultation(cid, for_update=for_update)
        try:
            if row is None:
                raise NotFoundError("")
            require_group(uow, actor, row["group_name"])
        except NotFoundError:
            raise NotFoundError(f"consultation {cid} not found", consultation_id=cid) from None
        return row

    def _escalate_questions(
        self,
        uow: UnitOfWork,
        repo: DeliberationRepository,
        row: dict[str, Any],
        question_ids: list[str],
        *,
        now: datetime,
        by: str,
    ) -> None:
        """Seed 001: a critical-severity conflict is an immediate escalation to the group's humans."""
        group = row["group_name"]
        repo.set_escalated(row["id"], [*row["escalated"], *question_ids])
        record(uow, "consultation.escalated", at=now, actor=by, group=group, ref=row["id"], questions=question_ids)
        humans = [m.member for m in uow.groups.memberships(group) if m.kind == "human"]
        send_system(
            uow,
            group=group,
            to=humans,
            type="NOTICE",
            subject=row["title"],
            content=f"Critical conflict in consultation {row['title']!r} on {', '.join(question_ids)}: "
            "confident contributors disagree; please review.",
            payload={"consultation_id": row["id"], "questions": question_ids, "reason": "critical_conflict"},
            at=now,
        )


def _consultation_view(row: dict[str, Any], answers: list[Answer]) -> dict[str, Any]:
    weights = {c["member"]: Fraction(c["weight"]) for c in row["contributors"] if not c["advisory"]}
    results = consensus(answers, weights, row["questions"])
    questions = [question_view(r, weights) for r in results]
    answered = {r.question_id for r in results}
    view: dict[str, Any] = {
        "id": row["id"],
        "group": row["group_name"],
        "title": row["title"],
        "description": row["description"],
        "declared_questions": row["questions"],
        "contributors": [c["member"] for c in row["contributors"]],
        "contributed": sorted({a.member for a in answers}),
        "questions": questions,
        "summary": {
            "questions": len(results),
            "resolved": sum(1 for r in results if r.resolved),
            "unresolved": sum(1 for r in results if not r.resolved),
            "flagged": [q["question_id"] for q in questions if q["flagged"]],
            "unanswered": sorted(set(row["questions"]) - answered),
        },
        "escalated": list(row["escalated"]),
        "created_by": row["created_by"],
        "created_at": iso(row["created_at"]),
    }
    view["markdown"] = synthesis_markdown(view)
    return view
