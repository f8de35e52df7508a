"""Milestone input rules and transitions, pure: references, URLs, positions, consensus rules, closing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.domain.errors import NotFoundError, ValidationError
from accord.domain.milestones import (
    Milestone,
    Ref,
    approval_title,
    check_order,
    check_position,
    check_url,
    parse_checkpoint,
    parse_consensus,
    parse_ref,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_references() -> None:
    assert parse_ref(2, "c") == Ref(2)
    assert parse_ref(" 3 ", "c") == Ref(3)
    assert parse_ref("ms_backend_v2:3", "c") == Ref(3, "ms_backend_v2")
    assert Ref(3, "ms_backend_v2").shown() == "ms_backend_v2:3" and Ref(4).shown() == 4
    for bad in (0, -1, "ms_x:0", "ms x:1", ":1", "a:b", 1.5, None, True, [1]):
        with pytest.raises(ValidationError, match="is not allowed: use a checkpoint order"):
            parse_ref(bad, "checkpoint 1")


def test_duplicate_dependencies_collapse() -> None:
    spec = parse_checkpoint({"title": "t", "depends_on": [1, "1", 2, 1]}, "checkpoint 3")
    assert spec.depends_on == (Ref(1), Ref(2))


def test_a_bare_string_is_a_title() -> None:
    assert parse_checkpoint("Design", "checkpoint 1").title == "Design"


def test_urls() -> None:
    assert check_url("https://github.com/org/repo/pull/42", "git_pr_url") == "https://github.com/org/repo/pull/42"
    assert check_url("", "git_pr_url") is None and check_url(None, "git_pr_url") is None
    for bad in (
        "ftp://x/y",
        "github.com/x",
        "https://",
        "http://a b",
        "javascript:alert(1)",
        5,
        "https://x/" + "a" * 3000,
    ):
        with pytest.raises(ValidationError, match="git_pr_url"):
            check_url(bad, "git_pr_url")


def test_positions_and_orders() -> None:
    assert check_position(1, 0) == 1 and check_position(4, 3) == 4
    for bad in (0, 5, True, "2", None):
        with pytest.raises(ValidationError, match="out of range: use 1-4"):
            check_position(bad, 3)
    assert check_order(2, 3, "ms_a") == 2
    with pytest.raises(NotFoundError, match=r"checkpoint 4 not found in ms_a \(its checkpoints: 1-3\)"):
        check_order(4, 3, "ms_a")
    with pytest.raises(ValidationError, match="order 'x' is not allowed"):
        check_order("x", 3, "ms_a")


def test_consensus_rules() -> None:
    assert parse_consensus(True, "c") == {} and parse_consensus(False, "c") is None
    assert parse_consensus({"group": "humans", "quorum": None}, "c") == {"group": "humans"}
    with pytest.raises(ValidationError, match="does not take title"):
        parse_consensus({"title": "x"}, "c")
    with pytest.raises(ValidationError, match="weighted has the wrong type"):
        parse_consensus({"weighted": "yes"}, "c")
    with pytest.raises(ValidationError, match="min_votes has the wrong type"):
        parse_consensus({"min_votes": True}, "c")


def test_approval_title_fits_200_characters() -> None:
    assert approval_title("Deploy to production") == "Approve checkpoint: Deploy to production"
    assert len(approval_title("x" * 200)) == 200


def test_milestone_closes_with_its_last_checkpoint_and_reopens() -> None:
    m = Milestone(id="ms_a", group="g", title="t", created_by="a", created_at=NOW, total=2)
    assert m.count_completion(at=NOW) is False
    assert m.count_completion(at=NOW) is True and m.status == "closed" and m.closed_at == NOW
    assert m.reopen() is True
    reopened = m  # a fresh name: mypy still narrows m.status to "closed" from the line above
    assert (reopened.status, reopened.closed_at) == ("active", None)
    assert m.reopen() is False
    empty = Milestone(id="ms_b", group="g", title="t", created_by="a", created_at=NOW)
    assert empty.close_if_done(at=NOW) is False  # nothing to complete is not "all completed"
