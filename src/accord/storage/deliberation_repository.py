"""Consultations with their answers, completion gates with their signals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from accord.domain.completion import Signal
from accord.domain.consultation import Answer
from accord.storage import deliberation_tables as d

CHUNK = 900  # ids per IN (...) list


class DeliberationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- consultations -------------------------------------------------------------------------------------

    def add_consultation(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(d.consultations).values(**row))

    def consultation(self, consultation_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(d.consultations).where(d.consultations.c.id == consultation_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def answers(self, consultation_id: str) -> list[Answer]:
        c = d.consultation_answers.c
        rows = self.conn.execute(
            select(d.consultation_answers)
            .where(c.consultation_id == consultation_id)
            .order_by(c.question_id, c.submitted_at, c.member)
        ).mappings()
        return [_answer(r) for r in rows]

    def put_answers(self, consultation_id: str, answers: Sequence[Answer]) -> None:
        """Make `answers` the current ones of their (member, question); earlier answers are replaced."""
        c = d.consultation_answers.c
        for a in answers:
            self.conn.execute(
                delete(d.consultation_answers).where(
                    and_(c.consultation_id == consultation_id, c.member == a.member, c.question_id == a.question_id)
                )
            )
        if answers:
            self.conn.execute(
                insert(d.consultation_answers),
                [
                    {
                        "consultation_id": consultation_id,
                        "member": a.member,
                        "question_id": a.question_id,
                        "question": a.question,
                        "answer": a.answer,
                        "confidence": a.confidence,
                        "rationale": a.rationale,
                        "evidence": list(a.evidence),
                        "alternatives": list(a.alternatives),
                        "submitted_at": a.submitted_at,
                    }
                    for a in answers
                ],
            )

    def consultations(
        self, groups: Sequence[str] | None, *, group: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Consultations of `groups` (None: all), newest first."""
        c = d.consultations.c
        query = select(d.consultations).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if groups is not None:
            query = query.where(c.group_name.in_(list(groups)))
        if group is not None:
            query = query.where(c.group_name == group)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def answers_of(self, consultation_ids: Sequence[str]) -> dict[str, list[Answer]]:
        """The current answers of several consultations at once (one query per 900 ids)."""
        c = d.consultation_answers.c
        found: dict[str, list[Answer]] = {i: [] for i in consultation_ids}
        for start in range(0, len(consultation_ids), CHUNK):
            chunk = list(consultation_ids[start : start + CHUNK])
            rows = self.conn.execute(
                select(d.consultation_answers)
                .where(c.consultation_id.in_(chunk))
                .order_by(c.question_id, c.submitted_at, c.member)
            ).mappings()
            for r in rows:
                found[r["consultation_id"]].append(_answer(r))
        return found

    def set_escalated(self, consultation_id: str, question_ids: Sequence[str]) -> None:
        self.conn.execute(
            update(d.consultations)
            .where(d.consultations.c.id == consultation_id)
            .values(escalated=sorted(question_ids))
        )

    # -- completion gates ----------------------------------------------------------------------------------

    def add_gate(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(d.completion_gates).values(**row))

    def gate(self, gate_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(d.completion_gates).where(d.completion_gates.c.id == gate_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def gate_for_ref(self, ref: str) -> dict[str, Any] | None:
        """The newest gate guarding `ref` (e.g. a milestone checkpoint)."""
        g = d.completion_gates.c
        row = (
            self.conn.execute(select(d.completion_gates).where(g.ref == ref).order_by(g.created_at.desc(), g.id.desc()))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def signals(self, gate_id: str) -> list[Signal]:
        s = d.completion_signals.c
        rows = self.conn.execute(select(s.member, s.signal, s.at).where(s.gate_id == gate_id).order_by(s.id)).mappings()
        return [Signal(member=r["member"], signal=r["signal"], at=r["at"]) for r in rows]

    def add_signal(self, gate_id: str, member: str, signal: str, at: datetime, note: str | None) -> None:
        self.conn.execute(
            insert(d.completion_signals).values(gate_id=gate_id, member=member, signal=signal, at=at, note=note)
        )

    def close_gate(self, gate_id: str, *, status: str, warning: str | None, closed_at: datetime | None) -> None:
        self.conn.execute(
            update(d.completion_gates)
            .where(d.completion_gates.c.id == gate_id)
            .values(status=status, warning=warning, closed_at=closed_at)
        )

    def set_nudged(self, gate_id: str, epoch: int) -> None:
        self.conn.execute(
            update(d.completion_gates).where(d.completion_gates.c.id == gate_id).values(nudged_epoch=epoch)
        )

    def gates(
        self, groups: Sequence[str] | None, *, group: str | None = None, recorded_open: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Completion gates of `groups` (None: all), newest first; `recorded_open`: only those whose closing
        is not yet recorded (a reader still evaluates them: a fallback may have closed one since)."""
        g = d.completion_gates.c
        query = select(d.completion_gates).order_by(g.created_at.desc(), g.id.desc()).limit(limit)
        if groups is not None:
            query = query.where(g.group_name.in_(list(groups)))
        if group is not None:
            query = query.where(g.group_name == group)
        if recorded_open:
            query = query.where(g.status == "open")
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def signals_of(self, gate_ids: Sequence[str]) -> dict[str, list[Signal]]:
        """The signals of several gates at once, in the order given (one query per 900 ids)."""
        s = d.completion_signals.c
        found: dict[str, list[Signal]] = {i: [] for i in gate_ids}
        for start in range(0, len(gate_ids), CHUNK):
            chunk = list(gate_ids[start : start + CHUNK])
            rows = self.conn.execute(
                select(s.gate_id, s.member, s.signal, s.at).where(s.gate_id.in_(chunk)).order_by(s.id)
            ).mappings()
            for r in rows:
                found[r["gate_id"]].append(Signal(member=r["member"], signal=r["signal"], at=r["at"]))
        return found

    def open_gate_ids(self, limit: int = 1000) -> list[str]:
        """Gates not yet recorded as closed, oldest first (the sweeper's work list)."""
        g = d.completion_gates.c
        rows = self.conn.execute(select(g.id).where(g.status == "open").order_by(g.created_at, g.id).limit(limit))
        return [r[0] for r in rows]


def _answer(row: RowMapping) -> Answer:
    return Answer(
        member=row["member"],
        question_id=row["question_id"],
        answer=row["answer"],
        confidence=Fraction(row["confidence"]),
        question=row["question"],
        rationale=row["rationale"],
        evidence=tuple(row["evidence"] or ()),
        alternatives=tuple(row["alternatives"] or ()),
        submitted_at=row["submitted_at"],
    )
