"""Consultations (SPEC §4.2, seed 001): many contributors answer many questions; consensus per question.

Answers to one question are normalized (trim, lowercase, collapse spaces) and grouped. A group's weight is
the sum of its contributors' confidence x member weight, its share weight / total. One distinct answer is
`unanimous`, a top share > 1/2 `majority` (both resolved), anything else `split` (unresolved, flagged for
humans). Every pair of distinct answers is a conflict whose severity comes from each side's highest
confidence; a `critical` conflict flags its question for humans even when it is resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from itertools import combinations
from typing import Any

from accord.domain.errors import ValidationError
from accord.domain.numbers import as_float, in_unit_interval
from accord.domain.proposals import check_evidence

QUESTION_ID = re.compile(r"^[A-Z]+-\d{3}$")
MAX_ITEMS, MAX_QUESTION, MAX_ANSWER, MAX_RATIONALE, MAX_ALTERNATIVES = 200, 1_000, 4_096, 4_096, 20
ITEM_FIELDS = ("question_id", "question", "answer", "confidence", "rationale", "evidence", "alternatives")
HALF = Fraction(1, 2)


def check_question_id(raw: object) -> str:
    """A question id such as ARCH-001 (`^[A-Z]+-\\d{3}$`), or a ValidationError naming the rule."""
    if not isinstance(raw, str) or not QUESTION_ID.match(raw):
        raise ValidationError(
            f"CONS-001: question_id {raw!r} must look like ARCH-001: capital letters, '-', three digits "
            "(^[A-Z]+-\\d{3}$)",
            field="question_id",
            pattern=QUESTION_ID.pattern,
        )
    return raw


def normalize_answer(text: str) -> str:
    """Answers group after trimming, lowercasing and collapsing spaces."""
    return re.sub(r"\s+", " ", text.strip()).lower()


def check_questions(raw: Mapping[str, str] | None) -> dict[str, str]:
    """The questions a consultation declares up front ({id: text}); contributions may add others."""
    questions: dict[str, str] = {}
    for qid, text in (raw or {}).items():
        check_question_id(qid)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUESTION:
            raise ValidationError(f"question {qid} needs a text of 1-{MAX_QUESTION} characters", field="questions")
        questions[qid] = text.strip()
    if len(questions) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} questions per consultation", field="questions")
    return questions


@dataclass(frozen=True)
class Answer:
    """One contributor's answer to one question."""

    member: str
    question_id: str
    answer: str
    confidence: Fraction
    question: str | None = None
    rationale: str = ""
    evidence: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    submitted_at: datetime | None = None


def parse_contribution(member: str, items: object, *, at: datetime) -> list[Answer]:
    """Validate a contribution (a list of {question_id, question, answer, confidence, rationale, evidence,
    alternatives}); the first bad item is refused naming its rule, so nothing of it is written."""
    if not isinstance(items, list) or not items:
        raise ValidationError(
            "CONS-001: a contribution is a non-empty list of {question_id, answer, confidence, rationale, ...}",
            field="decisions",
        )
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"a contribution answers at most {MAX_ITEMS} questions, got {len(items)}")
    answers: list[Answer] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping):
            raise ValidationError(
                "CONS-001: each decision is an object with question_id, answer, confidence, rationale"
            )
        unknown = sorted(set(item) - set(ITEM_FIELDS))
        if unknown:
            raise ValidationError(
                f"unknown field(s) {', '.join(unknown)}: a decision has {', '.join(ITEM_FIELDS)}", field=unknown[0]
            )
        qid = check_question_id(item.get("question_id"))
        if qid in seen:
            raise ValidationError(f"question {qid} is answered twice in one contribution", field="question_id")
        seen.add(qid)
        answers.append(_answer(member, qid, item, at))
    return answers


def _answer(member: str, qid: str, item: Mapping[str, Any], at: datetime) -> Answer:
    text = item.get("answer")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANSWER:
        raise ValidationError(f"{qid}: answer must be text of 1-{MAX_ANSWER} characters", field="answer")
    if item.get("confidence") is None:
        raise ValidationError(f"CONS-003: {qid}: confidence is required (0.0-1.0)", field="confidence")
    try:
        confidence = in_unit_interval(item["confidence"], "confidence", allow_zero=True)
    except ValidationError as exc:
        raise ValidationError(f"CONS-003: {qid}: {exc.message}", **exc.details) from None
    rationale = item.get("rationale")
    if not isinstance(rationale, str) or not rationale.strip():
        raise ValidationError(f"CONS-002: {qid}: rationale is required (why this answer)", field="rationale")
    if len(rationale) > MAX_RATIONALE:
        raise ValidationError(f"{qid}: rationale is longer than {MAX_RATIONALE} characters", field="rationale")
    question = item.get("question")
    if question is not None and (not isinstance(question, str) or len(question) > MAX_QUESTION):
        raise ValidationError(f"{qid}: question must be text of at most {MAX_QUESTION} characters", field="question")
    evidence = item.get("evidence")
    if evidence is not None and not isinstance(evidence, list):
        raise ValidationError(f"{qid}: evidence is a list of URLs, paths or quotes", field="evidence")
    alternatives = item.get("alternatives") or []
    if not isinstance(alternatives, list) or len(alternatives) > MAX_ALTERNATIVES:
        raise ValidationError(
            f"{qid}: alternatives is a list of at most {MAX_ALTERNATIVES} texts", field="alternatives"
        )
    if not all(isinstance(a, str) and 0 < len(a.strip()) <= MAX_ANSWER for a in alternatives):
        raise ValidationError(f"{qid}: each alternative is a non-empty text", field="alternatives")
    return Answer(
        member=member,
        question_id=qid,
        answer=text.strip(),
        confidence=confidence,
        question=question.strip() if question and question.strip() else None,
        rationale=rationale.strip(),
        evidence=check_evidence(evidence),
        alternatives=tuple(a.strip() for a in alternatives),
        submitted_at=at,
    )


def severity(a: Fraction, b: Fraction) -> str:
    """A conflict's severity from each side's highest confidence (seed 001, CONS-005)."""
    if a > Fraction(4, 5) and b > Fraction(4, 5):
        return "critical"
    if a > Fraction(3, 5) and b > Fraction(3, 5):
        return "high"
    if a < HALF and b < HALF:
        return "low"
    return "medium"


@dataclass
class AnswerGroup:
    """Every answer to one question that normalizes to the same text."""

    answer: str
    weight: Fraction = Fraction(0)
    top_confidence: Fraction = Fraction(0)
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionResult:
    """The consensus on one question."""

    question_id: str
    question: str | None
    status: str  # unanimous | majority | split
    answer: str | None
    share: Fraction
    groups: tuple[AnswerGroup, ...]
    total: Fraction
    conflicts: tuple[dict[str, Any], ...]

    @property
    def resolved(self) -> bool:
        return self.status in ("unanimous", "majority")

    @property
    def flags(self) -> list[str]:
        flags = [] if self.resolved else ["split"]
        if any(c["severity"] == "critical" for c in self.conflicts):
            flags.append("critical_conflict")
        return flags


def question_consensus(
    question_id: str,
    answers: Iterable[Answer],
    weights: Mapping[str, Fraction],
    question: str | None = None,
) -> QuestionResult:
    """Weighted consensus on one question; `weights` maps each counted contributor to its member weight
    (contributors missing from it, e.g. advisory ones, are shown but weigh nothing)."""
    groups: dict[str, AnswerGroup] = {}
    texts: list[str] = [question] if question else []
    for a in answers:
        key = normalize_answer(a.answer)
        group = groups.setdefault(key, AnswerGroup(answer=key))
        group.answers.append(a)
        group.weight += a.confidence * weights.get(a.member, Fraction(0))
        group.top_confidence = max(group.top_confidence, a.confidence)
        if a.question:
            texts.append(a.question)
    total = sum((g.weight for g in groups.values()), Fraction(0))
    # Highest weight first; ties for the top go to the answer that sorts first.
    ordered = tuple(sorted(groups.values(), key=lambda g: (-g.weight, g.answer)))
    top = ordered[0] if ordered else None
    share = top.weight / total if top is not None and total else Fraction(0)
    if len(ordered) == 1:
        status = "unanimous"
    elif top is not None and share > HALF:
        status = "majority"
    else:
        status = "split"
    conflicts = tuple(
        {
            "answers": [x.answer, y.answer],
            "severity": severity(x.top_confidence, y.top_confidence),
            "confidence": [as_float(x.top_confidence), as_float(y.top_confidence)],
        }
        for x, y in combinations(sorted(groups.values(), key=lambda g: g.answer), 2)
    )
    return QuestionResult(
        question_id=question_id,
        question=texts[0] if texts else None,
        status=status,
        answer=top.answer if top is not None else None,
        share=share,
        groups=ordered,
        total=total,
        conflicts=conflicts,
    )


def consensus(
    answers: Iterable[Answer], weights: Mapping[str, Fraction], questions: Mapping[str, str] | None = None
) -> list[QuestionResult]:
    """Per-question consensus over every answered question, in id order."""
    by_question: dict[str, list[Answer]] = {qid: [] for qid in questions or {}}
    for a in answers:
        by_question.setdefault(a.question_id, []).append(a)
    return [
        question_consensus(qid, items, weights, (questions or {}).get(qid))
        for qid, items in sorted(by_question.items())
        if items
    ]


def pct(share: Fraction) -> str:
    """A share as a percentage to one decimal (57.8%)."""
    return f"{float(share) * 100:.1f}%"


def question_view(result: QuestionResult, weights: Mapping[str, Fraction]) -> dict[str, Any]:
    """One question of the synthesis, as JSON."""
    return {
        "question_id": result.question_id,
        "question": result.question,
        "status": result.status,
        "resolved": result.resolved,
        "answer": result.answer,
        "share": as_float(result.share),
        "flagged": bool(result.flags),
        "flags": result.flags,
        "answers": [
            {
                "answer": g.answer,
                "weight": as_float(g.weight),
                "share": as_float(g.weight / result.total) if result.total else 0.0,
                "contributors": [
                    {
                        "member": a.member,
                        "answer": a.answer,
                        "confidence": float(a.confidence),
                        "weight": float(weights[a.member]) if a.member in weights else 0.0,
                        "counted": a.member in weights,
                        "rationale": a.rationale,
                        "evidence": list(a.evidence),
                        "alternatives": list(a.alternatives),
                    }
                    for a in sorted(g.answers, key=lambda a: a.member)
                ],
            }
            for g in result.groups
        ],
        "conflicts": list(result.conflicts),
    }


def synthesis_markdown(data: Mapping[str, Any]) -> str:
    """The synthesis for people: a summary, then each question with its answers, shares and conflicts."""
    summary = data["summary"]
    lines = [
        f"# Consultation synthesis: {data['title']}",
        "",
        f"Consultation {data['id']} of group {data['group']}; "
        f"{len(data['contributed'])} of {len(data['contributors'])} contributors answered.",
        "",
        "## Summary",
        f"- Questions: {summary['questions']} ({summary['resolved']} resolved, {summary['unresolved']} unresolved)",
        f"- Flagged for human review: {', '.join(summary['flagged']) or 'none'}",
    ]
    if summary["unanswered"]:
        lines.append(f"- Unanswered: {', '.join(summary['unanswered'])}")
    for q in data["questions"]:
        title = f"{q['question_id']}: {q['question']}" if q["question"] else q["question_id"]
        state = "resolved" if q["resolved"] else "unresolved"
        lines += ["", f"## {title}", f"Status: {q['status']} ({state})"]
        if q["answer"] is not None:
            lines.append(f"Answer: {q['answer']} ({q['share'] * 100:.1f}%)")
        if q["flags"]:
            lines.append(f"Flagged for humans: {', '.join(q['flags'])}")
        lines += ["", "### Answers"]
        for g in q["answers"]:
            who = ", ".join(
                f"{c['member']} ({c['confidence']:g}{'' if c['counted'] else ', advisory'})" for c in g["contributors"]
            )
            lines.append(f"- {g['answer']}: {g['share'] * 100:.1f}% - {who}")
            for c in g["contributors"]:
                lines.append(f"  - {c['member']}: {c['rationale']}")
                if c["evidence"]:
                    lines.append(f"    Evidence: {'; '.join(c['evidence'])}")
                if c["alternatives"]:
                    lines.append(f"    Rejected alternatives: {'; '.join(c['alternatives'])}")
        if q["conflicts"]:
            lines += ["", "### Conflicts"]
            for c in q["conflicts"]:
                a, b = c["answers"]
                ca, cb = c["confidence"]
                lines.append(f"- {a} vs {b}: {c['severity']} (confidence {ca:g} vs {cb:g})")
    return "\n".join(lines) + "\n"
