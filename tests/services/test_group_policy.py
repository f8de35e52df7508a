"""A group's policy (SPEC §5, §11, §12, §13): defaults, partial changes, switching off, refusals that change nothing."""

from __future__ import annotations

import pytest

from accord.domain.errors import ForbiddenError, NotFoundError, ValidationError
from tests.support import World

DEFAULTS = {
    "group": "ops",
    "irreversible_pattern": "push|deploy|merge|release|publish",
    "default_timeout_seconds": 3600,
    "irreversible_human_approvals": 0,
    "receipt_ttl_seconds": 900,
    "remind_after_seconds": None,
    "escalate_after_seconds": None,
}


def test_a_new_group_has_the_default_policy_and_members_may_read_it(world: World) -> None:
    world.group("ops", {"ana": {"role": "owner"}, "bo": {}})
    assert world.api("bo").get_group_policy("ops") == DEFAULTS


def test_a_change_sets_only_the_given_fields_and_clear_switches_one_off(world: World) -> None:
    world.group("ops", {"ana": {"role": "owner"}})
    ana = world.api("ana")
    changed = ana.set_group_policy(
        "ops",
        irreversible_human_approvals=1,
        receipt_ttl_seconds=120,
        remind_after_seconds=600,
        escalate_after_seconds=7200,
    )
    assert changed == {
        **DEFAULTS,
        "irreversible_human_approvals": 1,
        "receipt_ttl_seconds": 120,
        "remind_after_seconds": 600,
        "escalate_after_seconds": 7200,
    }
    after = ana.set_group_policy("ops", clear=["remind_after_seconds"])
    assert (after["remind_after_seconds"], after["escalate_after_seconds"]) == (None, 7200)
    assert ana.get_group_policy("ops") == after
    events = world.api("admin").audit(ref="group:ops")
    assert [e["data"] for e in events if e["type"] == "group.policy_changed"][-1] == {"remind_after_seconds": None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"receipt_ttl_seconds": 0}, "receipt_ttl_seconds"),
        ({"remind_after_seconds": 31 * 86400 + 1}, "remind_after_seconds"),
        ({"default_timeout_seconds": True}, "default_timeout_seconds"),
        ({"escalate_after_seconds": 2**70}, "escalate_after_seconds"),
        ({"irreversible_human_approvals": -1}, "irreversible_human_approvals"),
        ({"clear": ["receipt_ttl_seconds"]}, "clear"),
        ({"clear": ["remind_after_seconds"], "remind_after_seconds": 60}, "clear"),
        ({"irreversible_pattern": "("}, "irreversible_pattern"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field_and_nothing_changes(
    world: World, change: dict[str, object], field: str
) -> None:
    world.group("ops", {"ana": {"role": "owner"}})
    with pytest.raises(ValidationError) as refused:
        world.api("ana").set_group_policy("ops", **change)  # type: ignore[arg-type]
    assert refused.value.details["field"] == field
    assert field in str(refused.value)
    assert world.api("ana").get_group_policy("ops") == DEFAULTS


def test_only_managers_change_it_and_outsiders_do_not_see_it(world: World) -> None:
    world.group("ops", {"ana": {"role": "owner"}, "bo": {}})
    world.member("eve")
    with pytest.raises(ForbiddenError):
        world.api("bo").set_group_policy("ops", receipt_ttl_seconds=60)
    with pytest.raises(NotFoundError):
        world.api("eve").get_group_policy("ops")
    with pytest.raises(NotFoundError):
        world.api("eve").set_group_policy("ops", receipt_ttl_seconds=60)
