"""The vote path under concurrency (group commit on SQLite, row locks on PostgreSQL) and its token check."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from accord.bootstrap import Services
from accord.domain.errors import AuthError, ForbiddenError, NotFoundError
from tests.support import World


def in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call at once, each on its own thread; results (or the exception raised) in order."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def vote_events(world: World, proposal_id: str) -> list[dict[str, Any]]:
    return [e for e in world.api("admin").audit(proposal_id) if e["type"].startswith("vote.")]


def test_concurrent_voters_are_all_counted_once(world: World) -> None:
    voters = [f"v{i}" for i in range(12)]
    world.group("team", voters)
    pid = world.api("v0").create_proposal("team", "Ship?")["id"]
    apis = {v: world.api(v) for v in voters}
    results = in_threads([partial(apis[v].cast_vote, pid, "no" if v == "v5" else "yes") for v in voters])
    assert [r["voter"] for r in results] == voters and not any(r["replaced"] for r in results)
    view = world.api("v1").get_proposal(pid, history=True)
    assert view["tally"] == {"yes": 11, "no": 1}
    assert len(view["history"]) == 12
    assert sorted(e["data"]["voter"] for e in vote_events(world, pid)) == sorted(voters)
    assert {e["type"] for e in vote_events(world, pid)} == {"vote.cast"}


def test_one_voter_voting_concurrently_replaces_in_order(world: World) -> None:
    world.group("team", ["ana", "bo"])
    pid = world.api("bo").create_proposal("team", "Ship?")["id"]
    ana = world.api("ana")
    choices = ["yes", "no"] * 5
    results = in_threads([partial(ana.cast_vote, pid, c, comment=f"#{i}") for i, c in enumerate(choices)])
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r["replaced"] for r in results) == [False] + [True] * 9
    view = world.api("bo").get_proposal(pid, history=True)
    history = view["history"]
    assert len(history) == 10
    (current,) = view["votes"]
    assert (current["vote"], current["comment"]) == (history[-1]["vote"], history[-1]["comment"])
    types = [e["type"] for e in vote_events(world, pid)]
    assert types == ["vote.cast"] + ["vote.changed"] * 9
    assert [e["data"]["vote"] for e in vote_events(world, pid)] == [h["vote"] for h in history]


def test_vote_async_checks_the_token_in_the_votes_transaction(services: Services, world: World) -> None:
    world.group("team", ["ana", "bo"])
    pid = world.api("bo").create_proposal("team", "Ship?")["id"]
    token = world.tokens["ana"]
    cast = asyncio.run(services.proposals.vote_async(token, pid, "no", comment="risky", confidence="0.5"))
    assert cast.keys() == world.api("bo").cast_vote(pid, "yes").keys()
    fields = (cast["voter"], cast["vote"], cast["comment"], cast["confidence"], cast["replaced"], cast["round"])
    assert fields == ("ana", "no", "risky", 0.5, False, 1)

    before = world.api("admin").get_proposal(pid, history=True)
    services.tokens.revoke(world.admin, "ana")
    for bad, message in ((token, "token revoked"), (None, "missing token"), ("", "missing token")):
        with pytest.raises(AuthError, match=message):
            asyncio.run(services.proposals.vote_async(bad, pid, "yes"))
    assert world.api("admin").get_proposal(pid, history=True) == before


def test_vote_refusals_on_the_fast_path(world: World) -> None:
    world.group("team", ["ana", "bo"])
    world.group("other", ["cy"])
    pid = world.api("bo").create_proposal("team", "Ship?")["id"]
    before = world.api("admin").get_proposal(pid, history=True)
    with pytest.raises(NotFoundError, match=f"proposal {pid} not found"):
        world.api("cy").cast_vote(pid, "yes")
    with pytest.raises(NotFoundError, match="proposal prop_nope not found"):
        world.api("ana").cast_vote("prop_nope", "yes")
    # A store administrator sees every group's proposals but votes only where it was a member at opening.
    with pytest.raises(ForbiddenError, match=f"admin is not an eligible voter of {pid}"):
        world.api("admin").cast_vote(pid, "yes")
    assert world.api("admin").get_proposal(pid, history=True) == before
