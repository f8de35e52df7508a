"""SPEC §4 through the services on SQLite and PostgreSQL: re-votes, expert override, escalation, resolution."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from accord.storage import tables as t
from tests.support import World


def inbox(services: Services, member: str) -> list[dict[str, Any]]:
    with services.ctx.uow(write=False) as uow:
        rows = uow.conn.execute(
            select(t.messages).where(t.messages.c.recipient == member).order_by(t.messages.c.created_at)
        ).mappings()
        return [dict(r) for r in rows]


def state(world: World, proposal_id: str) -> tuple[Any, ...]:
    admin = world.api("admin")
    return admin.get_proposal(proposal_id, history=True), [e["id"] for e in admin.list_events(limit=500)]


def panel(world: World) -> None:
    """Four agents, a human owner who decides escalations, and a human member who may not."""
    world.group(
        "team",
        {
            "a1": {},
            "a2": {},
            "a3": {},
            "a4": {},
            "lead": {"kind": "human", "role": "owner", "advisory": True},
            "hugo": {"kind": "human", "advisory": True},
        },
    )


def tie(world: World, proposal_id: str, comments: bool = True) -> None:
    for name, vote in (("a1", "A"), ("a2", "A"), ("a3", "B"), ("a4", "B")):
        world.api(name).cast_vote(proposal_id, vote, comment=f"{name} argues for {vote}" if comments else None)


def test_discussion_round_archives_ballots_notifies_and_then_escalates(world: World, services: Services) -> None:
    panel(world)
    p = world.api("a1").create_proposal(
        "team", "A or B?", voting_type="single", options=["A", "B"], on_no_consensus=["discussion_round", "escalate"]
    )
    tie(world, p["id"])
    first = world.api("a1").finalize_proposal(p["id"])
    assert (first["outcome"], first["round"], first["status"]) == ("revote", 2, "open")
    assert {a["voter"] for a in first["leading_arguments"]} == {"a1", "a2", "a3", "a4"}  # a tie: both leaders
    assert first["votes"] == []  # archived: everyone votes afresh
    notice = [m for m in inbox(services, "a3") if m["type"] == "NOTICE"][-1]
    assert "vote again (round 2)" in notice["content"]
    assert notice["payload"]["leading_arguments"][0]["comment"] == "a1 argues for A"

    tie(world, p["id"], comments=False)
    second = world.api("a1").finalize_proposal(p["id"])
    assert (second["status"], second["outcome"], second["vote_outcome"]) == ("escalated", "escalated", "no_consensus")
    assert second["resolution"] == {"method": "escalated", "reason": "no_consensus"}
    history = world.api("a1").get_proposal(p["id"], history=True)["history"]
    assert sorted({h["round"] for h in history}) == [1, 2] and len(history) == 8
    assert any("Escalated to humans" in m["content"] for m in inbox(services, "lead"))
    assert any("Escalated to humans" in m["content"] for m in inbox(services, "hugo"))
    assert not any("Escalated to humans" in m["content"] for m in inbox(services, "a1"))

    done = world.api("lead").resolve_proposal(p["id"], "b", "B keeps the migration reversible")
    assert (done["status"], done["result"], done["outcome"]) == ("finalized", "B", "passed")
    assert done["resolution"]["method"] == "human_decision" and done["resolution"]["escalated_for"] == "no_consensus"
    record = world.api("a2").get_decision_record(p["id"])
    assert "Human decision - lead\nB keeps the migration reversible" in record["markdown"]
    assert [d["voter"] for d in record["dissent"]] == ["a1", "a2"]
    assert [r["round"] for r in record["rounds"]] == [1, 2]


def test_max_rounds_one_skips_the_discussion_round(world: World) -> None:
    panel(world)
    p = world.api("a1").create_proposal(
        "team", "Q", voting_type="single", options=["A", "B"], on_no_consensus=["discussion_round"], max_rounds=1
    )
    tie(world, p["id"])
    result = world.api("a1").finalize_proposal(p["id"])
    assert (result["status"], result["outcome"], result["result"]) == ("finalized", "no_consensus", None)


def test_escalate_before_discussion_round_is_refused_at_creation(world: World) -> None:
    panel(world)
    with pytest.raises(ValidationError, match="re-vote before escalating"):
        world.api("a1").create_proposal("team", "Q", on_no_consensus=["escalate", "discussion_round"])


def test_a_decisive_no_is_a_consensus_not_a_reason_to_revote(world: World) -> None:
    panel(world)
    p = world.api("a1").create_proposal("team", "Ship it?", on_no_consensus=["discussion_round", "escalate"])
    for name, vote in (("a1", "yes"), ("a2", "no"), ("a3", "no"), ("a4", "no")):
        world.api(name).cast_vote(p["id"], vote)
    result = world.api("a1").finalize_proposal(p["id"])
    assert (result["status"], result["outcome"], result["round"]) == ("finalized", "rejected", 1)
    # A yes/no tie is no consensus: the discussion round applies.
    q = world.api("a1").create_proposal("team", "Ship it now?", on_no_consensus=["discussion_round"])
    for name, vote in (("a1", "yes"), ("a2", "yes"), ("a3", "no"), ("a4", "no")):
        world.api(name).cast_vote(q["id"], vote, comment="because")
    revote = world.api("a1").finalize_proposal(q["id"])
    assert revote["outcome"] == "revote"
    assert {a["voter"] for a in revote["leading_arguments"]} == {"a1", "a2", "a3", "a4"}


def expert_world(world: World, a2_expertise: list[str] | None = None) -> None:
    world.group(
        "team",
        {
            "a1": {"weight": 2, "expertise": ["databases"]},
            "a2": {"weight": 2, "expertise": a2_expertise or []},
            "a3": {},
        },
    )


def test_expert_override_needs_confidence_above_0_8(world: World) -> None:
    expert_world(world)
    spec: dict[str, Any] = {"voting_type": "single", "options": ["PG", "Dynamo", "Mongo"], "domain": "databases"}
    p = world.api("a3").create_proposal("team", "DB?", on_no_consensus=["expert_override"], **spec)
    for name, vote, conf in (("a1", "PG", 0.8), ("a2", "Dynamo", 1.0), ("a3", "Mongo", 1.0)):
        world.api(name).cast_vote(p["id"], vote, confidence=conf)
    result = world.api("a3").finalize_proposal(p["id"])
    assert (result["outcome"], result["resolution"]["method"]) == ("no_consensus", "vote")  # 0.8 is not > 0.8
    q = world.api("a3").create_proposal("team", "DB again?", on_no_consensus=["expert_override"], **spec)
    for name, vote, conf in (("a1", "PG", 0.81), ("a2", "Dynamo", 1.0), ("a3", "Mongo", 1.0)):
        world.api(name).cast_vote(q["id"], vote, confidence=conf)
    result = world.api("a3").finalize_proposal(q["id"])
    assert (result["outcome"], result["result"]) == ("passed", "PG")
    assert result["resolution"] == {"method": "expert_override", "expert": "a1", "decision": "PG"}


def test_tied_experts_who_disagree_give_no_override(world: World) -> None:
    expert_world(world, ["databases"])
    p = world.api("a3").create_proposal(
        "team",
        "DB?",
        voting_type="single",
        options=["PG", "Dynamo"],
        domain="databases",
        on_no_consensus=["expert_override", "escalate"],
    )
    world.api("a1").cast_vote(p["id"], "PG", confidence=0.9)
    world.api("a2").cast_vote(p["id"], "Dynamo", confidence=0.9)
    world.api("a3").cast_vote(p["id"], "abstain")
    result = world.api("a3").finalize_proposal(p["id"])
    assert (result["status"], result["resolution"]["reason"]) == ("escalated", "no_consensus")


def test_critical_unanimity_escalates_until_a_human_confirms_or_overturns(world: World, services: Services) -> None:
    panel(world)
    confirmed = world.api("a1").create_proposal("team", "Drop the old table?", critical=True)
    overturned = world.api("a1").create_proposal("team", "Drop the other table?", critical=True)
    for pid in (confirmed["id"], overturned["id"]):
        for name in ("a1", "a2", "a3", "a4"):
            world.api(name).cast_vote(pid, "yes")
        result = world.api("a1").finalize_proposal(pid)
        assert (result["status"], result["warnings"]) == ("escalated", ["unanimous_requires_scrutiny"])
        assert result["resolution"]["reason"] == "unanimous_requires_scrutiny"
        assert result["outcome"] == "escalated" and result["vote_outcome"] == "passed"
    yes = world.api("lead").resolve_proposal(confirmed["id"], "yes", "Checked the backups myself")
    assert (yes["outcome"], yes["resolution"]["confirmed"]) == ("passed", True)
    no = world.api("lead").resolve_proposal(overturned["id"], "no", "Another service still reads it", "Migrate first")
    assert (no["outcome"], no["result"], no["resolution"]["confirmed"]) == ("rejected", "no", False)
    record = world.api("a1").get_decision_record(overturned["id"])
    assert "(overturns the unanimous vote)" in record["markdown"]
    assert "Mitigation: Migrate first" in record["markdown"]
    assert "Warning: unanimous_requires_scrutiny" in record["markdown"]


def test_two_unanimous_voters_are_not_suspicious(world: World) -> None:
    world.group("pair", ["b1", "b2"])
    p = world.api("b1").create_proposal("pair", "Tiny change?", critical=True)
    for name in ("b1", "b2"):
        world.api(name).cast_vote(p["id"], "yes")
    assert world.api("b1").finalize_proposal(p["id"])["status"] == "finalized"


def escalated(world: World) -> str:
    panel(world)
    p = world.api("a1").create_proposal(
        "team", "A or B?", voting_type="single", options=["A", "B"], on_no_consensus=["escalate"]
    )
    tie(world, p["id"])
    world.api("a1").finalize_proposal(p["id"])
    return str(p["id"])


@pytest.mark.parametrize(
    ("who", "args", "error", "message"),
    [
        ("a1", ("A", "why"), ForbiddenError, "a1 may not resolve prop_"),  # an agent
        ("hugo", ("A", "why"), ForbiddenError, "only a human owner/admin of group team may"),  # not an admin
        ("lead", ("A", "  "), ValidationError, "CONS-002: rationale is required"),
        ("lead", ("C", "why"), ValidationError, "unknown option 'C': allowed options are A, B"),
        ("outsider", ("A", "why"), NotFoundError, "not found"),
    ],
)
def test_resolve_refusals_name_the_rule_and_write_nothing(
    world: World, who: str, args: tuple[str, str], error: type[Exception], message: str
) -> None:
    pid = escalated(world)
    world.group("elsewhere", {"outsider": {"kind": "human", "role": "owner"}})
    before = state(world, pid)
    with pytest.raises(error, match=message):
        world.api(who).resolve_proposal(pid, *args)
    assert state(world, pid) == before


def test_resolving_a_proposal_that_is_not_escalated_is_refused(world: World) -> None:
    panel(world)
    p = world.api("a1").create_proposal("team", "Q?")
    before = state(world, p["id"])
    with pytest.raises(ConflictError, match=r"is open, not escalated: only an escalated proposal is resolved"):
        world.api("lead").resolve_proposal(p["id"], "yes", "because")
    assert state(world, p["id"]) == before
    world.api("lead").finalize_proposal(p["id"], force=True, rationale="nobody voted in time")
    with pytest.raises(ConflictError, match="is finalized, not escalated"):
        world.api("lead").resolve_proposal(p["id"], "yes", "because")


def test_no_expert_decides_without_quorum(world: World, clock: FixedClock) -> None:
    expert_world(world)
    p = world.api("a3").create_proposal(
        "team",
        "DB?",
        voting_type="single",
        options=["PG", "Dynamo"],
        domain="databases",
        min_votes=3,
        on_no_consensus=["expert_override"],
        deadline_hours=1,
    )
    world.api("a1").cast_vote(p["id"], "PG", confidence=0.95)
    clock.advance(hours=1)  # closable after the deadline, with one ballot of the three required
    result = world.api("a3").finalize_proposal(p["id"])
    assert (result["outcome"], result["resolution"]["method"]) == ("no_quorum", "vote")
