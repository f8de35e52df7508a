"""Consultations through the services (SPEC §4.2) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accord.bootstrap import Services
from accord.domain.errors import ForbiddenError, NotFoundError, ValidationError
from accord.storage import tables as t
from tests.support import World


def messages(services: Services, member: str, type: str) -> list[dict[str, Any]]:
    with services.ctx.uow(write=False) as uow:
        rows = uow.conn.execute(
            select(t.messages).where(t.messages.c.recipient == member, t.messages.c.type == type)
        ).mappings()
        return [dict(r) for r in rows]


def decision(qid: str, answer: str, confidence: float, **more: Any) -> dict[str, Any]:
    return {"question_id": qid, "answer": answer, "confidence": confidence, "rationale": f"because {answer}", **more}


def council(world: World) -> str:
    world.group(
        "arch",
        {
            "a": {"weight": 2},
            "b": {},
            "c": {},
            "watcher": {"advisory": True},
            "lead": {"kind": "human", "role": "owner"},
        },
    )
    world.group("elsewhere", ["stranger"])
    view = world.api("lead").create_consultation(
        "arch", "Codebase map architecture", questions={"ARCH-001": "Monorepo or polyrepo?", "ARCH-003": "Unasked?"}
    )
    return str(view["id"])


def state(world: World, cid: str) -> tuple[Any, ...]:
    return world.api("admin").get_consultation(cid), [e["id"] for e in world.api("admin").list_events(limit=500)]


def test_many_contributors_many_questions_weighted_per_question(world: World, services: Services) -> None:
    cid = council(world)
    assert cid.startswith("cons_")
    assert messages(services, "a", "REQUEST")[0]["payload"]["consultation_id"] == cid
    world.api("a").submit_contribution(
        cid,
        [
            decision("ARCH-001", "Monorepo", 0.9, evidence=["docs/adr/001.md"], alternatives=["polyrepo"]),
            decision("ARCH-002", "Event sourcing", 0.9, question="Persistence model?"),
            decision("SEC-001", "mTLS", 0.6),
        ],
    )
    world.api("b").submit_contribution(
        cid,
        [decision("ARCH-001", "  monorepo ", 0.7), decision("ARCH-002", "CRUD", 0.95), decision("SEC-001", "JWT", 0.6)],
    )
    world.api("watcher").submit_contribution(cid, [decision("SEC-001", "JWT", 1.0)])  # advisory: shown, not counted
    view = world.api("c").submit_contribution(cid, [decision("SEC-001", "API keys", 0.6)])
    questions = {q["question_id"]: q for q in view["questions"]}
    assert list(questions) == ["ARCH-001", "ARCH-002", "SEC-001"]
    assert (questions["ARCH-001"]["status"], questions["ARCH-001"]["answer"]) == ("unanimous", "monorepo")
    assert questions["ARCH-001"]["question"] == "Monorepo or polyrepo?"
    # a weighs 2: event sourcing 1.8 against CRUD 0.95 is a majority, yet both sides are confident: critical.
    arch2 = questions["ARCH-002"]
    assert (arch2["status"], arch2["answer"], arch2["share"], arch2["flags"]) == (
        "majority",
        "event sourcing",
        0.6545,
        ["critical_conflict"],
    )
    assert arch2["question"] == "Persistence model?"
    # 1.2 mTLS vs 0.6 JWT vs 0.6 API keys: 50% is not a majority.
    sec = questions["SEC-001"]
    assert (sec["status"], sec["resolved"], sec["answer"], sec["flags"]) == ("split", False, "mtls", ["split"])
    assert {s["severity"] for s in sec["conflicts"]} == {"medium"}
    assert view["summary"] == {
        "questions": 3,
        "resolved": 2,
        "unresolved": 1,
        "flagged": ["ARCH-002", "SEC-001"],
        "unanswered": ["ARCH-003"],
    }
    assert view["escalated"] == ["ARCH-002"]
    md = world.api("a").get_consultation(cid)["markdown"]
    assert md.startswith("# Consultation synthesis: Codebase map architecture\n")
    assert "- Flagged for human review: ARCH-002, SEC-001" in md
    assert "## ARCH-002: Persistence model?\nStatus: majority (resolved)\nAnswer: event sourcing (65.5%)" in md
    assert "- crud vs event sourcing: critical (confidence 0.95 vs 0.9)" in md
    assert "    Rejected alternatives: polyrepo" in md


def test_a_critical_conflict_is_escalated_to_the_humans_once(world: World, services: Services) -> None:
    cid = council(world)
    world.api("a").submit_contribution(cid, [decision("OPS-001", "Kubernetes", 0.9)])
    world.api("b").submit_contribution(cid, [decision("OPS-001", "Nomad", 0.85)])
    world.api("c").submit_contribution(cid, [decision("OPS-001", "Nomad", 0.9)])
    escalations = [m for m in messages(services, "lead", "NOTICE") if m["payload"]["reason"] == "critical_conflict"]
    assert len(escalations) == 1 and escalations[0]["payload"]["questions"] == ["OPS-001"]
    assert messages(services, "a", "NOTICE") == []  # agents are not paged
    types = [e["type"] for e in world.api("lead").audit(cid)]
    assert types.count("consultation.escalated") == 1 and types.count("consultation.contributed") == 3


def test_contributing_again_replaces_my_answers(world: World) -> None:
    cid = council(world)
    world.api("a").submit_contribution(cid, [decision("ARCH-001", "Polyrepo", 0.4)])
    view = world.api("a").submit_contribution(cid, [decision("ARCH-001", "Monorepo", 0.8)])
    [q] = view["questions"]
    assert [g["answer"] for g in q["answers"]] == ["monorepo"]


@pytest.mark.parametrize(
    ("who", "items", "error", "message"),
    [
        (
            "a",
            [decision("arch-1", "x", 0.5)],
            ValidationError,
            "CONS-001: question_id 'arch-1' must look like ARCH-001",
        ),
        ("a", [decision("ARCH-001", "x", 1.5)], ValidationError, "CONS-003: ARCH-001: confidence must be 0.0-1.0"),
        ("a", [{**decision("ARCH-001", "x", 0.5), "rationale": ""}], ValidationError, "CONS-002"),
        ("a", [decision("ARCH-001", "x", 0.5), decision("ARCH-002", "y", 7)], ValidationError, "CONS-003: ARCH-002"),
        ("late", [decision("ARCH-001", "x", 0.5)], ForbiddenError, "late is not a contributor of cons_"),
        ("stranger", [decision("ARCH-001", "x", 0.5)], NotFoundError, "consultation cons_.* not found"),
    ],
)
def test_bad_contributions_are_refused_and_write_nothing(
    world: World, who: str, items: list[dict[str, Any]], error: type[Exception], message: str
) -> None:
    cid = council(world)
    world.services.groups.add_member(world.admin, "arch", world.member("late").name)  # joined after it opened
    before = state(world, cid)
    with pytest.raises(error, match=message):
        world.api(who).submit_contribution(cid, items)
    assert state(world, cid) == before


def test_bad_consultations_are_refused(world: World) -> None:
    world.group("arch", ["a"])
    with pytest.raises(ValidationError, match="CONS-001: question_id 'Q1'"):
        world.api("a").create_consultation("arch", "Q", questions={"Q1": "What?"})
    with pytest.raises(ValidationError, match="title is required"):
        world.api("a").create_consultation("arch", " ")
    with pytest.raises(NotFoundError, match="group nope not found"):
        world.api("a").create_consultation("nope", "Q")
