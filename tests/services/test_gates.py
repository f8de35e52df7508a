"""GateService on SQLite and PostgreSQL: request, vote, veto, tally, close, timeout, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import ConflictError, DeadlineError, ForbiddenError, NotFoundError, ValidationError
from accord.storage import tables as t
from tests.support import World

TABLES = (t.proposals, t.votes, t.vote_history, t.events, t.messages, t.deliveries)


def rows(services: Services) -> dict[str, int]:
    """How many rows each table holds: a refusal must leave every count as it was."""
    with services.ctx.engine.connect() as conn:
        return {tbl.name: int(conn.execute(select(func.count()).select_from(tbl)).scalar_one()) for tbl in TABLES}


def team(world: World) -> str:
    """Seed 002's swarm: core-development asks; security-team holds the veto; docs-team is advisory."""
    return world.group(
        "swarm",
        {
            "core-development": {},
            "security-team": {"veto": True},
            "qa-team": {},
            "docs-team": {"advisory": True},
        },
    )


def inbox(world: World, member: str) -> list[dict[str, Any]]:
    return world.api(member).check_inbox()


def test_a_request_opens_a_gate_and_asks_every_eligible_voter(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", {"branch": "feat/x"}, "swarm")
    assert g["id"].startswith("prop_") and g["request_id"] == g["id"]
    assert (g["status"], g["closed"], g["irreversible"], g["threshold"]) == ("pending", False, False, "> 1/2")
    assert (g["payload"], g["requester"], g["voters"]) == (
        {"branch": "feat/x"},
        "core-development",
        ["qa-team", "security-team"],
    )
    assert g["timeout_seconds"] == 3600
    for member in ("security-team", "qa-team", "docs-team"):
        [request] = inbox(world, member)
        assert (request["type"], request["subject"], request["from"]) == ("REQUEST", "commit-gate", "accord")
        assert request["payload"]["proposal_id"] == g["id"]
    assert inbox(world, "core-development") == []


def test_irreversible_subjects_follow_the_groups_pattern_and_it_is_kept_per_gate(
    world: World, clock: FixedClock
) -> None:
    team(world)
    core = world.api("core-development")
    deploy = core.gate_request("Deploy-prod", None, "swarm")
    assert (deploy["irreversible"], deploy["threshold"]) == (True, "≥ 2/3")
    world.api("admin").set_group_policy("swarm", irreversible_pattern="^commit", default_timeout_seconds=60)
    commit = core.gate_request("commit-gate", None, "swarm")
    assert (commit["irreversible"], commit["timeout_seconds"]) == (True, 60)
    assert core.gate_tally(deploy["id"])["irreversible"] is True  # decided when requested


def test_a_second_request_on_an_open_subject_is_refused_naming_the_open_one(world: World) -> None:
    team(world)
    first = world.api("core-development").gate_request("commit-gate", None, "swarm")
    before = rows(world.services)
    with pytest.raises(ConflictError) as refused:
        world.api("qa-team").gate_request("commit-gate", {"other": True}, "swarm")
    assert str(refused.value) == f"subject 'commit-gate' already has an open request {first['id']}"
    assert rows(world.services) == before


def test_the_subject_is_released_by_close_veto_close_and_timeout(world: World, clock: FixedClock) -> None:
    team(world)
    core = world.api("core-development")
    g1 = core.gate_request("commit-gate", None, "swarm")
    core.gate_close(g1["id"])
    g2 = core.gate_request("commit-gate", None, "swarm", timeout_seconds=30)
    world.api("security-team").gate_vote(g2["id"], "no", "gate bypass")
    assert core.gate_close(g2["id"])["status"] == "vetoed"
    g3 = core.gate_request("commit-gate", None, "swarm", timeout_seconds=30)
    clock.advance(30)
    g4 = core.gate_request("commit-gate", None, "swarm")  # the timed-out request closed itself
    assert core.gate_tally(g3["id"])["status"] == "expired"
    assert core.gate_tally("commit-gate")["id"] == g4["id"]


def test_votes_count_without_advisory_members_and_without_the_requester(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("docs-team").gate_vote(g["id"], "yes")
    world.api("docs-team").gate_vote(g["id"], "yes")
    tally = world.api("qa-team").gate_vote(g["id"], "yes")["gate"]
    assert (tally["status"], tally["ballots"], tally["tally"]) == ("pending", 1, {"yes": 1, "no": 0, "abstain": 0})
    tally = world.api("security-team").gate_vote(g["id"], "yes")["gate"]
    assert (tally["status"], tally["ballots"], tally["tally"]) == ("approved", 2, {"yes": 2, "no": 0, "abstain": 0})
    docs = next(v for v in tally["votes"] if v["voter"] == "docs-team")
    assert (docs["advisory"], docs["counted"]) == (True, False)
    world.api("docs-team").gate_vote(g["id"], "no")
    assert world.api("qa-team").gate_tally("commit-gate")["status"] == "approved"


def test_a_veto_wins_at_once_tells_every_member_and_only_its_holder_lifts_it(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    world.api("security-team").gate_vote(g["id"], "yes")
    vetoed = world.api("security-team").gate_vote(g["id"], "no", "gate bypass in tool-proxy.sh")["gate"]
    assert (vetoed["status"], vetoed["vetoed_by"]) == ("vetoed", ["security-team"])
    for member in ("core-development", "security-team", "qa-team", "docs-team"):
        veto = [m for m in inbox(world, member) if m["type"] == "VETO"]
        assert [m["content"] for m in veto] == [
            "VETO issued by security-team on 'commit-gate': gate bypass in tool-proxy.sh"
        ]
        assert veto[0]["payload"]["request_id"] == g["id"]
    world.api("qa-team").gate_vote(g["id"], "yes", "please")
    world.api("docs-team").gate_vote(g["id"], "yes")
    assert world.api("core-development").gate_tally("commit-gate")["status"] == "vetoed"
    lifted = world.api("security-team").gate_vote(g["id"], "yes", "fixed")["gate"]
    assert (lifted["status"], lifted["vetoed_by"]) == ("approved", [])
    types = [e["type"] for e in world.api("admin").audit(ref=g["id"])]
    assert types.count("proposal.vetoed") == 1 and types.count("gate.veto_lifted") == 1


def test_a_veto_cast_before_closing_wins_and_none_is_accepted_after(world: World) -> None:
    team(world)
    core = world.api("core-development")
    g = core.gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    world.api("security-team").gate_vote(g["id"], "no")
    assert core.gate_close(g["id"])["status"] == "vetoed"
    g2 = core.gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g2["id"], "yes")
    world.api("security-team").gate_vote(g2["id"], "yes")
    closed = core.gate_close(g2["id"])
    assert (closed["status"], closed["closed"], closed["closed_by"]) == ("approved", True, "core-development")
    before = rows(world.services)
    with pytest.raises(ConflictError, match=f"proposal {g2['id']} is finalized"):
        world.api("security-team").gate_vote(g2["id"], "no")
    assert rows(world.services) == before
    assert core.gate_close(g2["id"])["status"] == "approved"  # closing again returns the frozen result


def test_only_the_requester_closes_and_an_early_close_rejects(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    before = rows(world.services)
    for other in ("qa-team", "security-team", "admin"):
        with pytest.raises(ForbiddenError, match="only its requester core-development may act on its approval"):
            world.api(other).gate_close(g["id"])
    assert rows(world.services) == before
    closed = world.api("core-development").gate_close(g["id"])
    assert closed["status"] == "rejected" and "closed by core-development before approval" in closed["reason"]


def test_irreversible_gates_need_two_thirds_and_every_veto_holders_yes(world: World) -> None:
    world.group("ops", {"req": {}, "a": {}, "b": {}, "sec": {"veto": True}})
    g = world.api("req").gate_request("deploy", None, "ops")
    world.api("a").gate_vote(g["id"], "yes")
    assert world.api("b").gate_vote(g["id"], "yes")["gate"]["status"] == "pending"  # sec's yes is missing
    assert world.api("sec").gate_vote(g["id"], "abstain")["gate"]["status"] == "rejected"
    assert world.api("sec").gate_vote(g["id"], "yes")["gate"]["status"] == "approved"
    assert world.api("b").gate_vote(g["id"], "no")["gate"]["status"] == "approved"  # 2/3 exactly


@pytest.mark.parametrize(("last", "status"), [(None, "expired"), ("yes", "approved"), ("no", "vetoed")])
def test_timeout_fails_closed(world: World, clock: FixedClock, last: str | None, status: str) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm", timeout_seconds=10)
    world.api("qa-team").gate_vote(g["id"], "yes")
    if last is not None:
        world.api("security-team").gate_vote(g["id"], last)
    clock.advance(9.999)
    assert world.api("qa-team").gate_tally(g["id"])["closed"] is False
    clock.advance(0.001)
    tally = world.api("qa-team").gate_tally(g["id"])
    assert (tally["status"], tally["closed"], tally["closed_by"]) == (status, True, "accord")
    before = rows(world.services)
    with pytest.raises(DeadlineError, match="voting closed at 2026-01-01T12:00:10"):
        world.api("security-team").gate_vote(g["id"], "yes")
    assert rows(world.services) == before
    # The read that noticed the timeout closed the gate (and issued its receipt): the sweeper finds nothing.
    assert world.services.gates.expire_due() == []
    assert world.api("core-development").gate_tally(g["id"])["status"] == status
    world.api("core-development").gate_request("commit-gate", None, "swarm")


def test_by_subject_only_an_open_request_counts(world: World, clock: FixedClock) -> None:
    """SPEC §5 rev. 2: a closed request is never reported by subject; by id it still is."""
    team(world)
    world.group("other", ["core-development", "qa-team"])
    core = world.api("core-development")
    g1 = core.gate_request("commit-gate", None, "swarm")
    core.gate_close(g1["id"])
    clock.advance(1)
    g2 = core.gate_request("commit-gate", None, "swarm")
    assert core.gate_tally("commit-gate")["id"] == g2["id"]
    closed = core.gate_close(g2["id"])
    none_open = core.gate_tally("commit-gate", "swarm")
    assert (none_open["status"], none_open["actionable"], none_open["latest"]["id"]) == ("none_open", False, g2["id"])
    assert none_open["reason"] == (
        f"no open request for subject 'commit-gate'; the latest, {g2['id']}, closed at {closed['closed_at']} as "
        "rejected: request again to act again"
    )
    assert core.gate_wait("commit-gate", timeout=5)["status"] == "none_open"  # at once, not after 5 s
    assert core.gate_tally(g1["id"])["id"] == g1["id"]  # by id: the request it names
    g3 = core.gate_request("commit-gate", None, "other")
    assert core.gate_tally("commit-gate")["id"] == g3["id"]  # the one open request among my groups
    g4 = core.gate_request("commit-gate", None, "swarm")
    with pytest.raises(ValidationError, match=r"open gate requests in several groups \(other, swarm\): give the"):
        core.gate_tally("commit-gate")
    core.gate_close(g3["id"])
    core.gate_close(g4["id"])
    with pytest.raises(ValidationError, match=r"has gate requests in several groups \(other, swarm\): give the"):
        core.gate_tally("commit-gate")
    with pytest.raises(NotFoundError, match="no gate request for subject 'nothing' in your groups"):
        core.gate_tally("nothing")


def test_members_outside_the_group_see_nothing(world: World) -> None:
    team(world)
    world.member("outsider")
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    outsider = world.api("outsider")
    before = rows(world.services)
    with pytest.raises(NotFoundError, match=f"gate request {g['id']} not found"):
        outsider.gate_vote(g["id"], "yes")
    with pytest.raises(NotFoundError, match=f"gate request {g['id']} not found"):
        outsider.gate_tally(g["id"])
    with pytest.raises(NotFoundError, match="no gate request for subject 'commit-gate' in your groups"):
        outsider.gate_tally("commit-gate")
    with pytest.raises(NotFoundError, match="group swarm not found"):
        outsider.gate_request("x", None, "swarm")
    assert rows(world.services) == before


def test_vote_refusals_write_nothing(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("commit-gate", None, "swarm")
    world.member("late")
    world.services.groups.add_member(world.admin, "swarm", "late")
    proposal = world.api("qa-team").create_proposal("swarm", "A plain question")
    cases: list[tuple[str, str, object, type[Exception], str]] = [
        ("core-development", g["id"], "yes", ForbiddenError, "the requester may not vote on its own gate"),
        ("late", g["id"], "yes", ForbiddenError, f"late is not an eligible voter of {g['id']}"),
        ("qa-team", g["id"], "maybe", ValidationError, "vote 'maybe' is not allowed on a gate: use yes, no or abstain"),
        ("qa-team", "prop_nothere00000", "yes", NotFoundError, "gate request prop_nothere00000 not found"),
        ("qa-team", proposal["id"], "yes", NotFoundError, f"gate request {proposal['id']} not found"),
    ]
    before = rows(world.services)
    for member, request_id, vote, error, message in cases:
        with pytest.raises(error) as refused:
            world.api(member).gate_vote(request_id, vote)  # type: ignore[arg-type]
        assert message in str(refused.value)
    assert rows(world.services) == before


def test_request_refusals_write_nothing(world: World) -> None:
    team(world)
    world.group("solo", ["lonely"])
    world.group("other", ["core-development", "qa-team"])
    core = world.api("core-development")
    before = rows(world.services)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"subject": " "}, "subject is required"),
        ({"subject": "x" * 501}, "subject is longer than 500 characters"),
        ({"subject": "x", "payload": {"blob": "x" * 16_384}}, "payload is 16395 bytes of JSON; at most 16384 (16 KiB)"),
        ({"subject": "x", "timeout_seconds": 0}, "timeout_seconds must be greater than 0"),
        ({"subject": "x", "group": "nope"}, "group nope not found"),
    ]
    for args, message in cases:
        with pytest.raises((ValidationError, NotFoundError)) as refused:
            core.gate_request(**{"group": "swarm", **args})
        assert message in str(refused.value)
    with pytest.raises(ValidationError, match=r"group is required: you belong to 2 groups \(other, swarm\)"):
        core.gate_request("x", None, None)
    with pytest.raises(ValidationError, match="group solo has no one but you who could approve a gate"):
        world.api("lonely").gate_request("x", None, "solo")
    assert rows(world.services) == before


def test_the_group_can_be_left_out_when_the_requester_has_one(world: World) -> None:
    team(world)
    assert world.api("core-development").gate_request("commit-gate")["group"] == "swarm"
