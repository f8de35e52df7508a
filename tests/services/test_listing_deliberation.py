"""Listing consultations (flagged for humans) and completion gates (waiting for me), on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from accord.clock import FixedClock
from accord.domain.errors import NotFoundError, ValidationError
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group("eng", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}})
    world.group("ops", {"olga": {"kind": "human"}, "oscar": {}})
    return world


def answer(qid: str, text: str, confidence: float) -> dict[str, Any]:
    return {"question_id": qid, "question": f"{qid}?", "answer": text, "confidence": confidence, "rationale": "r"}


def test_consultations_flagged_for_humans(team: World, clock: FixedClock) -> None:
    bob = team.api("bob")
    calm = bob.create_consultation("eng", "Calm", questions={"ARCH-001": "Which queue?"})["id"]
    clock.advance(seconds=1)
    split = bob.create_consultation("eng", "Split", questions={"ARCH-001": "Which DB?", "ARCH-002": "Which cache?"})
    team.api("bob").submit_contribution(calm, [answer("ARCH-001", "kafka", 0.9)])
    team.api("carol").submit_contribution(calm, [answer("ARCH-001", "Kafka", 0.7)])
    team.api("bob").submit_contribution(split["id"], [answer("ARCH-001", "postgres", 0.9)])
    team.api("carol").submit_contribution(split["id"], [answer("ARCH-001", "dynamo", 0.9)])
    team.api("olga").create_consultation("ops", "Elsewhere")

    listed = team.api("alice").list_consultations()
    assert [c["id"] for c in listed] == [split["id"], calm]
    first = listed[0]
    assert first["summary"]["flagged"] == ["ARCH-001"] and first["summary"]["unanswered"] == ["ARCH-002"]
    assert first["contributed"] == ["bob", "carol"] and "questions" not in first
    assert first["escalated"] == ["ARCH-001"]  # both sides confident: a critical conflict, escalated once
    flagged = team.api("alice").list_consultations(flagged=True)
    assert [c["id"] for c in flagged] == [split["id"]]
    assert team.api("alice").list_consultations(group="eng", limit=1)[0]["id"] == split["id"]
    with pytest.raises(NotFoundError, match=r"^group ops not found$"):
        team.api("alice").list_consultations(group="ops")
    with pytest.raises(ValidationError, match=r"^limit must be 1-500, got 0$"):
        team.api("alice").list_consultations(limit=0)


def test_completion_gates_waiting_for_me(team: World, clock: FixedClock) -> None:
    bob = team.api("bob")
    gate = bob.create_completion_gate("eng", "Ship docs", ["alice", "bob", "carol"], 2, 60, 30, 120)["id"]
    clock.advance(seconds=1)
    other = bob.create_completion_gate("eng", "Bob and carol", ["bob", "carol"], 2, 60, 30, 120)["id"]
    bob.signal_completion(gate, "complete")
    alice = team.api("alice")
    assert [g["id"] for g in alice.list_completion_gates()] == [other, gate]
    mine = alice.list_completion_gates(awaiting_me=True)
    assert [g["id"] for g in mine] == [gate] and mine[0]["pending"] == ["alice", "carol"]
    assert [g["id"] for g in bob.list_completion_gates(awaiting_me=True)] == [other]
    clock.advance(seconds=121)  # the fallback closes `gate` (not yet recorded): it waits for no one now
    assert alice.list_completion_gates(awaiting_me=True) == []
    closed = alice.list_completion_gates(status="closed")
    assert [(g["id"], g["status"]) for g in closed] == [(gate, "single_agent_complete")]
    assert [g["id"] for g in alice.list_completion_gates(status="open")] == [other]
    with pytest.raises(ValidationError, match=r"^status 'done' is not allowed: use open or closed$"):
        alice.list_completion_gates(status="done")
    with pytest.raises(NotFoundError, match=r"^group ops not found$"):
        alice.list_completion_gates(group="ops")
    assert team.api("olga").list_completion_gates() == []


def test_marking_a_message_read_without_receiving_it(team: World) -> None:
    sent = team.api("bob").send_message("alice", "seen on the web", "eng", subject="hello")["id"]
    later = team.api("bob").send_message("alice", "the next one", "eng")["id"]
    alice = team.api("alice")
    marked = alice.mark_message_read(sent)
    assert (marked["id"], marked["read"], marked["already_read"]) == (sent, True, False)
    assert alice.mark_message_read(sent)["already_read"] is True
    got = alice.recv_message()
    assert got is not None and got["id"] == later  # recv skips what was marked read
    assert [m["id"] for m in alice.check_inbox(unread_only=True)] == []
    with pytest.raises(NotFoundError, match=rf"^message {sent} not found$"):
        team.api("carol").mark_message_read(sent)
    with pytest.raises(NotFoundError, match=r"^message msg_nope not found$"):
        alice.mark_message_read("msg_nope")
