"""InboxService on SQLite and PostgreSQL: send, recv exactly once, peek, list, ttl, tasks, and refusals."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from accord.clock import FixedClock
from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from tests.services.test_gates import rows
from tests.support import World


def crew(world: World) -> str:
    return world.group("crew", ["lead", "ana", "bo", "cy"])


def test_a_message_reaches_its_recipient_once_oldest_first(world: World, clock: FixedClock) -> None:
    crew(world)
    lead = world.api("lead")
    first = lead.send_message("ana", "first", "crew", subject="s1", payload={"n": 1})
    clock.advance(1)
    lead.send_message("ana", "second", "crew", type="task")
    ana = world.api("ana")
    peeked = ana.peek_message()
    assert peeked is not None and (peeked["id"], peeked["read"]) == (first["id"], False)
    got = ana.recv_message()
    assert got is not None
    assert (got["id"], got["from"], got["to"], got["type"], got["content"]) == (
        first["id"],
        "lead",
        "ana",
        "NOTICE",
        "first",
    )
    assert (got["subject"], got["payload"], got["read"]) == ("s1", {"n": 1}, True)
    second = ana.recv_message()
    assert second is not None and (second["content"], second["type"], second["status"]) == ("second", "TASK", "pending")
    assert ana.recv_message() is None and ana.peek_message() is None
    assert [m["content"] for m in ana.check_inbox()] == ["second", "first"]  # newest first, nothing consumed
    assert world.api("bo").recv_message() is None


def test_a_message_to_everyone_reaches_each_member_but_the_sender_once(world: World) -> None:
    crew(world)
    sent = world.api("lead").send_message("*", "standup in 5", "crew", type="BROADCAST")
    assert sent["recipients"] == ["ana", "bo", "cy"]
    for member in ("ana", "bo", "cy"):
        got = world.api(member).recv_message()
        assert got is not None and (got["id"], got["to"]) == (sent["id"], "*")
        assert world.api(member).recv_message() is None
    assert world.api("lead").recv_message() is None
    events = [
        e for e in world.api("admin").audit() if e["type"] == "message.sent" and e["data"]["message_id"] == sent["id"]
    ]
    assert sorted(e["ref"] for e in events) == ["inbox:ana", "inbox:bo", "inbox:cy"]


def test_filters_and_listing(world: World, clock: FixedClock) -> None:
    crew(world)
    lead = world.api("lead")
    lead.send_message("ana", "hello", "crew")
    start = clock.advance(1)
    clock.advance(1)
    lead.send_message("ana", "answer", "crew", type="RESPONSE", subject="deploy")
    ana = world.api("ana")
    assert [m["content"] for m in ana.check_inbox(since=start.isoformat())] == ["answer"]
    got = ana.recv_message(type="response", subject="deploy")
    assert got is not None and got["content"] == "answer"
    assert [m["content"] for m in ana.check_inbox(unread_only=True)] == ["hello"]
    assert len(ana.check_inbox(limit=1)) == 1


def test_expired_messages_are_never_delivered(world: World, clock: FixedClock) -> None:
    crew(world)
    world.api("lead").send_message("ana", "soon stale", "crew", ttl_seconds=60)
    clock.advance(59)
    assert world.api("ana").peek_message() is not None
    clock.advance(1)
    assert world.api("ana").recv_message() is None
    assert world.api("ana").check_inbox() == []


def test_a_member_who_left_the_group_no_longer_receives_its_messages(world: World) -> None:
    crew(world)
    world.api("lead").send_message("ana", "secret", "crew")
    world.services.groups.remove_member(world.admin, "crew", "ana")
    assert world.api("ana").recv_message() is None


def test_send_refusals_write_nothing(world: World) -> None:
    crew(world)
    world.group("elsewhere", ["zed"])
    lead = world.api("lead")
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"to": "zed"}, ValidationError, "zed is not a member of group crew: send to one of its members, or '*'"),
        ({"to": "Bad Name"}, ValidationError, "recipient name 'Bad Name' is not allowed"),
        ({"to": "ana", "group": "elsewhere"}, NotFoundError, "group elsewhere not found"),
        ({"to": "ana", "content": "x" * 4097}, ValidationError, "content is 4097 characters; at most 4096 allowed"),
        (
            {"to": "ana", "payload": {"blob": "é" * 8192}},
            ValidationError,
            "payload is 16395 bytes of JSON; at most 16384 (16 KiB) allowed",
        ),
        ({"to": "ana", "payload": {1, 2}}, ValidationError, "payload must be JSON"),
        ({"to": "ana", "type": "VETO"}, ValidationError, "VETO messages are sent by Accord"),
        ({"to": "ana", "type": "SHOUT"}, ValidationError, "message type 'SHOUT' is not allowed: use one of REQUEST, "),
        ({"to": "ana", "ttl_seconds": 0}, ValidationError, "ttl_seconds must be a whole number of seconds from 1"),
        ({"to": "ana", "ttl_seconds": 1.5}, ValidationError, "ttl_seconds must be a whole number of seconds from 1"),
    ]
    before = rows(world.services)
    for args, error, message in cases:
        with pytest.raises(error) as refused:
            lead.send_message(**{"content": "hi", "group": "crew", **args})
        assert message in str(refused.value)
    with pytest.raises(ValidationError, match="group elsewhere has no other member to receive a message to"):
        world.api("zed").send_message("*", "anyone?", "elsewhere")
    assert rows(world.services) == before


def test_recv_refusals(world: World) -> None:
    crew(world)
    ana = world.api("ana")
    with pytest.raises(ValidationError, match="wait must be 0-3600 seconds"):
        ana.recv_message(wait=-1)
    with pytest.raises(ValidationError, match="message type 'nope' is not allowed"):
        ana.recv_message(type="nope")
    with pytest.raises(ValidationError, match="limit must be 1-100"):
        ana.check_inbox(limit=101)
    with pytest.raises(ValidationError, match="since 'yesterday' is not an ISO-8601 instant"):
        ana.check_inbox(since="yesterday")


def task(world: World, to: str = "*", **extra: Any) -> str:
    return str(world.api("lead").send_message(to, "build it", "crew", type="TASK", subject="build", **extra)["id"])


def test_a_claim_is_exclusive_and_comes_back_when_it_expires(world: World, clock: FixedClock) -> None:
    crew(world)
    tid = task(world)
    claimed = world.api("ana").claim_message(tid, 60)
    assert (claimed["status"], claimed["claimed_by"], claimed["read"]) == ("claimed", "ana", True)
    before = rows(world.services)
    with pytest.raises(ConflictError, match=f"message {tid} is already claimed by ana until 2026-01-01T12:01:00"):
        world.api("bo").claim_message(tid)
    assert rows(world.services) == before
    assert world.api("bo").recv_message() is None  # someone holds it: not handed out meanwhile
    clock.advance(60)
    got = world.api("bo").recv_message()
    assert got is not None and (got["id"], got["status"]) == (tid, "pending")
    assert world.api("bo").claim_message(tid)["claimed_by"] == "bo"


def test_complete_needs_the_claim_and_answers_the_sender(world: World) -> None:
    crew(world)
    tid = task(world, payload={"request_id": "prop_abc"})
    before = rows(world.services)
    with pytest.raises(
        ConflictError, match=f"cannot complete message {tid}: complete needs your claim, and it is not claimed"
    ):
        world.api("ana").complete_message(tid, "done")
    world.api("bo").claim_message(tid)
    with pytest.raises(ConflictError, match="complete needs your claim, and it is claimed by bo"):
        world.api("ana").complete_message(tid, "done")
    with pytest.raises(ConflictError, match="release needs your claim, and it is claimed by bo"):
        world.api("ana").release_message(tid)
    assert rows(world.services)["messages"] == before["messages"]
    done = world.api("bo").complete_message(tid, "built in 3 minutes")
    assert (done["status"], done["response"]) == ("completed", "built in 3 minutes")
    answer = world.api("lead").recv_message(type="RESPONSE")
    assert answer is not None and (answer["from"], answer["subject"], answer["content"]) == (
        "bo",
        "build",
        "built in 3 minutes",
    )
    assert answer["payload"] == {"message_id": tid, "response": "built in 3 minutes", "request_id": "prop_abc"}
    with pytest.raises(ConflictError, match=f"message {tid} is already completed by bo"):
        world.api("cy").claim_message(tid)
    assert world.api("cy").recv_message() is None  # a completed task is not handed out


def test_release_returns_a_task_to_pending(world: World) -> None:
    crew(world)
    tid = task(world)
    world.api("ana").claim_message(tid)
    released = world.api("ana").release_message(tid)
    assert (released["status"], released["claimed_by"]) == ("pending", None)
    assert world.api("bo").claim_message(tid)["claimed_by"] == "bo"


def test_claim_refusals_write_nothing(world: World, clock: FixedClock) -> None:
    crew(world)
    world.member("outsider")
    note = world.api("lead").send_message("ana", "just a note", "crew")["id"]
    stale = task(world, "ana", ttl_seconds=10)
    mine = task(world, "ana")
    clock.advance(10)
    before = rows(world.services)
    cases: list[tuple[str, str, type[Exception], str]] = [
        ("ana", note, ValidationError, f"message {note} is a NOTICE; only TASK messages can be claimed"),
        ("ana", stale, ConflictError, f"message {stale} expired at 2026-01-01T12:00:10+00:00; expired messages cannot"),
        ("bo", mine, NotFoundError, f"message {mine} not found"),
        ("outsider", mine, NotFoundError, f"message {mine} not found"),
        ("ana", "msg_nothing", NotFoundError, "message msg_nothing not found"),
    ]
    for member, message_id, error, message in cases:
        with pytest.raises(error) as refused:
            world.api(member).claim_message(message_id)
        assert message in str(refused.value)
    with pytest.raises(ValidationError, match="timeout_seconds must be a whole number of seconds from 1 to 86400"):
        world.api("ana").claim_message(mine, 0)
    assert rows(world.services) == before


def test_recv_with_wait_wakes_when_a_message_arrives(world: World) -> None:
    crew(world)
    got: dict[str, Any] = {}

    def receive() -> None:
        started = time.monotonic()
        got["message"] = world.api("ana").recv_message(wait=30)
        got["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=receive)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    world.api("lead").send_message("ana", "wake up", "crew")
    thread.join(10)
    assert got["message"]["content"] == "wake up" and got["elapsed"] < 5


def test_recv_with_wait_gives_nothing_when_nothing_comes(world: World) -> None:
    crew(world)
    started = time.monotonic()
    assert world.api("ana").recv_message(wait=0.2) is None
    assert 0.2 <= time.monotonic() - started < 3


def test_a_new_proposal_sends_request_messages(world: World) -> None:
    crew(world)
    proposal = world.api("lead").create_proposal("crew", "Lunch?")
    for member in ("lead", "ana", "bo", "cy"):
        got = world.api(member).recv_message(type="REQUEST")
        assert got is not None and got["payload"]["proposal_id"] == proposal["id"]
