"""min_human_approvals (SPEC §2.1, §2.3, §5 rev. 2) on proposals and gates, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from accord.domain.errors import ValidationError
from tests.support import World


def team(world: World) -> None:
    world.group(
        "prod",
        {
            "a1": {},
            "a2": {},
            "hana": {"kind": "human"},
            "hal": {"kind": "human", "advisory": True},  # advisory: never counted, not even as a human
        },
    )


def test_a_proposal_needs_its_human_approvals(world: World) -> None:
    team(world)
    p = world.api("a1").create_proposal("prod", "Deploy?", min_human_approvals=1)
    assert p["min_human_approvals"] == 1
    assert p["human_approvals"] == {
        "required": 1,
        "so_far": 0,
        "met": False,
        "text": "needs 1 human approval: 0 so far",
    }
    world.api("a1").cast_vote(p["id"], "yes")
    world.api("a2").cast_vote(p["id"], "yes")
    world.api("hal").cast_vote(p["id"], "yes")  # advisory
    view = world.api("a1").get_proposal(p["id"])
    assert (view["outcome"], view["threshold_met"], view["result"]) == ("no_quorum", False, "no")
    assert view["reason"] == "needs 1 human approval: 0 so far"
    assert view["finalize"]["closable"] is False  # hana could still approve
    world.api("hana").cast_vote(p["id"], "yes")
    done = world.api("a2").finalize_proposal(p["id"])
    assert (done["outcome"], done["human_approvals"]["so_far"]) == ("passed", 1)


def test_a_human_no_settles_it_short_of_its_approvals(world: World) -> None:
    team(world)
    p = world.api("a1").create_proposal("prod", "Deploy?", min_human_approvals=1)
    for name, vote in (("hana", "no"), ("a1", "yes")):
        world.api(name).cast_vote(p["id"], vote)
    view = world.api("a2").get_proposal(p["id"])
    assert view["finalize"]["settled"]["outcome"] == "no_quorum"
    assert world.api("a2").finalize_proposal(p["id"])["outcome"] == "no_quorum"


def test_refused_at_creation_when_the_snapshot_cannot_meet_it(world: World) -> None:
    team(world)
    with pytest.raises(ValidationError) as refused:
        world.api("a1").create_proposal("prod", "Deploy?", min_human_approvals=2)
    assert refused.value.message == "prod has 1 eligible human voter(s) besides a1; 2 human approvals are required"
    with pytest.raises(ValidationError) as refused:
        world.api("hana").create_proposal("prod", "Deploy?", min_human_approvals=1, prevent_self_vote=True)
    assert refused.value.message == "prod has 0 eligible human voter(s) besides hana; 1 human approvals are required"
    with pytest.raises(ValidationError) as refused:
        world.api("a1").create_proposal(
            "prod", "Cache?", voting_type="single", options=["A", "B"], min_human_approvals=1
        )
    assert refused.value.message == "min_human_approvals applies to yes_no proposals and gates"
    for bad in (-1, 1001, True):
        with pytest.raises(ValidationError, match="min_human_approvals must be a whole number from 0 to 1000"):
            world.api("a1").create_proposal("prod", "Deploy?", min_human_approvals=bad)
    assert world.api("a1").list_proposals() == []
    own = world.api("hana").create_proposal("prod", "Deploy?", min_human_approvals=1)  # hana may approve her own
    assert own["min_human_approvals"] == 1


def gate_team(world: World, humans: int) -> None:
    world.group(
        "swarm",
        {"core": {}, "qa": {}, "sre": {}, "ops": {"kind": "human"}, "docs": {"kind": "human", "advisory": True}},
    )
    world.api("admin").set_group_policy("swarm", irreversible_human_approvals=humans)


def test_an_irreversible_gate_needs_the_policys_human_approvals(world: World) -> None:
    gate_team(world, 1)
    g = world.api("core").gate_request("deploy", {"version": "2.0"}, "swarm")
    assert g["human_approvals"] == {
        "required": 1,
        "so_far": 0,
        "met": False,
        "text": "needs 1 human approval: 0 so far",
    }
    world.api("qa").gate_vote(g["id"], "yes")
    world.api("sre").gate_vote(g["id"], "yes")
    world.api("docs").gate_vote(g["id"], "yes")  # advisory
    pending = world.api("core").gate_tally(g["id"])
    assert pending["status"] == "pending"
    assert "an irreversible subject needs 1 human approval: 0 so far" in pending["reason"]
    approved = world.api("ops").gate_vote(g["id"], "yes")["gate"]
    assert (approved["status"], approved["human_approvals"]["met"]) == ("approved", True)


def test_a_standard_subject_needs_no_human(world: World) -> None:
    gate_team(world, 1)
    g = world.api("core").gate_request("lint", None, "swarm")
    assert g["human_approvals"]["required"] == 0
    world.api("qa").gate_vote(g["id"], "yes")
    assert world.api("sre").gate_vote(g["id"], "yes")["gate"]["status"] == "approved"


def test_a_gate_without_enough_human_voters_is_refused(world: World) -> None:
    gate_team(world, 2)
    with pytest.raises(ValidationError) as refused:
        world.api("core").gate_request("deploy", None, "swarm")
    assert refused.value.message == "swarm has 1 eligible human voter(s) besides core; 2 human approvals are required"
    with pytest.raises(ValidationError) as refused:
        world.api("ops").gate_request("release", None, "swarm", 60)  # the requester never approves its own
    assert refused.value.message == "swarm has 0 eligible human voter(s) besides ops; 2 human approvals are required"
    assert world.api("core").gate_request("lint", None, "swarm")["status"] == "pending"  # not irreversible
