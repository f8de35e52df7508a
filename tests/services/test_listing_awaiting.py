"""Gate listing and "awaiting me" (SPEC §5, §9): what waits for a member's ballot, in one query, on both stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from accord.clock import FixedClock
from accord.domain.errors import NotFoundError, ValidationError
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group(
        "eng",
        {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {"veto": True}, "dan": {"advisory": True}},
    )
    world.group("ops", {"olga": {"kind": "human"}, "bob": {}})
    return world


@contextmanager
def counting(world: World) -> Iterator[list[str]]:
    """The SELECT statements run on the store while the block runs."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = world.services.ctx.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


def test_awaiting_me_lists_what_waits_for_my_ballot_soonest_deadline_first(team: World, clock: FixedClock) -> None:
    bob = team.api("bob")
    later = bob.create_proposal("eng", "Later", deadline_hours=5)["id"]
    sooner = bob.create_proposal("eng", "Sooner", deadline_hours=1)["id"]
    no_deadline = bob.create_proposal("eng", "Whenever")["id"]
    voted = bob.create_proposal("eng", "Voted")["id"]
    team.api("alice").cast_vote(voted, "yes")
    mine = team.api("alice").create_proposal("eng", "Alice's own", prevent_self_vote=True)["id"]
    gate = bob.gate_request("deploy api", {"v": 2}, group="eng", timeout_seconds=600)["id"]
    other = team.api("olga").create_proposal("ops", "Not alice's group")["id"]

    awaiting = team.api("alice").list_proposals(awaiting_me=True)
    assert ids(awaiting) == [gate, sooner, later, no_deadline]
    assert all(r["awaiting_me"] and r["eligible_voter"] and not r["voted"] for r in awaiting)
    assert {r["id"]: r["kind"] for r in awaiting}[gate] == "gate"
    listed = {r["id"]: r for r in team.api("alice").list_proposals()}
    assert other not in listed and set(listed) == {later, sooner, no_deadline, voted, mine, gate}
    assert listed[voted]["voted"] and not listed[voted]["awaiting_me"]
    assert not listed[mine]["eligible_voter"] and not listed[mine]["awaiting_me"]  # prevent_self_vote
    assert (listed[voted]["ballots"], listed[voted]["eligible"]) == (1, 3)  # dan is advisory: not counted
    assert listed[gate]["eligible"] == 2  # the requester is no gate voter, the advisory member not counted

    clock.advance(hours=2)  # `sooner`'s deadline passed: voting is closed, nothing waits for a ballot there
    assert ids(team.api("alice").list_proposals(awaiting_me=True)) == [later, no_deadline]
    assert team.api("alice").list_proposals(status="open", awaiting_me=True) == team.api("alice").list_proposals(
        awaiting_me=True
    )
    assert team.api("alice").list_proposals(status="finalized", awaiting_me=True) == []
    # The advisory member is asked too (its ballot is shown, never counted).
    assert later in ids(team.api("dan").list_proposals(awaiting_me=True))


def test_a_revote_asks_again_and_a_member_who_left_sees_nothing(team: World) -> None:
    bob = team.api("bob")
    pid = bob.create_proposal(
        "eng", "Which DB?", voting_type="single", options=["pg", "dynamo"], on_no_consensus=["discussion_round"]
    )["id"]
    for member, choice in (("alice", "pg"), ("bob", "dynamo"), ("carol", "abstain")):
        team.api(member).cast_vote(pid, choice)
    assert pid not in ids(team.api("alice").list_proposals(awaiting_me=True))
    assert bob.finalize_proposal(pid)["outcome"] == "revote"
    assert pid in ids(team.api("alice").list_proposals(awaiting_me=True))
    team.services.groups.remove_member(team.admin, "eng", "alice")
    assert team.api("alice").list_proposals(awaiting_me=True) == []
    assert team.api("alice").gate_list() == []


def test_awaiting_me_is_one_query_however_many_proposals(team: World) -> None:
    bob = team.api("bob")

    def selects(op: Callable[[], Any]) -> int:
        with counting(team) as seen:
            op()
        return len(seen)

    api = team.api("alice")
    bob.create_proposal("eng", "One")
    bob.gate_request("deploy 0", group="eng")
    few_proposals = selects(lambda: api.list_proposals(awaiting_me=True))
    few_gates = selects(lambda: api.gate_list(awaiting_me=True))
    for n in range(1, 25):
        bob.create_proposal("eng", f"Proposal {n}")
        bob.gate_request(f"deploy {n}", group="eng")
    assert len(api.list_proposals(awaiting_me=True)) == 50
    assert len(api.gate_list(awaiting_me=True)) == 25
    assert selects(lambda: api.list_proposals(awaiting_me=True)) == few_proposals
    assert selects(lambda: api.gate_list(awaiting_me=True)) == few_gates
    with counting(team) as seen:
        api.list_proposals(awaiting_me=True)
    assert sum("proposal_voters" in s for s in seen) == 1  # the summary query, not a read per proposal


def test_gates_are_listed_open_soonest_timeout_first_then_closed_newest_first(team: World, clock: FixedClock) -> None:
    bob = team.api("bob")
    slow = bob.gate_request("deploy api", {"version": "2.0"}, group="eng", timeout_seconds=3600)["id"]
    clock.advance(seconds=1)
    fast = bob.gate_request("merge docs", group="eng", timeout_seconds=60)["id"]
    clock.advance(seconds=1)
    approved = bob.gate_request("publish notes", group="eng", timeout_seconds=600)["id"]
    for member in ("alice", "carol"):
        team.api(member).gate_vote(approved, "yes")
    bob.gate_close(approved)
    clock.advance(seconds=60)  # `fast` timed out (not yet swept): it is closed, expired
    elsewhere = team.api("olga").gate_request("release ops", group="ops")["id"]

    alice = team.api("alice")
    open_ = alice.gate_list(status="open")
    assert ids(open_) == [slow]
    g = open_[0]
    assert (g["subject"], g["requester"], g["status"]) == ("deploy api", "bob", "pending")
    assert g["payload"] == {"version": "2.0"}
    assert g["awaiting_me"] and not g["voted"] and g["timeout_at"] and not g["closed"]
    closed = alice.gate_list(status="closed")
    assert ids(closed) == [approved, fast]
    assert [(c["status"], c["closed"]) for c in closed] == [("approved", True), ("expired", True)]
    assert ids(alice.gate_list()) == [approved, fast, slow]  # newest first without a status
    assert ids(alice.gate_list(awaiting_me=True)) == [slow]
    team.api("alice").gate_vote(slow, "no")
    assert alice.gate_list(awaiting_me=True) == []
    assert alice.gate_list(status="open")[0]["voted"] is True
    assert ids(bob.gate_list(group="ops")) == [elsewhere]
    assert bob.gate_list(group="ops", awaiting_me=True)[0]["awaiting_me"]
    assert ids(team.api("admin").gate_list(status="open")) == [slow, elsewhere]  # an administrator sees all
    assert team.api("admin").gate_list(awaiting_me=True) == []  # ... but votes nowhere


def test_listing_refusals(team: World) -> None:
    alice = team.api("alice")
    with pytest.raises(ValidationError, match=r"^status 'pending' is not allowed: use open or closed$"):
        alice.gate_list(status="pending")
    with pytest.raises(ValidationError, match=r"^limit must be 1-500, got 0$"):
        alice.gate_list(limit=0)
    with pytest.raises(ValidationError, match=r"^limit must be 1-500, got 501$"):
        alice.list_proposals(limit=501, awaiting_me=True)
    with pytest.raises(NotFoundError, match=r"^group ops not found$"):
        alice.gate_list(group="ops")
    with pytest.raises(NotFoundError, match=r"^group nowhere not found$"):
        alice.list_proposals(group="nowhere", awaiting_me=True)
