"""Fan-out (SPEC §8 rev. 2): waiters on one thing share one read and one encoding, each checked on its own."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from accord.domain.errors import AuthError, NotFoundError
from accord.services.fanout import Shared
from tests.services.test_gates import team
from tests.support import World


def crew(world: World) -> str:
    return world.group("crew", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}, "dave": {}})


async def settle(world: World, key: str, waiters: int) -> None:
    """Until `waiters` callers are parked on `key`'s shared watch (no sleeping on a guess)."""
    boards = [world.services.proposals.waits, world.services.gates.waits]
    for _ in range(2000):
        if any(w.waiters >= waiters for b in boards for (_, k), w in b._watches.items() if k == key):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{waiters} waiters never parked on {key}")


def test_proposal_waiters_share_one_answer_and_a_member_removed_meanwhile_is_refused(world: World) -> None:
    crew(world)
    pid = world.api("alice").create_proposal("crew", "Ship it?")["id"]
    members = {name: world.api(name).actor for name in ("bob", "carol", "dave")}

    async def scenario() -> dict[str, Shared | BaseException]:
        waits = {
            name: asyncio.create_task(world.services.proposals.wait_shared(actor, pid, 30))
            for name, actor in members.items()
        }
        await settle(world, pid, 3)
        await asyncio.to_thread(world.services.groups.remove_member, world.admin, "crew", "carol")
        await asyncio.to_thread(world.api("alice").finalize_proposal, pid, None, True, "ship now")
        done = await asyncio.gather(*waits.values(), return_exceptions=True)
        return dict(zip(waits, done, strict=True))

    got = asyncio.run(scenario())
    bob, carol, dave = got["bob"], got["carol"], got["dave"]
    assert isinstance(bob, Shared) and isinstance(dave, Shared)
    assert bob is dave  # one read, one encoding, handed to both
    assert bob.body == dave.body and json.loads(bob.body) == bob.view
    assert (bob.view["status"], bob.view["timed_out"]) == ("finalized", False)
    assert bob.view == {**world.api("bob").get_proposal(pid), "timed_out": False}
    assert isinstance(carol, NotFoundError) and carol.message == f"proposal {pid} not found"


def test_a_waiter_timed_out_gets_its_own_read_and_the_next_decision_is_read_afresh(world: World) -> None:
    crew(world)
    pid = world.api("alice").create_proposal("crew", "Ship it?")["id"]
    bob = world.api("bob").actor

    async def scenario() -> tuple[Shared, Shared]:
        timed_out = await world.services.proposals.wait_shared(bob, pid, 0.05)
        waiter = asyncio.create_task(world.services.proposals.wait_shared(bob, pid, 30))
        await settle(world, pid, 1)
        await asyncio.to_thread(world.api("alice").cast_vote, pid, "yes")  # an event that decides nothing
        await asyncio.sleep(0.1)
        assert not waiter.done()
        await asyncio.to_thread(world.api("alice").finalize_proposal, pid, None, True, "enough")
        return timed_out, await asyncio.wait_for(waiter, 10)

    timed_out, decided = asyncio.run(scenario())
    assert (timed_out.view["status"], timed_out.view["timed_out"]) == ("open", True)
    assert (decided.view["status"], decided.view["votes"][0]["voter"]) == ("finalized", "alice")
    assert world.services.proposals.waits._watches == {}  # nothing left behind


def test_gate_waiters_share_the_decision_but_the_requester_closes_it_and_a_removed_member_is_refused(
    world: World,
) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    names = ("core-development", "qa-team", "security-team")
    actors = {name: world.api(name).actor for name in names}

    async def scenario() -> dict[str, Any]:
        waits = {
            name: asyncio.create_task(world.services.gates.wait_shared(actor, "commit-gate", 30, "swarm"))
            for name, actor in actors.items()
        }
        await settle(world, g["id"], 3)
        await asyncio.to_thread(world.api("qa-team").gate_vote, g["id"], "yes")
        await asyncio.sleep(0.1)
        assert not any(w.done() for w in waits.values())  # one yes of two: still pending for everyone
        await asyncio.to_thread(world.services.groups.remove_member, world.admin, "swarm", "qa-team")
        await asyncio.to_thread(world.api("security-team").gate_vote, g["id"], "yes")
        done = await asyncio.gather(*waits.values(), return_exceptions=True)
        return dict(zip(waits, done, strict=True))

    got = asyncio.run(scenario())
    mine, qa, security = got["core-development"], got["qa-team"], got["security-team"]
    assert isinstance(mine, Shared) and isinstance(security, Shared)
    # The requester's own read closes the approved gate and makes it actionable for it alone.
    assert (mine.view["status"], mine.view["closed"], mine.view["actionable"]) == ("approved", True, True)
    assert (security.view["status"], security.view["actionable"], security.view["receipt"]) == ("approved", False, None)
    assert isinstance(qa, NotFoundError) and qa.message == f"gate request {g['id']} not found"


def test_the_event_stream_shares_each_event_and_stops_showing_a_group_the_caller_left(world: World) -> None:
    crew(world)
    world.group("ops", {"olga": {}})
    pid = world.api("alice").create_proposal("crew", "Ship it?")["id"]
    start = world.services.events.since(world.admin, 0, 500, latest=True)[-1]["id"]
    encode_calls: list[int] = []

    def encode(event: dict[str, Any]) -> bytes:
        encode_calls.append(event["id"])
        return json.dumps(event).encode()

    async def follow(name: str, until: str, seen: list[dict[str, Any]]) -> None:
        async for _, message in world.services.events.stream(world.api(name).actor, start, encode, 0.05):
            if message is not None:
                seen.append(json.loads(message))
                if seen[-1]["type"] == until:
                    return

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        bob: list[dict[str, Any]] = []
        dave: list[dict[str, Any]] = []
        streams = [
            asyncio.create_task(follow("bob", "never", bob)),
            asyncio.create_task(follow("dave", "proposal.forced", dave)),
        ]
        await asyncio.sleep(0.3)
        await asyncio.to_thread(world.api("carol").cast_vote, pid, "yes")
        await asyncio.to_thread(world.services.groups.remove_member, world.admin, "crew", "bob")
        await asyncio.to_thread(world.api("dave").cast_vote, pid, "no")
        await asyncio.to_thread(world.api("alice").finalize_proposal, pid, None, True, "done")
        await asyncio.wait_for(streams[1], 10)
        streams[0].cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        return bob, dave

    bob, dave = asyncio.run(scenario())
    kinds = [e["type"] for e in dave]
    assert kinds.index("vote.cast") < kinds.index("group.member_removed") < kinds.index("proposal.forced")
    assert [e["data"].get("voter") for e in dave if e["type"] == "vote.cast"] == ["carol", "dave"]
    # bob saw carol's vote, then nothing more of the group he left (not even his removal, as a read after it).
    assert [e["type"] for e in bob] == ["vote.cast"]
    assert len(encode_calls) == len(set(encode_calls))  # each event encoded once for both streams
    assert all(e["group"] != "ops" for e in bob + dave)


@pytest.mark.parametrize("timeout", [-1, 3601])
def test_a_bad_timeout_is_refused_before_any_wait(world: World, timeout: float) -> None:
    crew(world)
    pid = world.api("alice").create_proposal("crew", "Ship it?")["id"]
    with pytest.raises(Exception, match="timeout must be 0-3600 seconds"):
        asyncio.run(world.services.proposals.wait_shared(world.api("bob").actor, pid, timeout))


def test_a_shared_waiter_ends_on_its_own_revocation_or_removal_while_the_others_keep_waiting(world: World) -> None:
    crew(world)
    pid = world.api("alice").create_proposal("crew", "Ship it?")["id"]
    members = {name: world.api(name).actor for name in ("bob", "carol", "dave")}

    async def scenario() -> dict[str, Any]:
        waits = {
            name: asyncio.create_task(world.services.proposals.wait_shared(actor, pid, 30))
            for name, actor in members.items()
        }
        await settle(world, pid, 3)
        start = asyncio.get_running_loop().time()
        await asyncio.to_thread(world.services.tokens.revoke, world.admin, "bob")
        await asyncio.to_thread(world.services.groups.remove_member, world.admin, "crew", "carol")
        ended = await asyncio.wait_for(asyncio.gather(waits["bob"], waits["carol"], return_exceptions=True), 5)
        took = asyncio.get_running_loop().time() - start
        assert not waits["dave"].done()  # nothing decided: the others still wait, on the same watch
        await asyncio.to_thread(world.api("alice").finalize_proposal, pid, None, True, "ship now")
        return {"bob": ended[0], "carol": ended[1], "dave": await asyncio.wait_for(waits["dave"], 10), "took": took}

    got = asyncio.run(scenario())
    assert got["took"] < 1.0  # each hold ends within a second, with no decision
    assert isinstance(got["bob"], AuthError) and got["bob"].message.startswith("token revoked")
    assert isinstance(got["carol"], NotFoundError) and got["carol"].message == f"proposal {pid} not found"
    assert isinstance(got["dave"], Shared) and got["dave"].view["status"] == "finalized"
    assert world.services.proposals.waits._watches == {}
