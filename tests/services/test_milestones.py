"""Milestones on real SQLite and PostgreSQL: creating, reading, completing in order, closing, listing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.clock import FixedClock
from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from tests.milestone_support import chain, refused
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group("team", ["a1", "a2"])
    world.group("other", ["o1"])
    return world


def statuses(view: dict[str, Any]) -> dict[int, str]:
    return {cp["order"]: cp["status"] for cp in view["checkpoints"]}


def test_sequential_milestone_completes_in_order_and_closes(team: World, clock: FixedClock) -> None:
    api = team.api("a1")
    m = api.create_milestone("Ship Feature X", chain("Design", "Implementation", "Tests", "Deploy"), group="team")
    assert m["status"] == "active" and m["progress"] == {"completed": 0, "total": 4}
    assert statuses(m) == {1: "ready", 2: "blocked", 3: "blocked", 4: "blocked"}
    assert m["checkpoints"][2]["depends_on"] == [2] and m["checkpoints"][2]["blocked_by"] == [2]
    assert m["ready"] == [1]

    refused(
        team,
        lambda: api.complete_checkpoint(m["id"], 3),
        ConflictError,
        "depends on checkpoint 2 which is pending",
        milestones=[m["id"]],
    )
    for order in (1, 2, 3):
        clock.advance(60)
        done = api.complete_checkpoint(m["id"], order)
        assert done["already_completed"] is False and done["milestone_closed"] is False
        assert done["unblocked"] == [order + 1]
    last = team.api("a2").complete_checkpoint(m["id"], 4)
    assert last["milestone_closed"] is True and last["milestone_status"] == "closed"
    assert last["progress"] == {"completed": 4, "total": 4}

    view = api.get_milestone(m["id"])
    assert view["status"] == "closed" and view["closed_at"] == clock.now().isoformat()
    assert statuses(view) == dict.fromkeys(range(1, 5), "completed")
    assert view["checkpoints"][3]["completed_by"] == "a2"
    assert view["checkpoints"][0]["completed_by"] == "a1"
    types = [e["type"] for e in team.services.events.audit(team.admin, ref=m["id"])]
    # Each completion but the last makes the next checkpoint ready (SPEC §11's `checkpoint.ready`).
    ready = ["checkpoint.completed", "checkpoint.ready"]
    assert types == ["milestone.created", *ready * 3, "checkpoint.completed", "milestone.closed"]


def test_completing_a_completed_checkpoint_changes_nothing_and_says_so(team: World, clock: FixedClock) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("one", "two"), group="team")
    api.complete_checkpoint(m["id"], 1)
    before = api.get_milestone(m["id"])
    clock.advance(3600)
    again = team.api("a2").complete_checkpoint(m["id"], 1)
    assert again["already_completed"] is True and again["checkpoint"]["completed_by"] == "a1"
    assert api.get_milestone(m["id"]) == before
    assert [e["type"] for e in team.services.events.audit(team.admin, ref=m["id"])].count("checkpoint.completed") == 1


def test_parallel_branches_seed003_diamond(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone(
        "Diamond",
        [
            {"title": "Design approved"},
            {"title": "Backend implementation", "depends_on": [1]},
            {"title": "Frontend implementation", "depends_on": [1]},
            {"title": "Integration tests", "depends_on": [2, 3]},
            {"title": "Deploy", "depends_on": [4]},
        ],
        group="team",
    )
    assert api.complete_checkpoint(m["id"], 1)["unblocked"] == [2, 3]
    view = api.get_milestone(m["id"])
    assert (statuses(view)[2], statuses(view)[3]) == ("ready", "ready")
    assert api.complete_checkpoint(m["id"], 3)["unblocked"] == []  # 4 still waits for 2
    refused(
        team, lambda: api.complete_checkpoint(m["id"], 4), ConflictError, "depends on checkpoint 2 which is pending"
    )
    assert team.api("a2").complete_checkpoint(m["id"], 2)["unblocked"] == [4]
    assert api.complete_checkpoint(m["id"], 4)["unblocked"] == [5]
    assert api.complete_checkpoint(m["id"], 5)["milestone_closed"] is True


def test_several_pending_dependencies_are_all_named(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", [{"title": "a"}, {"title": "b"}, {"title": "c", "depends_on": [2, 1]}], group="team")
    error = refused(team, lambda: api.complete_checkpoint(m["id"], 3), ConflictError, "depends on checkpoint 1 which")
    assert error.message == "depends on checkpoint 1 which is pending (also pending: 2)"
    assert error.details["pending"] == [1, 2]


def test_cross_milestone_dependency(world: World) -> None:
    world.group("backend-team", ["backend"])
    world.group("frontend-team", ["frontend"])
    world.services.groups.add_member(world.admin, "backend-team", "frontend")  # frontend can see backend's
    backend, frontend = world.api("backend"), world.api("frontend")
    api_v2 = backend.create_milestone("API v2", chain("Design API schema", "Implement endpoints", "Deploy to staging"))
    assert api_v2["group"] == "backend-team"  # the creator's only group
    dash = frontend.create_milestone(
        "New Dashboard",
        [
            {"title": "Design mockups"},
            {"title": "Build components", "depends_on": [1]},
            {"title": "Integrate with API", "depends_on": [2, f"{api_v2['id']}:3"]},
            {"title": "Deploy", "depends_on": [3]},
        ],
        group="frontend-team",
    )
    assert dash["checkpoints"][2]["depends_on"] == [2, f"{api_v2['id']}:3"]
    frontend.complete_checkpoint(dash["id"], 1)
    frontend.complete_checkpoint(dash["id"], 2)
    refused(
        world,
        lambda: frontend.complete_checkpoint(dash["id"], 3),
        ConflictError,
        f"depends on {api_v2['id']}:3 which is pending",
        milestones=[dash["id"], api_v2["id"]],
    )
    assert frontend.get_milestone(dash["id"])["checkpoints"][2]["blocked_by"] == [f"{api_v2['id']}:3"]
    backend.complete_checkpoint(api_v2["id"], 1)
    backend.complete_checkpoint(api_v2["id"], 2)
    done = backend.complete_checkpoint(api_v2["id"], 3)
    assert done["unblocked"] == [f"{dash['id']}:3"] and done["milestone_closed"] is True
    assert frontend.complete_checkpoint(dash["id"], 3)["unblocked"] == [4]


def test_reading_is_limited_to_the_group(team: World) -> None:
    m = team.api("a1").create_milestone("Secret", chain("x"), group="team")
    outsider = team.api("o1")
    for op in (
        lambda: outsider.get_milestone(m["id"]),
        lambda: outsider.complete_checkpoint(m["id"], 1),
        lambda: outsider.reopen_milestone(m["id"]),
    ):
        refused(team, op, NotFoundError, f"milestone {m['id']} not found", milestones=[m["id"]])
    refused(team, lambda: outsider.get_milestone("ms_nope"), NotFoundError, "milestone ms_nope not found")
    assert outsider.list_milestones() == []
    assert team.api("admin").get_milestone(m["id"])["title"] == "Secret"  # administrators see every group


def test_list_filters_by_group_project_and_status(team: World, clock: FixedClock) -> None:
    api = team.api("a1")
    team.services.groups.add_member(team.admin, "other", "a1")
    first = api.create_milestone("first", chain("x"), group="team", project_id="proj_q1_roadmap")
    clock.advance(1)
    second = api.create_milestone("second", chain("y"), group="other")
    api.complete_checkpoint(first["id"], 1)
    assert [m["id"] for m in api.list_milestones()] == [second["id"], first["id"]]
    assert [m["id"] for m in api.list_milestones(group="team")] == [first["id"]]
    assert [m["id"] for m in api.list_milestones(project_id="proj_q1_roadmap")] == [first["id"]]
    assert [m["id"] for m in api.list_milestones(status="closed")] == [first["id"]]
    assert [m["id"] for m in api.list_milestones(status="active")] == [second["id"]]
    assert api.list_milestones(limit=1)[0]["progress"] == {"completed": 0, "total": 1}
    assert [m["id"] for m in team.api("o1").list_milestones()] == [second["id"]]
    with pytest.raises(ValidationError, match="status 'done' is not allowed: use active or closed"):
        api.list_milestones(status="done")
    with pytest.raises(NotFoundError, match="group nope not found"):
        api.list_milestones(group="nope")


def test_group_defaults_to_the_callers_only_group(team: World) -> None:
    team.services.groups.add_member(team.admin, "other", "a1")
    refused(
        team,
        lambda: team.api("a1").create_milestone("M", chain("x")),
        ValidationError,
        "group is required: you belong to several groups (other, team)",
    )
    assert team.api("a2").create_milestone("M", chain("x"))["group"] == "team"


def test_git_links_are_stored_and_shown(team: World) -> None:
    m = team.api("a1").create_milestone(
        "M",
        [{"title": "x", "git_branch_url": "https://github.com/org/repo/tree/feature/auth", "completion_gate": None}],
        group="team",
    )
    cp = m["checkpoints"][0]
    assert cp["git_branch_url"] == "https://github.com/org/repo/tree/feature/auth"
    assert cp["git_pr_url"] is None and cp["completion_gate"] is None


def test_completion_gate_is_stored_and_shown(team: World) -> None:
    gate = {"min_completions": 2, "window_seconds": 60}
    m = team.api("a1").create_milestone("M", [{"title": "x", "completion_gate": gate}], group="team")
    assert m["checkpoints"][0]["completion_gate"] == gate
    assert team.api("a2").get_milestone(m["id"])["checkpoints"][0]["completion_gate"] == gate


def test_an_empty_milestone_stays_active(team: World) -> None:
    m = team.api("a1").create_milestone("Later", [], group="team")
    assert m["status"] == "active" and m["checkpoints"] == [] and m["progress"] == {"completed": 0, "total": 0}
    refused(
        team,
        lambda: team.api("a1").complete_checkpoint(m["id"], 1),
        NotFoundError,
        f"checkpoint 1 not found in {m['id']} (its checkpoints: none yet)",
        milestones=[m["id"]],
    )
