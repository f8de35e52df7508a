"""Proposals through the services, on real SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import (
    AuthError,
    ConflictError,
    DeadlineError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from tests.support import World


def team(world: World, n: int = 3, **settings: dict[str, Any]) -> list[str]:
    names = [f"a{i}" for i in range(1, n + 1)]
    world.group("team", {name: settings.get(name, {}) for name in names})
    return names


def snapshot(world: World, proposal_id: str) -> dict[str, Any]:
    view = world.api("admin").get_proposal(proposal_id, history=True)
    return {k: v for k, v in view.items() if k not in ("voting_closed",)}


def test_seed000_deploy_two_thirds_end_to_end(world: World) -> None:
    names = team(world, 5)
    p = world.api("a1").create_proposal("team", "Deploy v2.0 to production?", threshold_type="two_thirds")
    for name, vote in zip(names, ["yes", "yes", "yes", "yes", "no"], strict=True):
        world.api(name).cast_vote(p["id"], vote, comment="Staging tests passed, metrics look good")
    result = world.api("a1").finalize_proposal(p["id"])
    assert (result["result"], result["threshold_met"], result["tally"]) == ("yes", True, {"yes": 4, "no": 1})
    assert result["status"] == "finalized" and result["provisional"] is False
    assert {e["type"] for e in world.api("a1").audit(p["id"])} >= {
        "proposal.created",
        "vote.cast",
        "proposal.finalized",
    }


def test_get_proposal_shows_running_tally_and_every_vote(world: World) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal("team", "Which cache?", voting_type="single", options=["Redis", "Valkey"])
    world.api("a2").cast_vote(p["id"], "Redis", comment="Best for our access patterns", confidence=0.9)
    view = world.api("a3").get_proposal(p["id"])
    assert view["provisional"] is True and view["status"] == "open"
    assert view["tally"] == {"Redis": 1, "Valkey": 0} and view["shares"]["Redis"] == 1.0
    assert view["participation"] == round(1 / 3, 4)
    assert view["votes"] == [
        {
            "voter": "a2",
            "vote": "Redis",
            "comment": "Best for our access patterns",
            "confidence": 0.9,
            "evidence": [],
            "cast_at": view["votes"][0]["cast_at"],
            "advisory": False,
            "round": 1,
        }
    ]


def test_voting_again_replaces_and_history_keeps_everything(world: World) -> None:
    team(world, 2)
    p = world.api("a1").create_proposal("team", "Ship?")
    world.api("a2").cast_vote(p["id"], "no", comment="not yet")
    again = world.api("a2").cast_vote(p["id"], "yes", comment="fixed")
    assert again["replaced"] is True
    view = world.api("a1").get_proposal(p["id"], history=True)
    assert [v["vote"] for v in view["votes"]] == ["yes"]
    assert [(h["vote"], h["comment"]) for h in view["history"]] == [("no", "not yet"), ("yes", "fixed")]
    assert [e["type"] for e in world.api("a1").audit(p["id"]) if e["type"].startswith("vote.")] == [
        "vote.cast",
        "vote.changed",
    ]


def test_eligible_voters_are_a_snapshot(world: World) -> None:
    team(world, 2)
    p = world.api("a1").create_proposal("team", "Snapshot?")
    world.member("late")
    world.services.groups.add_member(world.admin, "team", "late", weight=5)
    with pytest.raises(ForbiddenError, match=f"late is not an eligible voter of {p['id']}"):
        world.api("late").cast_vote(p["id"], "yes")
    world.services.groups.add_member(world.admin, "team", "a2", weight=9, veto=True)
    world.api("a2").cast_vote(p["id"], "no")
    assert world.api("a1").get_proposal(p["id"])["outcome"] == "rejected"  # the old settings: no veto


def test_removed_member_loses_access_but_its_ballot_counts(world: World) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal("team", "Keep ballots?")
    world.api("a3").cast_vote(p["id"], "yes")
    world.services.groups.remove_member(world.admin, "team", "a3")
    with pytest.raises(NotFoundError):
        world.api("a3").get_proposal(p["id"])
    assert world.api("a1").get_proposal(p["id"])["tally"] == {"yes": 1, "no": 0}


def test_deadline_hours_closes_voting_but_not_the_proposal(world: World, clock: FixedClock) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal("team", "Emergency hotfix approval", deadline_hours=1)
    world.api("a2").cast_vote(p["id"], "yes")
    clock.advance(hours=1)
    before = snapshot(world, p["id"])
    with pytest.raises(DeadlineError, match="voting closed at"):
        world.api("a3").cast_vote(p["id"], "yes")
    assert snapshot(world, p["id"]) == before
    assert world.api("a3").get_proposal(p["id"])["status"] == "open"  # manual finalization still required
    assert world.api("a3").finalize_proposal(p["id"])["status"] == "finalized"  # any voter after the deadline


def test_deadline_instant_and_its_refusals(world: World, clock: FixedClock) -> None:
    team(world, 1)
    with pytest.raises(ValidationError, match="already past"):
        world.api("a1").create_proposal("team", "Late", deadline="2020-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="not an ISO-8601 instant"):
        world.api("a1").create_proposal("team", "Bad", deadline="tomorrow")
    with pytest.raises(ValidationError, match="not both"):
        world.api("a1").create_proposal("team", "Both", deadline="2030-01-01T00:00:00Z", deadline_hours=2)
    assert world.api("a1").list_proposals() == []


def test_finalize_permissions(world: World) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal("team", "Who may finalize?")
    world.api("a2").cast_vote(p["id"], "yes")
    early = (
        f"proposal {p['id']} cannot be finalized yet: 2 of 3 eligible voters have not voted and could change the "
        "outcome; it can be finalized when they have voted, after the deadline, or once the outcome is settled"
    )
    for who in ("a2", "a1"):  # one voter may not lock in an early lead, and neither may the creator
        with pytest.raises(ConflictError) as refused:
            world.api(who).finalize_proposal(p["id"])
        assert refused.value.message == early
    world.member("late")
    world.services.groups.add_member(world.admin, "team", "late")
    with pytest.raises(ForbiddenError) as forbidden:
        world.api("late").finalize_proposal(p["id"])
    assert forbidden.value.message == (
        f"late may not finalize {p['id']}: only its creator, group owners/admins and eligible voters may"
    )
    world.api("a1").cast_vote(p["id"], "yes")
    world.api("a3").cast_vote(p["id"], "no")
    result = world.api("a2").finalize_proposal(p["id"])  # everyone has voted
    assert result["outcome"] == "passed"
    with pytest.raises(ConflictError, match=f"proposal {p['id']} is finalized"):
        world.api("a3").cast_vote(p["id"], "yes")
    with pytest.raises(ConflictError, match="is finalized"):
        world.api("a1").finalize_proposal(p["id"])
    assert world.api("a1").get_proposal(p["id"])["tally"] == {"yes": 2, "no": 1}  # frozen


def test_group_owner_may_force_and_cancel(world: World) -> None:
    world.group("team", {"boss": {"role": "owner"}, "a1": {}, "a2": {}})
    p = world.api("a1").create_proposal("team", "Early close")
    with pytest.raises(ConflictError, match="cannot be finalized yet: 3 of 3 eligible voters have not voted"):
        world.api("boss").finalize_proposal(p["id"])  # owners wait for the rule too, or force
    forced = world.api("boss").finalize_proposal(p["id"], force=True, rationale="release window closes")
    assert (forced["outcome"], forced["resolution"]["method"]) == ("rejected", "forced")  # fail-closed
    q = world.api("a1").create_proposal("team", "Cancel me")
    with pytest.raises(ForbiddenError, match="only its creator or a group owner/admin"):
        world.api("a2").cancel_proposal(q["id"])
    assert world.api("boss").cancel_proposal(q["id"])["status"] == "cancelled"
    with pytest.raises(ConflictError, match="is cancelled"):
        world.api("a2").cast_vote(q["id"], "yes")


def test_subject_lock_allows_one_open_proposal_per_subject(world: World) -> None:
    team(world, 2)
    first = world.api("a1").create_proposal("team", "Deploy", subject="deploy")
    with pytest.raises(ConflictError, match=f"subject 'deploy' already has an open request {first['id']}"):
        world.api("a2").create_proposal("team", "Deploy again", subject="deploy")
    assert len(world.api("a1").list_proposals()) == 1
    world.api("a1").cancel_proposal(first["id"])
    second = world.api("a2").create_proposal("team", "Deploy again", subject="deploy")
    assert second["subject"] == "deploy"


def test_non_members_get_not_found(world: World) -> None:
    team(world, 2)
    world.group("other", ["outsider"])
    p = world.api("a1").create_proposal("team", "Private")
    for op in (
        lambda: world.api("outsider").get_proposal(p["id"]),
        lambda: world.api("outsider").cast_vote(p["id"], "yes"),
        lambda: world.api("outsider").finalize_proposal(p["id"]),
        lambda: world.api("outsider").create_proposal("team", "Sneaky"),
        lambda: world.api("outsider").list_proposals(group="team"),
    ):
        with pytest.raises(NotFoundError, match="not found"):
            op()
    assert world.api("outsider").list_proposals() == []


def test_unanimous_refuses_abstention_and_needs_everyone(world: World) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal("team", "Approve database migration?", threshold_type="unanimous")
    with pytest.raises(ValidationError, match="abstain is not allowed under unanimous"):
        world.api("a2").cast_vote(p["id"], "abstain")
    world.api("a1").cast_vote(p["id"], "yes", comment="Schema looks correct")
    world.api("a2").cast_vote(p["id"], "yes", comment="Tested on staging")
    world.api("a3").cast_vote(p["id"], "no", comment="Missing rollback plan")
    result = world.api("a1").finalize_proposal(p["id"])
    assert (result["threshold_met"], result["outcome"]) == (False, "rejected")


def test_bad_tokens_are_refused(services: Services, world: World) -> None:
    with pytest.raises(AuthError, match="missing token"):
        services.identity.authenticate(None)
    with pytest.raises(AuthError, match="invalid token"):
        services.identity.authenticate("acc_wrong")
    world.member("bob")
    services.tokens.revoke(world.admin, "bob")
    with pytest.raises(AuthError, match="token revoked: token tok_"):
        services.identity.authenticate(world.tokens["bob"])


def test_members_and_groups_rules(world: World) -> None:
    with pytest.raises(ValidationError, match="member name 'Bad Name' is not allowed"):
        world.api("admin").create_member("Bad Name")
    world.member("carol")
    with pytest.raises(ForbiddenError, match="only store administrators"):
        world.api("carol").create_member("dave")
    with pytest.raises(ConflictError, match="already exists"):
        world.api("admin").create_member("carol")
    created = world.api("carol").create_group("carols-team")
    assert world.api("carol").list_members(created["name"])[0]["role"] == "owner"
    with pytest.raises(ValidationError, match="weight must be greater than 0"):
        world.api("carol").add_group_member("carols-team", "carol", weight=0)
    with pytest.raises(ValidationError, match="role 'boss' is not allowed"):
        world.api("carol").add_group_member("carols-team", "carol", role="boss")
    # The store administrator is not a voter unless added.
    assert [m["member"] for m in world.api("admin").list_members("carols-team")] == ["carol"]


def test_ranked_rounds_are_reported_at_finalize(world: World) -> None:
    team(world, 3)
    p = world.api("a1").create_proposal(
        "team", "Q2 feature priority", voting_type="ranked", options=["Dark mode", "Mobile app", "API v2", "SSO"]
    )
    world.api("a1").cast_vote(p["id"], "API v2,SSO,Dark mode,Mobile app")
    world.api("a2").cast_vote(p["id"], ["SSO", "API v2", "Mobile app", "Dark mode"])
    world.api("a3").cast_vote(p["id"], "API v2,Dark mode,SSO,Mobile app")
    result = world.api("a1").finalize_proposal(p["id"])
    assert result["result"] == "API v2" and result["rounds"][0]["counts"]["API v2"] == 2


def test_wait_returns_at_timeout_and_wakes_on_finalize(world: World) -> None:
    team(world, 2)
    p = world.api("a1").create_proposal("team", "Wait for me")
    world.api("a1").cast_vote(p["id"], "yes")
    world.api("a2").cast_vote(p["id"], "yes")  # everyone voted: it may be finalized
    timed = world.api("a2").wait_proposal(p["id"], timeout=0.2)
    assert timed["timed_out"] is True and timed["status"] == "open"

    results: list[dict[str, Any]] = []
    waiter = threading.Thread(target=lambda: results.append(world.api("a2").wait_proposal(p["id"], timeout=20)))
    waiter.start()
    time.sleep(0.2)
    started = time.monotonic()
    world.api("a1").finalize_proposal(p["id"])
    waiter.join(timeout=20)
    assert results and results[0]["status"] == "finalized" and results[0]["timed_out"] is False
    assert time.monotonic() - started < 5


def test_wait_refuses_bad_timeouts(world: World) -> None:
    team(world, 1)
    p = world.api("a1").create_proposal("team", "t")
    with pytest.raises(ValidationError, match="timeout must be 0-3600 seconds"):
        world.api("a1").wait_proposal(p["id"], timeout=-1)


def test_events_feed_is_scoped_to_my_groups(world: World) -> None:
    team(world, 1)
    world.group("other", ["b1"])
    world.api("a1").create_proposal("team", "mine")
    world.api("b1").create_proposal("other", "theirs")
    mine = world.api("a1").list_events()
    assert mine and all(e["group"] == "team" for e in mine)
    after = mine[-1]["id"]
    assert world.api("a1").list_events(after=after) == []


def test_audit_by_ref_finds_events_past_the_first_page(world: World) -> None:
    team(world, 1)
    for i in range(260):  # each opening appends two events (created, and the REQUEST message)
        world.api("a1").create_proposal("team", f"p{i}")
    last = world.api("a1").list_proposals(limit=1)[0]["id"]
    assert [e["type"] for e in world.api("admin").audit(last)] == ["proposal.created"]


def test_a_gate_is_not_finalized_or_cancelled_like_a_proposal(world: World) -> None:
    team(world, 3)
    gate = world.api("a1").gate_request("deploy", {"version": "2.0"}, group="team")
    gid = gate["request_id"]
    before = snapshot(world, gid)
    for op, what in ((world.api("a1").finalize_proposal, "finalized"), (world.api("a1").cancel_proposal, "cancelled")):
        with pytest.raises(ConflictError, match=f"{gid} is a gate and is not {what} like a proposal"):
            op(gid)
    with pytest.raises(
        ConflictError, match=f"{gid} is a gate and is not voted on like a proposal: vote with gate_vote"
    ):
        world.api("a2").cast_vote(gid, "yes")
    assert snapshot(world, gid) == before
    requests = [m for m in world.api("a2").check_inbox() if m["type"] == "REQUEST"]
    assert requests[0]["payload"]["request_id"] == gid and requests[0]["payload"]["request"] == {"version": "2.0"}
