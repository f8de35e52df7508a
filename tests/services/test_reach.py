"""Member channels, sign-in links, planned notices and the reminder ladder (SPEC §11), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import AuthError, ForbiddenError, NotFoundError, ValidationError
from accord.services.notifying import StoredEvent, plan_channel_deliveries
from tests.support import World

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"

SESSION_END = datetime(2100, 1, 1, tzinfo=UTC)  # a web session that outlives every test's clock


def team(world: World) -> None:
    world.group(
        "eng",
        {
            "alice": {"kind": "human", "role": "owner"},
            "bot": {"kind": "agent"},
            "carol": {"kind": "human", "advisory": True},
        },
    )


def planned(services: Services, after: int = 0) -> list[dict[str, Any]]:
    """The channel deliveries the events after `after` cause, planned as the outbox plans them."""
    with services.ctx.uow(write=False) as uow:
        rows = uow.events.since(after, None, 500)
        events = [StoredEvent.of(r) for r in rows]
        return [d.payload for d in plan_channel_deliveries(uow.conn, events, public_url="https://accord.test")]


def test_a_member_adds_lists_and_removes_its_own_channels_with_secrets_masked(world: World) -> None:
    team(world)
    alice = world.api("alice")
    made = alice.add_channel("alice", SLACK, ["vote.*", "gate.decided"])
    assert made["id"].startswith("ch_") and made["scheme"] == "slack"
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in made["url"] and made["url"].startswith("slack://")
    assert made["events"] == ["vote.*", "gate.decided"]
    listed = alice.list_channels("alice")
    assert listed["time_zone"] is None
    assert [c["id"] for c in listed["channels"]] == [made["id"]]
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in str(listed)
    removed = alice.remove_channel("alice", made["id"])
    assert removed["removed"] is True
    assert alice.list_channels("alice")["channels"] == []
    with pytest.raises(NotFoundError) as gone:
        alice.remove_channel("alice", made["id"])
    assert gone.value.message == f"channel {made['id']} of alice not found"


def test_only_the_member_itself_or_an_administrator_manages_its_channels(world: World) -> None:
    team(world)
    with pytest.raises(ForbiddenError) as refused:
        world.api("bot").add_channel("alice", SLACK)
    assert "a member manages its own channels, an administrator any" in refused.value.message
    with pytest.raises(ForbiddenError):
        world.api("bot").list_channels("alice")
    made = world.api("admin").add_channel("alice", SLACK)
    assert made["created_by"] == "admin"
    with pytest.raises(NotFoundError):
        world.api("admin").add_channel("nobody", SLACK)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("windows://", "url scheme 'windows' is not allowed"),
        ("https://example.com/hook", "url scheme 'https' is not allowed"),
        ("not a url", "url scheme '(none)' is not allowed"),
        ("json://127.0.0.1:9/hook", "resolves to 127.0.0.1, a loopback, private or link-local address"),
        ("mailto://u:p@example.com?smtp=10.1.2.3", "resolves to 10.1.2.3"),
        ("", "url is required"),
    ],
)
def test_channels_off_the_allow_list_or_on_private_hosts_are_refused_and_nothing_is_written(
    world: World, url: str, says: str
) -> None:
    team(world)
    with pytest.raises(ValidationError) as refused:
        world.api("alice").add_channel("alice", url)
    assert says in refused.value.message
    assert refused.value.details["field"] == "url"
    assert world.api("alice").list_channels("alice")["channels"] == []


def test_private_targets_are_accepted_when_allowed(world: World) -> None:
    team(world)
    world.services.ctx.allow_private_targets = True
    made = world.api("alice").add_channel("alice", "json://user:s3cret@127.0.0.1:9/hook")
    assert "s3cret" not in made["url"] and made["scheme"] == "json"


def test_time_zones_are_set_and_cleared(world: World) -> None:
    team(world)
    assert world.api("alice").set_time_zone("alice", "Europe/Paris") == {"member": "alice", "time_zone": "Europe/Paris"}
    assert world.api("alice").list_channels("alice")["time_zone"] == "Europe/Paris"
    with pytest.raises(ValidationError):
        world.api("alice").set_time_zone("alice", "Nowhere/Land")
    assert world.api("alice").set_time_zone("alice", None)["time_zone"] is None


def test_a_gate_request_plans_a_vote_request_per_voter_channel_in_their_time_zone(world: World) -> None:
    team(world)
    world.api("alice").add_channel("alice", SLACK)
    world.api("alice").set_time_zone("alice", "Asia/Tokyo")
    world.api("carol").add_channel("carol", SLACK)  # advisory: not asked for a vote
    world.api("bot").add_channel("bot", SLACK, ["gate.decided"])
    gate = world.api("bot").gate_request("deploy-prod", {"v": 2}, group="eng")
    asked = planned(world.services)
    assert [(d["member"], d["notice"]) for d in asked] == [("alice", "vote.requested")]
    (d,) = asked
    assert d["member_kind"] == "human" and d["next_path"] == f"/gates/{gate['request_id']}"
    assert d["url"] == f"https://accord.test/gates/{gate['request_id']}"
    assert "JST (Asia/Tokyo)" in d["body"]
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    world.api("alice").gate_vote(gate["request_id"], "yes")
    world.api("bot").gate_close(gate["request_id"])
    decided = planned(world.services, before)
    assert [(x["member"], x["notice"]) for x in decided] == [("bot", "gate.decided")]
    assert "approved" in decided[0]["body"]


def test_a_resolution_is_told_once_although_it_records_two_events(world: World, clock: FixedClock) -> None:
    team(world)
    world.api("alice").add_channel("alice", SLACK)
    p = world.api("bot").create_proposal("eng", "Adopt X?", on_no_consensus=["escalate"], deadline_hours=1)
    world.api("alice").cast_vote(p["id"], "yes")
    world.api("bot").cast_vote(p["id"], "no")
    world.api("alice").finalize_proposal(p["id"])
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    world.api("alice").resolve_proposal(p["id"], "yes", "we need it")
    assert [(d["member"], d["notice"]) for d in planned(world.services, before)] == [("alice", "proposal.decided")]


def test_a_sign_in_link_is_looked_at_freely_used_once_and_bound_to_its_member(world: World) -> None:
    team(world)
    links = world.services.signin_links
    url = links.mint_now("alice", "/gates/prop_x")
    assert url.startswith("http://127.0.0.1:8000/signin/link/")
    token = url.rsplit("/", 1)[1]
    assert links.peek(token)["member"] == "alice"
    assert links.peek(token)["next"] == "/gates/prop_x"
    done = links.redeem(token, SESSION_END)
    assert (done.member.name, done.next_path) == ("alice", "/gates/prop_x")
    assert world.services.identity.web_session_member(done.session_id).name == "alice"
    with pytest.raises(AuthError) as again:
        links.redeem(token, SESSION_END)
    assert "this sign-in link was already used at" in again.value.message
    with pytest.raises(AuthError) as forged:
        links.peek(token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    assert forged.value.message.startswith("this sign-in link is not valid")


def test_a_sign_in_link_expires_after_15_minutes_and_dies_with_the_members_tokens(
    world: World, clock: FixedClock
) -> None:
    team(world)
    links = world.services.signin_links
    late = links.mint_now("alice", "/").rsplit("/", 1)[1]
    clock.advance(15 * 60)
    with pytest.raises(AuthError) as expired:
        links.redeem(late, SESSION_END)
    assert "this sign-in link expired at" in expired.value.message
    clock.advance(1, hours=24)
    assert world.services.signin_links.sweep()["forgotten"] == 1  # a day after it expired
    with pytest.raises(AuthError) as forgotten:
        links.peek(late)
    assert forgotten.value.message.startswith("this sign-in link is not valid")
    revoked = links.mint_now("alice", "/").rsplit("/", 1)[1]
    clock.advance(1)
    world.api("alice").revoke_token("alice")
    with pytest.raises(AuthError) as refused:
        links.peek(revoked)
    assert refused.value.message == "this sign-in link was revoked: alice's tokens were revoked after it was sent"


def test_the_ladder_reminds_once_then_escalates_an_undecided_proposal(world: World, clock: FixedClock) -> None:
    team(world)
    world.api("admin").set_group_policy("eng", remind_after_seconds=600, escalate_after_seconds=3600)
    world.api("alice").add_channel("alice", SLACK)
    p = world.api("bot").create_proposal("eng", "Adopt X?", deadline_hours=4)
    gate = world.api("bot").gate_request("deploy", group="eng", timeout_seconds=7200)
    world.api("bot").cast_vote(p["id"], "yes")
    assert world.services.ladder.sweep()["reminded"] == []
    clock.advance(600)
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    report = world.services.ladder.sweep()
    assert sorted(report["reminded"]) == sorted([p["id"], gate["request_id"]])
    assert world.services.ladder.sweep()["reminded"] == []  # once
    reminded = [e for e in world.api("admin").audit(p["id"]) if e["type"] == "proposal.reminded"]
    assert [e["data"]["to"] for e in reminded] == [["alice", "carol"]]
    told = planned(world.services, before)
    assert sorted((d["member"], d["notice"]) for d in told) == [("alice", "vote.reminder")] * 2
    clock.advance(3000)
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    report = world.services.ladder.sweep()
    assert report["escalated"] == [p["id"]]  # never a gate
    told = planned(world.services, before)
    assert [(d["member"], d["notice"]) for d in told] == [("alice", "proposal.escalated")]
    assert "(no_decision_in_time)" in told[0]["body"]
    shown = world.api("alice").get_proposal(p["id"])
    assert shown["status"] == "escalated"
    escalations = [e for e in world.api("admin").audit(p["id"]) if e["type"] == "proposal.escalated"]
    assert [e["data"]["reason"] for e in escalations] == ["no_decision_in_time"]
    assert world.services.ladder.sweep()["escalated"] == []
    world.api("alice").resolve_proposal(p["id"], "yes", "fine")


def test_the_ladder_does_not_escalate_a_closable_proposal(world: World, clock: FixedClock) -> None:
    team(world)
    world.api("admin").set_group_policy("eng", escalate_after_seconds=60)
    p = world.api("bot").create_proposal("eng", "Adopt Y?", deadline_hours=4)
    world.api("bot").cast_vote(p["id"], "yes")
    world.api("alice").cast_vote(p["id"], "yes")  # everyone (non-advisory) voted: closable
    clock.advance(120)
    assert world.services.ladder.sweep()["escalated"] == []
    assert world.api("alice").get_proposal(p["id"])["status"] == "open"


def test_a_checkpoint_whose_last_dependency_completed_is_told_to_those_who_opted_in(world: World) -> None:
    team(world)
    world.api("alice").add_channel("alice", SLACK)  # default filter: checkpoint.ready is opt-in
    world.api("bot").add_channel("bot", SLACK, ["checkpoint.*"])
    m = world.api("bot").create_milestone(
        "Release",
        [{"title": "Design"}, {"title": "Build", "depends_on": [1]}, {"title": "Ship", "depends_on": [1, 2]}],
        group="eng",
    )
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    world.api("bot").complete_checkpoint(m["id"], 1)
    ready = [e for e in world.api("admin").audit(m["id"]) if e["type"] == "checkpoint.ready"]
    assert [e["data"]["title"] for e in ready] == ["Build"]  # Ship still waits for Build
    told = planned(world.services, before)
    assert [(d["member"], d["notice"]) for d in told] == [("bot", "checkpoint.ready")]
    assert "Checkpoint 'Build' of milestone" in told[0]["body"]
    assert told[0]["url"] == f"https://accord.test/milestones/{m['id']}"


def test_the_sweeper_closes_a_gate_at_its_timeout_and_its_requester_is_told(world: World, clock: FixedClock) -> None:
    team(world)
    world.api("bot").add_channel("bot", SLACK)
    gate = world.api("bot").gate_request("deploy", group="eng", timeout_seconds=60)
    assert world.services.gates.sweep()["expired"] == []
    clock.advance(61)
    before = max(e["id"] for e in world.api("admin").audit(latest=500))
    assert world.services.gates.sweep()["expired"] == [gate["request_id"]]
    assert world.services.gates.sweep()["expired"] == []
    told = planned(world.services, before)
    assert [(d["member"], d["notice"]) for d in told] == [("bot", "gate.decided")]
    assert "Your gate was closed: expired." in told[0]["body"]
