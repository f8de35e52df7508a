"""Changing milestones in progress: add at a position, update, delete, reopen; references stay stable."""

from __future__ import annotations

from typing import Any

import pytest

from accord.domain.errors import ConflictError, ValidationError
from tests.milestone_support import chain, refused
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group("team", ["a1", "a2"])
    return world


def titles(view: dict[str, Any]) -> list[tuple[int, str, list[Any]]]:
    return [(cp["order"], cp["title"], cp["depends_on"]) for cp in view["checkpoints"]]


def test_add_at_a_position_shifts_later_orders_and_keeps_references(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("Design", "Build", "Tests", "Deploy"), group="team")
    other = api.create_milestone("Other", [{"title": "Announce", "depends_on": [f"{m['id']}:3"]}], group="team")
    added = api.add_checkpoint(m["id"], "Security review", position=3, depends_on=[2])
    assert added["checkpoint"]["order"] == 3 and added["checkpoint"]["depends_on"] == [2]
    assert added["progress"] == {"completed": 0, "total": 5} and added["reopened"] is False
    assert titles(api.get_milestone(m["id"])) == [
        (1, "Design", []),
        (2, "Build", [1]),
        (3, "Security review", [2]),
        (4, "Tests", [2]),  # still depends on Build
        (5, "Deploy", [4]),  # still depends on Tests
    ]
    # The other milestone's reference followed "Tests" from order 3 to order 4.
    assert api.get_milestone(other["id"])["checkpoints"][0]["depends_on"] == [f"{m['id']}:4"]
    for order in (1, 2, 4):
        api.complete_checkpoint(m["id"], order)
    assert api.complete_checkpoint(other["id"], 1)["milestone_closed"] is True


def test_add_appends_without_position_and_with_integer_refs_to_current_orders(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b"), group="team")
    assert api.add_checkpoint(m["id"], "c", depends_on=[2])["checkpoint"]["order"] == 3
    # depends_on names the checkpoint at order 2 *before* inserting at position 1.
    front = api.add_checkpoint(m["id"], "first", position=1, depends_on=[2])
    assert front["checkpoint"]["depends_on"] == [3]
    assert titles(api.get_milestone(m["id"]))[0] == (1, "first", [3])


def test_adding_to_a_closed_milestone_reopens_it(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("only"), group="team")
    assert api.complete_checkpoint(m["id"], 1)["milestone_closed"] is True
    added = api.add_checkpoint(m["id"], "more", depends_on=[1])
    assert added["reopened"] is True and added["status"] == "active"
    assert added["checkpoint"]["status"] == "ready"
    assert api.complete_checkpoint(m["id"], 2)["milestone_closed"] is True
    events = [e["type"] for e in team.services.events.audit(team.admin, ref=m["id"])]
    assert events.count("milestone.closed") == 2 and "milestone.reopened" in events


def test_reopen(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("only"), group="team")
    assert api.reopen_milestone(m["id"])["already_active"] is True
    api.complete_checkpoint(m["id"], 1)
    reopened = team.api("a2").reopen_milestone(m["id"])
    assert reopened["reopened"] is True and reopened["status"] == "active" and reopened["closed_at"] is None
    assert api.get_milestone(m["id"])["status"] == "active"


def test_delete_shifts_later_orders_and_keeps_references(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone(
        "M",
        [{"title": "a"}, {"title": "b"}, {"title": "c", "depends_on": [1]}, {"title": "d", "depends_on": [3]}],
        group="team",
    )
    other = api.create_milestone("O", [{"title": "x", "depends_on": [f"{m['id']}:4"]}], group="team")
    deleted = api.delete_checkpoint(m["id"], 2)
    assert deleted["deleted"]["title"] == "b" and deleted["progress"] == {"completed": 0, "total": 3}
    assert titles(api.get_milestone(m["id"])) == [(1, "a", []), (2, "c", [1]), (3, "d", [2])]
    assert api.get_milestone(other["id"])["checkpoints"][0]["depends_on"] == [f"{m['id']}:3"]


def test_deleting_the_last_pending_checkpoint_closes_the_milestone(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", [{"title": "a"}, {"title": "b"}], group="team")
    api.complete_checkpoint(m["id"], 1)
    assert api.delete_checkpoint(m["id"], 2)["milestone_closed"] is True
    assert api.get_milestone(m["id"])["status"] == "closed"


def test_delete_refusals_leave_everything_as_it_was(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b", "c"), group="team")
    other = api.create_milestone("O", [{"title": "x", "depends_on": [f"{m['id']}:3"]}], group="team")
    api.complete_checkpoint(m["id"], 1)
    ids = [m["id"], other["id"]]
    refused(
        team,
        lambda: api.delete_checkpoint(m["id"], 1),
        ConflictError,
        "checkpoint 1 is completed; completed checkpoints cannot be deleted",
        milestones=ids,
    )
    refused(
        team,
        lambda: api.delete_checkpoint(m["id"], 2),
        ConflictError,
        "checkpoint 2 cannot be deleted: 3 depends on it",
        milestones=ids,
    )
    refused(
        team,
        lambda: api.delete_checkpoint(m["id"], 3),
        ConflictError,
        f"checkpoint 3 cannot be deleted: {other['id']}:1 depends on it",
        milestones=ids,
    )


def test_update_sets_text_and_git_links(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b"), group="team")
    changed = api.update_checkpoint(
        m["id"],
        2,
        title="Implementation",
        git_branch_url="https://github.com/org/repo/tree/feature/auth",
        git_pr_url="https://github.com/org/repo/pull/42",
    )
    cp = changed["checkpoint"]
    assert (cp["title"], cp["git_branch_url"], cp["git_pr_url"]) == (
        "Implementation",
        "https://github.com/org/repo/tree/feature/auth",
        "https://github.com/org/repo/pull/42",
    )
    api.update_checkpoint(m["id"], 2, git_commit_url="http://git.example/commit/abc123", git_branch_url="")
    cp = api.get_milestone(m["id"])["checkpoints"][1]
    assert cp["git_commit_url"] == "http://git.example/commit/abc123" and cp["git_branch_url"] is None
    assert cp["git_pr_url"] == "https://github.com/org/repo/pull/42" and cp["depends_on"] == [1]
    event = team.services.events.audit(team.admin, ref=m["id"])[-1]
    assert event["type"] == "checkpoint.updated" and event["data"]["changes"]["git_branch_url"] is None


def test_update_replaces_dependencies(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", [{"title": "a"}, {"title": "b"}, {"title": "c", "depends_on": [1]}], group="team")
    other = api.create_milestone("O", chain("x"), group="team")
    changed = api.update_checkpoint(m["id"], 3, depends_on=[2, f"{other['id']}:1", f"{m['id']}:1"])
    assert changed["checkpoint"]["depends_on"] == [1, 2, f"{other['id']}:1"]
    assert api.update_checkpoint(m["id"], 3, depends_on=[])["checkpoint"]["status"] == "ready"


def test_update_refusals(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b", "c"), group="team")
    api.complete_checkpoint(m["id"], 1)
    ids = [m["id"]]
    cases: list[tuple[Any, type[Exception], str]] = [
        (lambda: api.update_checkpoint(m["id"], 2, git_pr_url="ftp://x/y"), ValidationError, "git_pr_url 'ftp://x/y'"),
        (lambda: api.update_checkpoint(m["id"], 2, git_commit_url="github.com/x"), ValidationError, "use an http"),
        (lambda: api.update_checkpoint(m["id"], 2, title="  "), ValidationError, "checkpoint title is required"),
        (lambda: api.update_checkpoint(m["id"], 2, depends_on=[2]), ValidationError, "cannot depend on itself"),
        (lambda: api.update_checkpoint(m["id"], 1, depends_on=[2]), ConflictError, "checkpoint 1 is completed"),
        (lambda: api.update_checkpoint(m["id"], 2, depends_on=[3]), ValidationError, "cycle: 2 → 3 → 2"),
        (lambda: api.update_checkpoint(m["id"], 1, depends_on=[9]), ConflictError, "checkpoint 1 is completed"),
        (lambda: api.update_checkpoint(m["id"], 2, depends_on=[9]), ValidationError, "depends on checkpoint 9"),
    ]
    for op, error, message in cases:
        refused(team, op, error, message, milestones=ids)  # type: ignore[arg-type]
