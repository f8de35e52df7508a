"""Consensus-gated checkpoints: the linked approval proposal opens with the checkpoint and must pass."""

from __future__ import annotations

from typing import Any

import pytest

from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from tests.milestone_support import chain, refused, store_counts
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group(
        "platform-team",
        {"deployer": {}, "helper": {}, "alice": {"kind": "human", "role": "owner"}, "bob": {"kind": "human"}},
    )
    world.group("humans", {"alice": {"kind": "human"}, "bob": {"kind": "human"}, "deployer": {"advisory": True}})
    return world


def release(team: World, consensus: Any = True) -> dict[str, Any]:
    checkpoints = chain("Code complete", "Tests passing", "Security review", "Deploy to production")
    checkpoints[3]["requires_consensus"] = consensus
    return team.api("deployer").create_milestone("Release v2.0", checkpoints, group="platform-team")


def test_consensus_checkpoint_opens_its_proposal_with_the_milestone(team: World) -> None:
    m = release(team)
    cp = m["checkpoints"][3]
    assert cp["requires_consensus"] is True and cp["proposal_id"].startswith("prop_")
    assert cp["consensus"] == {
        "proposal_id": cp["proposal_id"],
        "group": "platform-team",
        "min_human_approvals": 0,
        "proposal_status": "open",
        "outcome": None,
        "state": "pending",
    }
    p = team.api("alice").get_proposal(cp["proposal_id"])
    assert p["title"] == "Approve checkpoint: Deploy to production"
    assert (p["voting_type"], p["threshold_type"], p["group"]) == ("yes_no", "majority", "platform-team")
    assert p["created_by"] == "deployer" and p["prevent_self_vote"] is True
    assert sorted(v["member"] for v in p["eligible_voters"]) == ["alice", "bob", "helper"]
    types = [e["type"] for e in team.services.events.audit(team.admin)]
    assert types.index("proposal.created") < types.index("milestone.created")


def test_seed000_human_in_the_loop(team: World) -> None:
    m = release(team)
    agent = team.api("deployer")
    for order in (1, 2, 3):
        agent.complete_checkpoint(m["id"], order)
    view = agent.get_milestone(m["id"])
    assert view["checkpoints"][3]["status"] == "awaiting_consensus" and view["ready"] == []
    pid = view["checkpoints"][3]["proposal_id"]
    refused(
        team,
        lambda: agent.complete_checkpoint(m["id"], 4),
        ConflictError,
        f"consensus proposal {pid} is not yet approved",
        milestones=[m["id"]],
    )
    team.api("alice").cast_vote(pid, "yes", comment="staging looks good")
    team.api("bob").cast_vote(pid, "yes")
    # Voted yes but not finalized: still locked.
    refused(team, lambda: agent.complete_checkpoint(m["id"], 4), ConflictError, "is not yet approved")
    finalized = team.api("alice").finalize_proposal(pid)
    assert finalized["threshold_met"] is True and finalized["outcome"] == "passed"
    assert agent.get_milestone(m["id"])["checkpoints"][3]["status"] == "ready"
    done = agent.complete_checkpoint(m["id"], 4)
    assert done["milestone_closed"] is True and done["checkpoint"]["consensus"]["state"] == "passed"


def test_the_creator_cannot_approve_its_own_step(team: World) -> None:
    m = release(team)
    pid = m["checkpoints"][3]["proposal_id"]
    with pytest.raises(ForbiddenError, match="deployer is not an eligible voter"):
        team.api("deployer").cast_vote(pid, "yes")


def test_a_rejected_proposal_blocks_the_checkpoint(team: World) -> None:
    m = release(team)
    agent = team.api("deployer")
    for order in (1, 2, 3):
        agent.complete_checkpoint(m["id"], order)
    pid = m["checkpoints"][3]["proposal_id"]
    for voter in ("alice", "bob", "helper"):
        team.api(voter).cast_vote(pid, "no")
    assert team.api("alice").finalize_proposal(pid)["outcome"] == "rejected"
    refused(
        team,
        lambda: agent.complete_checkpoint(m["id"], 4),
        ConflictError,
        f"consensus proposal {pid} was rejected",
        milestones=[m["id"]],
    )
    cp = agent.get_milestone(m["id"])["checkpoints"][3]
    assert cp["status"] == "blocked" and cp["blocked_by"] == [pid]


def test_a_cancelled_proposal_blocks_the_checkpoint(team: World) -> None:
    m = release(team)
    pid = m["checkpoints"][3]["proposal_id"]
    team.api("deployer").cancel_proposal(pid)
    for order in (1, 2, 3):
        team.api("deployer").complete_checkpoint(m["id"], order)
    refused(
        team,
        lambda: team.api("helper").complete_checkpoint(m["id"], 4),
        ConflictError,
        f"consensus proposal {pid} was cancelled",
    )


def test_dependencies_are_checked_before_the_approval(team: World) -> None:
    m = release(team)
    refused(
        team, lambda: team.api("deployer").complete_checkpoint(m["id"], 4), ConflictError, "depends on checkpoint 3"
    )


def test_requires_consensus_object_picks_the_humans_group_and_rule(team: World) -> None:
    m = release(team, {"group": "humans", "threshold_type": "unanimous"})
    cp = m["checkpoints"][3]
    assert cp["consensus"]["group"] == "humans"
    p = team.api("alice").get_proposal(cp["proposal_id"])
    assert (p["group"], p["threshold_type"]) == ("humans", "unanimous")
    assert sorted(v["member"] for v in p["eligible_voters"]) == ["alice", "bob"]  # the creator is left out
    agent = team.api("deployer")
    for order in (1, 2, 3):
        agent.complete_checkpoint(m["id"], order)
    team.api("alice").cast_vote(p["id"], "yes")
    team.api("bob").cast_vote(p["id"], "yes")
    team.api("bob").finalize_proposal(p["id"])
    assert agent.complete_checkpoint(m["id"], 4)["milestone_closed"] is True


def test_bad_consensus_rules_are_refused_before_anything_is_written(team: World) -> None:
    counts = store_counts(team)
    cases: list[tuple[Any, type[Exception], str]] = [
        ({"group": "nowhere"}, NotFoundError, "checkpoint 4 requires_consensus: group nowhere not found"),
        ({"threshold_type": "most"}, ValidationError, "threshold_type 'most' is not allowed"),
        ({"voting_type": "ranked"}, ValidationError, "requires_consensus does not take voting_type"),
        ({"min_votes": "two"}, ValidationError, "requires_consensus min_votes has the wrong type"),
        ("yes", ValidationError, "requires_consensus must be true, false, or an object"),
    ]
    for rule, error, message in cases:
        with pytest.raises(error, match=message):
            release(team, rule)
    assert store_counts(team) == counts


def test_deleting_a_consensus_checkpoint_cancels_its_proposal(team: World) -> None:
    m = release(team)
    pid = m["checkpoints"][3]["proposal_id"]
    refused(
        team,
        lambda: team.api("helper").delete_checkpoint(m["id"], 4),
        ForbiddenError,
        f"helper may not cancel {pid}: only its creator or a group owner/admin may",
        milestones=[m["id"]],
    )
    result = team.api("deployer").delete_checkpoint(m["id"], 4)
    assert result["cancelled_proposal"] == pid and result["progress"] == {"completed": 0, "total": 3}
    assert team.api("alice").get_proposal(pid)["status"] == "cancelled"
    types = [e["type"] for e in team.services.events.audit(team.admin)]
    assert types[-2:] == ["proposal.cancelled", "checkpoint.deleted"]


def test_adding_a_consensus_checkpoint_opens_its_proposal(team: World) -> None:
    m = team.api("deployer").create_milestone("M", chain("build"), group="platform-team")
    added = team.api("helper").add_checkpoint(m["id"], "Ship it", depends_on=[1], requires_consensus=True)
    cp = added["checkpoint"]
    assert cp["order"] == 2 and cp["status"] == "blocked" and cp["proposal_id"]
    p = team.api("alice").get_proposal(cp["proposal_id"])
    assert p["created_by"] == "helper" and p["title"] == "Approve checkpoint: Ship it"


def test_a_long_title_fits_the_proposal(team: World) -> None:
    title = "x" * 200
    m = team.api("deployer").create_milestone(
        "M", [{"title": title, "requires_consensus": True}], group="platform-team"
    )
    p = team.api("alice").get_proposal(m["checkpoints"][0]["proposal_id"])
    assert len(p["title"]) == 200 and p["title"].endswith("…")
