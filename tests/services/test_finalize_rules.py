"""Who may finalize, and when (SPEC §2.5 rev. 2), on SQLite and PostgreSQL: closable, settled, forced."""

from __future__ import annotations

from typing import Any

import pytest

from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ForbiddenError, ValidationError
from tests.support import World


def deploy_team(world: World) -> None:
    """Five agents and a human owner who does not vote (advisory)."""
    world.group(
        "prod",
        {
            **{f"a{i}": {} for i in range(1, 6)},
            "olivia": {"kind": "human", "role": "owner", "advisory": True},
        },
    )


def events(world: World, pid: str) -> list[str]:
    return [e["type"] for e in world.api("admin").audit(pid)]


def test_the_lone_agent_deploy_is_refused_at_finalize(world: World) -> None:
    """Issue 10, situation 1: one yes of five under two_thirds was `passed` at 20% participation."""
    deploy_team(world)
    a1 = world.api("a1")
    p = a1.create_proposal("prod", "Deploy v2.0 to production?", threshold_type="two_thirds")
    a1.cast_vote(p["id"], "yes")
    with pytest.raises(ConflictError) as refused:
        a1.finalize_proposal(p["id"])
    assert refused.value.message == (
        f"proposal {p['id']} cannot be finalized yet: 4 of 5 eligible voters have not voted and could change the "
        "outcome; it can be finalized when they have voted, after the deadline, or once the outcome is settled"
    )
    assert refused.value.details["missing"] == ["a2", "a3", "a4", "a5"]
    view = a1.get_proposal(p["id"])
    assert view["status"] == "open" and view["finalize"]["closable"] is False
    assert "proposal.finalized" not in events(world, p["id"])


def test_a_settled_outcome_may_be_finalized_by_any_eligible_voter(world: World) -> None:
    deploy_team(world)
    p = world.api("a1").create_proposal("prod", "Deploy v2.0 to production?", threshold_type="two_thirds")
    for name in ("a1", "a2", "a3"):
        world.api(name).cast_vote(p["id"], "yes")
    assert world.api("a4").get_proposal(p["id"])["finalize"]["closable"] is False  # 3 of 5 < 2/3 if two say no
    world.api("a4").cast_vote(p["id"], "yes")
    view = world.api("a5").get_proposal(p["id"])
    assert view["finalize"] == {
        "closable": True,
        "because": "settled",
        "missing": ["a5"],
        "settled": {"settled": True, "outcome": "passed", "result": "yes", "exact": True},
        "text": "settled as passed (yes): the 1 voter(s) still missing cannot change the outcome, so it can be "
        "finalized now",
    }
    done = world.api("a2").finalize_proposal(p["id"])
    assert (done["status"], done["outcome"], done["resolution"]) == ("finalized", "passed", {"method": "vote"})
    assert done["participation"] == 0.8


def test_after_the_deadline_any_outcome_may_be_finalized(world: World, clock: FixedClock) -> None:
    deploy_team(world)
    p = world.api("a1").create_proposal("prod", "Deploy?", threshold_type="two_thirds", deadline_hours=2)
    world.api("a1").cast_vote(p["id"], "yes")
    clock.advance(hours=2)
    assert world.api("a3").get_proposal(p["id"])["finalize"]["because"] == "deadline_passed"
    assert world.api("a3").finalize_proposal(p["id"])["outcome"] == "passed"  # seed 000: manual finalization


def test_force_is_for_owners_with_a_rationale_and_fails_closed(world: World) -> None:
    deploy_team(world)
    p = world.api("a1").create_proposal("prod", "Deploy?", threshold_type="two_thirds")
    world.api("a1").cast_vote(p["id"], "yes")
    before = world.api("admin").get_proposal(p["id"], history=True)
    with pytest.raises(ValidationError, match=r"^rationale is required with force$"):
        world.api("olivia").finalize_proposal(p["id"], force=True)
    with pytest.raises(ForbiddenError) as forbidden:
        world.api("a1").finalize_proposal(p["id"], force=True, rationale="I am sure")
    assert forbidden.value.message == f"a1 may not force {p['id']}: only group owners/admins may"
    with pytest.raises(ValidationError, match="rationale is given with force only"):
        world.api("a1").finalize_proposal(p["id"], rationale="no force")
    assert world.api("admin").get_proposal(p["id"], history=True) == before
    forced = world.api("olivia").finalize_proposal(p["id"], force=True, rationale="Release window closes")
    assert (forced["status"], forced["outcome"], forced["result"], forced["threshold_met"]) == (
        "finalized",
        "rejected",
        "no",
        False,
    )
    resolution = forced["resolution"]
    assert (resolution["method"], resolution["rationale"], resolution["by"]) == (
        "forced",
        "Release window closes",
        "olivia",
    )
    assert (resolution["settled"], resolution["vote_outcome"]) == (False, "passed")  # 1 yes: passing as it stands
    assert events(world, p["id"])[-1] == "proposal.forced" and "proposal.finalized" not in events(world, p["id"])
    record = world.api("a2").get_decision_record(p["id"])
    assert record["resolution"]["method"] == "forced"
    assert (
        "### Resolution Method\nForced - olivia\nRelease window closes\n(not settled with 4 voter(s) missing"
        in (record["markdown"])
    )


def test_a_forced_finalize_passes_what_is_settled_as_passed(world: World) -> None:
    deploy_team(world)
    p = world.api("a1").create_proposal("prod", "Deploy?")
    for name in ("a1", "a2", "a3"):
        world.api(name).cast_vote(p["id"], "yes")
    forced = world.api("olivia").finalize_proposal(p["id"], force=True, rationale="settled anyway")
    assert (forced["outcome"], forced["result"], forced["resolution"]["settled_outcome"]) == ("passed", "yes", "passed")


def test_force_keeps_a_standing_veto_and_skips_the_re_vote(world: World) -> None:
    world.group("prod", {"a1": {}, "a2": {}, "sec": {"veto": True}, "boss": {"role": "admin"}})
    vetoed = world.api("a1").create_proposal("prod", "Deploy?", on_no_consensus=["discussion_round"])
    world.api("sec").cast_vote(vetoed["id"], "no")
    assert world.api("boss").finalize_proposal(vetoed["id"], force=True, rationale="r")["outcome"] == "vetoed"
    single = world.api("a1").create_proposal(
        "prod", "Cache?", voting_type="single", options=["Redis", "Valkey"], on_no_consensus=["discussion_round"]
    )
    world.api("a1").cast_vote(single["id"], "Redis")
    done = world.api("boss").finalize_proposal(single["id"], force=True, rationale="no time for a re-vote")
    assert (done["status"], done["outcome"], done["round"]) == ("finalized", "no_consensus", 1)


def test_a_forced_critical_unanimity_still_goes_to_a_human(world: World) -> None:
    world.group(
        "prod",
        {"a1": {}, "a2": {}, "a3": {}, "a4": {}, "lead": {"kind": "human", "role": "owner", "advisory": True}},
    )
    p = world.api("a1").create_proposal("prod", "Drop the table?", critical=True)
    for name in ("a1", "a2", "a3"):
        world.api(name).cast_vote(p["id"], "yes")
    forced = world.api("lead").finalize_proposal(p["id"], force=True, rationale="all agree")
    assert (forced["status"], forced["warnings"]) == ("escalated", ["unanimous_requires_scrutiny"])
    assert forced["resolution"]["forced"] is True and forced["resolution"]["rationale"] == "all agree"
    with pytest.raises(ConflictError) as refused:
        world.api("lead").finalize_proposal(p["id"], force=True, rationale="again")
    assert refused.value.message == (
        f"proposal {p['id']} is escalated: a human owner/admin decides it with resolve_proposal"
    )
    with pytest.raises(ConflictError, match="is escalated: a human owner/admin decides it with resolve_proposal"):
        world.api("a1").finalize_proposal(p["id"])


def escalated(world: World) -> dict[str, Any]:
    world.group(
        "prod",
        {
            "agent": {"role": "admin"},
            "a2": {},
            "a3": {},
            "a4": {},
            "lead": {"kind": "human", "role": "owner", "advisory": True},
            "hugo": {"kind": "human", "advisory": True},
        },
    )
    p = world.api("agent").create_proposal("prod", "Drop the table?", critical=True)
    for name in ("agent", "a2", "a3", "a4"):
        world.api(name).cast_vote(p["id"], "yes")
    assert world.api("agent").finalize_proposal(p["id"])["status"] == "escalated"
    return p


def test_an_agent_cannot_cancel_an_escalated_proposal(world: World) -> None:
    """Issue 10, item 6: the agent creator (even a group admin) cancelled a critical vote sent to humans."""
    p = escalated(world)
    for name in ("agent", "hugo"):  # the agent creator and admin; a human who is not an owner/admin
        with pytest.raises(ForbiddenError) as refused:
            world.api(name).cancel_proposal(p["id"])
        assert refused.value.message == (
            f"{name} may not cancel {p['id']}: an escalated proposal is cancelled only by a human owner/admin"
        )
    assert world.api("lead").get_proposal(p["id"])["status"] == "escalated"
    assert world.api("lead").cancel_proposal(p["id"])["status"] == "cancelled"


def test_a_store_administrator_may_cancel_an_escalated_proposal(world: World) -> None:
    p = escalated(world)
    assert world.api("admin").cancel_proposal(p["id"])["status"] == "cancelled"


def test_min_votes_beyond_the_counted_voters_is_refused_at_creation(world: World) -> None:
    world.group("prod", {"a1": {}, "a2": {}, "adv": {"advisory": True}})
    with pytest.raises(ValidationError) as refused:
        world.api("a1").create_proposal("prod", "Q?", min_votes=3)
    assert refused.value.message == "min_votes 3 exceeds the 2 counted voters of prod"
    assert world.api("a1").list_proposals() == []
