"""Bad input to milestones: each refusal names what was wrong and leaves the store exactly as it was."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from accord.domain.errors import AccordError, NotFoundError, ValidationError
from tests.milestone_support import chain, refused
from tests.support import World


@pytest.fixture
def team(world: World) -> World:
    world.group("team", ["a1", "a2"])
    world.group("hidden", ["h1"])
    return world


CREATE_CASES: list[tuple[list[Any], str]] = [
    ([{"title": "a"}, {"title": "b", "depends_on": [7]}], "checkpoint 2 depends on checkpoint 7, which does not exist"),
    ([{"title": "a", "depends_on": [1]}], "checkpoint 1 cannot depend on itself"),
    ([{"title": "a", "depends_on": [2]}, {"title": "b", "depends_on": [1]}], "cycle: 1 → 2 → 1"),
    (
        [
            {"title": "a"},
            {"title": "b", "depends_on": [4]},
            {"title": "c", "depends_on": [2]},
            {"title": "d", "depends_on": [3]},
        ],
        "cycle: 2 → 4 → 3 → 2",
    ),
    ([{"title": "a", "depends_on": [0]}], "checkpoint 1: dependency 0 is not allowed"),
    ([{"title": "a", "depends_on": ["ms_x"]}], "dependency 'ms_x' is not allowed"),
    ([{"title": "a", "depends_on": [True]}], "dependency True is not allowed"),
    ([{"title": "a", "depends_on": 2}], "depends_on must be a list"),
    ([{"title": ""}], "checkpoint 1 title is required"),
    ([{"title": "x" * 201}], "checkpoint 1 title is 201 characters; at most 200 allowed"),
    ([{"title": "a", "colour": "red"}], "checkpoint 1 has unknown field(s) colour"),
    ([{"title": "a", "git_pr_url": "javascript:alert(1)"}], "git_pr_url 'javascript:alert(1)' is not allowed"),
    ([{"title": "a", "git_branch_url": "https://"}], "use an http or https URL"),
    ([{"title": "a", "completion_gate": [2]}], "completion_gate must be an object"),
    ([42], "checkpoint 1 must be an object with a title"),
]


@pytest.mark.parametrize(("checkpoints", "message"), CREATE_CASES)
def test_create_refuses_bad_checkpoints(team: World, checkpoints: list[Any], message: str) -> None:
    refused(team, lambda: team.api("a1").create_milestone("M", checkpoints, group="team"), ValidationError, message)


def test_create_refuses_bad_milestone_fields(team: World) -> None:
    api = team.api("a1")
    refused(team, lambda: api.create_milestone("", chain("a"), group="team"), ValidationError, "milestone title")
    refused(team, lambda: api.create_milestone("M", chain("a"), group="hidden"), NotFoundError, "group hidden")
    refused(
        team,
        lambda: api.create_milestone("M", chain("a"), group="team", project_id="p" * 201),
        ValidationError,
        "project_id must be text of at most 200 characters",
    )
    refused(
        team,
        lambda: api.create_milestone("M", "abc", group="team"),  # type: ignore[arg-type]
        ValidationError,
        "checkpoints must be a list",
    )


def test_cross_milestone_references_must_exist_and_be_visible(team: World) -> None:
    api = team.api("a1")
    mine = api.create_milestone("Mine", chain("a", "b"), group="team")
    hidden = team.api("h1").create_milestone("Hidden", chain("x"), group="hidden")
    cases: list[tuple[list[Any], type[AccordError], str]] = [
        ([{"title": "t", "depends_on": [f"{mine['id']}:3"]}], ValidationError, f"depends on {mine['id']}:3, which"),
        ([{"title": "t", "depends_on": [f"{hidden['id']}:1"]}], NotFoundError, f"milestone {hidden['id']} not found"),
        ([{"title": "t", "depends_on": ["ms_nothere:1"]}], NotFoundError, "milestone ms_nothere not found"),
    ]
    for checkpoints, error, message in cases:
        refused(
            team,
            functools.partial(api.create_milestone, "M", checkpoints, group="team"),
            error,
            message,
            milestones=[mine["id"], hidden["id"]],
        )
    refused(
        team,
        lambda: api.add_checkpoint(mine["id"], "t", depends_on=[f"{hidden['id']}:1"]),
        NotFoundError,
        f"milestone {hidden['id']} not found",
        milestones=[mine["id"], hidden["id"]],
    )


def test_add_checkpoint_refusals(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b"), group="team")
    ids = [m["id"]]
    cases: list[tuple[Any, type[AccordError], str]] = [
        (lambda: api.add_checkpoint(m["id"], "t", position=0), ValidationError, "position 0 is out of range: use 1-3"),
        (lambda: api.add_checkpoint(m["id"], "t", position=4), ValidationError, "position 4 is out of range"),
        (lambda: api.add_checkpoint(m["id"], "t", depends_on=[3]), ValidationError, "depends on checkpoint 3, which"),
        (lambda: api.add_checkpoint(m["id"], "t", git_pr_url="nope"), ValidationError, "git_pr_url 'nope'"),
        (lambda: api.add_checkpoint(m["id"], ""), ValidationError, "title is required"),
        (lambda: api.add_checkpoint("ms_gone", "t"), NotFoundError, "milestone ms_gone not found"),
        (lambda: team.api("h1").add_checkpoint(m["id"], "t"), NotFoundError, f"milestone {m['id']} not found"),
    ]
    for op, error, message in cases:
        refused(team, op, error, message, milestones=ids)


def test_orders_that_do_not_exist(team: World) -> None:
    api = team.api("a1")
    m = api.create_milestone("M", chain("a", "b"), group="team")
    for op in (
        lambda: api.complete_checkpoint(m["id"], 3),
        lambda: api.update_checkpoint(m["id"], 0, title="x"),
        lambda: api.delete_checkpoint(m["id"], 5),
    ):
        refused(team, op, NotFoundError, f"not found in {m['id']} (its checkpoints: 1-2)", milestones=[m["id"]])


def test_cycles_across_milestones_are_refused_and_named(team: World) -> None:
    api = team.api("a1")
    a = api.create_milestone("A", chain("a1", "a2"), group="team")
    b = api.create_milestone("B", [{"title": "b1", "depends_on": [f"{a['id']}:2"]}, {"title": "b2"}], group="team")
    c = api.create_milestone("C", [{"title": "c1", "depends_on": [f"{b['id']}:1"]}], group="team")
    ids = [a["id"], b["id"], c["id"]]
    # A:1 → C:1 → B:1 → A:2 → A:1
    refused(
        team,
        lambda: api.update_checkpoint(a["id"], 1, depends_on=[f"{c['id']}:1"]),
        ValidationError,
        f"cycle: 1 → {c['id']}:1 → {b['id']}:1 → 2 → 1",
        milestones=ids,
    )
    # Two milestones: B:1 already depends on A:2, so A:2 may not depend on B:1.
    refused(
        team,
        lambda: api.update_checkpoint(a["id"], 2, depends_on=[1, f"{b['id']}:1"]),
        ValidationError,
        f"cycle: 2 → {b['id']}:1 → 2",
        milestones=ids,
    )
    # A diamond is not a cycle.
    assert api.update_checkpoint(b["id"], 2, depends_on=[1, f"{c['id']}:1"])["checkpoint"]["depends_on"] == [
        1,
        f"{c['id']}:1",
    ]
