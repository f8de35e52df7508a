"""Consensus checkpoints that can pass (SPEC §3 rev. 2): their voters, humans, refusals, asking again."""

from __future__ import annotations

from typing import Any

import pytest

from accord.domain.errors import ConflictError, ValidationError
from tests.milestone_support import refused, store_counts
from tests.support import World


def team(world: World) -> World:
    world.group("team", {"req": {}, "b": {}, "c": {}, "d": {}})
    return world


def one_step(world: World, consensus: Any = True, group: str = "team") -> dict[str, Any]:
    cp = {"title": "Deploy to production", "requires_consensus": consensus}
    return world.api("req").create_milestone("Release", [cp], group=group)


def test_the_checkpoint_needs_its_voters(world: World) -> None:
    """Issue 10, situation 2: one other agent's yes and the requester's finalize unlocked it, 1 of 3 voters."""
    team(world)
    m = one_step(world)
    pid = m["checkpoints"][0]["proposal_id"]
    world.api("b").cast_vote(pid, "yes")
    with pytest.raises(ConflictError, match="cannot be finalized yet: 2 of 3 eligible voters have not voted"):
        world.api("req").finalize_proposal(pid)
    with pytest.raises(ConflictError, match=f"consensus proposal {pid} is not yet approved"):
        world.api("req").complete_checkpoint(m["id"], 1)
    world.api("c").cast_vote(pid, "yes")  # 2 of 3 under majority: settled
    assert world.api("req").finalize_proposal(pid)["outcome"] == "passed"
    assert world.api("req").complete_checkpoint(m["id"], 1)["checkpoint"]["status"] == "completed"


def test_with_min_human_approvals_the_checkpoint_needs_a_human(world: World) -> None:
    world.group("team", {"req": {}, "b": {}, "c": {}, "hana": {"kind": "human"}})
    m = one_step(world, {"min_human_approvals": 1})
    pid = m["checkpoints"][0]["proposal_id"]
    assert m["checkpoints"][0]["consensus"]["min_human_approvals"] == 1
    p = world.api("hana").get_proposal(pid)
    assert (p["min_human_approvals"], p["human_approvals"]["text"]) == (1, "needs 1 human approval: 0 so far")
    world.api("b").cast_vote(pid, "yes")
    world.api("c").cast_vote(pid, "yes")
    with pytest.raises(ConflictError, match="cannot be finalized yet: 1 of 3 eligible voters"):
        world.api("req").finalize_proposal(pid)  # agents alone never pass it
    world.api("hana").cast_vote(pid, "yes")
    assert world.api("req").finalize_proposal(pid)["outcome"] == "passed"
    assert world.api("b").complete_checkpoint(m["id"], 1)["checkpoint"]["status"] == "completed"


def test_too_few_humans_is_refused_when_created_or_added(world: World) -> None:
    team(world)
    counts = store_counts(world)
    with pytest.raises(ValidationError) as caught:
        one_step(world, {"min_human_approvals": 1})
    assert caught.value.message == "team has 0 eligible human voter(s) besides req; 1 human approvals are required"
    assert store_counts(world) == counts
    m = world.api("req").create_milestone("Release", ["build"], group="team")
    refused(
        world,
        lambda: world.api("req").add_checkpoint(m["id"], "Ship", requires_consensus={"min_human_approvals": 2}),
        ValidationError,
        "team has 0 eligible human voter(s) besides req; 2 human approvals are required",
        milestones=[m["id"]],
    )


def test_a_solo_group_consensus_checkpoint_is_refused_at_creation(world: World) -> None:
    """Issue 10, situation 4: a group with no one but the creator accepted a checkpoint that can never pass."""
    world.group("solo", {"req": {}, "adv": {"advisory": True}})
    counts = store_counts(world)
    with pytest.raises(ValidationError) as caught:
        one_step(world, group="solo")
    assert caught.value.message == (
        "group solo has no one but req who could approve checkpoint 1 (advisory members are not counted)"
    )
    assert store_counts(world) == counts
    m = world.api("req").create_milestone("Solo", ["build", "test"], group="solo")
    refused(
        world,
        lambda: world.api("req").add_checkpoint(m["id"], "Ship", position=2, requires_consensus=True),
        ValidationError,
        "group solo has no one but req who could approve checkpoint 2 (advisory members are not counted)",
        milestones=[m["id"]],
    )


def test_another_voting_group_is_judged_without_the_creator(world: World) -> None:
    team(world)
    world.group("approvers", {"req": {}, "adv": {"advisory": True}})
    with pytest.raises(ValidationError, match="group approvers has no one but req who could approve checkpoint 1"):
        one_step(world, {"group": "approvers"})


def rejected_step(world: World) -> tuple[dict[str, Any], str]:
    team(world)
    m = one_step(world)
    pid = m["checkpoints"][0]["proposal_id"]
    for name in ("b", "c", "d"):
        world.api(name).cast_vote(pid, "no")
    assert world.api("b").finalize_proposal(pid)["outcome"] == "rejected"
    return m, pid


def test_asking_again_after_a_rejection_opens_a_new_linked_proposal(world: World) -> None:
    m, old = rejected_step(world)
    with pytest.raises(ConflictError) as caught:
        world.api("req").complete_checkpoint(m["id"], 1)
    assert caught.value.message == (
        f"consensus proposal {old} was rejected: ask again with accord milestone request-approval {m['id']} 1"
    )
    asked = world.api("c").request_checkpoint_approval(m["id"], 1)  # any group member may ask
    new = asked["proposal_id"]
    assert new != old and asked["previous_proposal_id"] == old
    assert asked["checkpoint"]["proposal_id"] == new and asked["checkpoint"]["status"] == "awaiting_consensus"
    p = world.api("b").get_proposal(new)
    assert (p["created_by"], p["prevent_self_vote"], p["title"]) == (
        "req",
        True,
        "Approve checkpoint: Deploy to production",
    )
    assert sorted(v["member"] for v in p["eligible_voters"]) == ["b", "c", "d"]
    assert world.api("b").get_proposal(old)["status"] == "finalized"  # the old one stays in the record
    [event] = [e for e in world.api("admin").audit(m["id"]) if e["type"] == "checkpoint.approval_requested"]
    assert (event["actor"], event["data"]["proposal_id"], event["data"]["previous_proposal_id"]) == ("c", new, old)
    with pytest.raises(ConflictError) as caught:
        world.api("b").request_checkpoint_approval(m["id"], 1)
    assert caught.value.message == f"checkpoint 1 of {m['id']} has an open proposal {new}"
    for name in ("b", "c"):
        world.api(name).cast_vote(new, "yes")
    world.api("d").finalize_proposal(new)
    assert world.api("req").complete_checkpoint(m["id"], 1)["checkpoint"]["status"] == "completed"
    with pytest.raises(ConflictError) as caught:
        world.api("b").request_checkpoint_approval(m["id"], 1)
    assert caught.value.message == f"checkpoint 1 of {m['id']} is already approved by {new}"


def test_asking_again_after_a_cancellation(world: World) -> None:
    team(world)
    m = one_step(world)
    old = m["checkpoints"][0]["proposal_id"]
    world.api("req").cancel_proposal(old)
    with pytest.raises(ConflictError, match=f"consensus proposal {old} was cancelled: ask again with accord"):
        world.api("req").complete_checkpoint(m["id"], 1)
    assert world.api("d").request_checkpoint_approval(m["id"], 1)["proposal_id"] != old


def test_asking_again_is_refused_without_consensus_or_voters(world: World) -> None:
    m, _ = rejected_step(world)
    plain = world.api("req").add_checkpoint(m["id"], "Docs")
    with pytest.raises(ConflictError, match=f"checkpoint 2 of {m['id']} does not require consensus"):
        world.api("req").request_checkpoint_approval(m["id"], plain["checkpoint"]["order"])
    for name in ("b", "c", "d"):
        world.services.groups.remove_member(world.admin, "team", name)
    refused(
        world,
        lambda: world.api("req").request_checkpoint_approval(m["id"], 1),
        ValidationError,
        "group team has no one but req who could approve checkpoint 1 (advisory members are not counted)",
        milestones=[m["id"]],
    )
