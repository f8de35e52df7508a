"""SPEC §13 on every face and both stores: each input of issue 9 item 1 gets the answer naming the field and its
range, and nothing is written (a NUL is refused on SQLite as on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from tests.entrypoints.drivers import CliDriver, McpDriver, RestDriver
from tests.support import World

Driver = RestDriver | McpDriver | CliDriver
ALL = ("rest", "mcp", "cli")
NO_MCP = ("rest", "cli")  # operations the MCP face does not offer
JSON_ONLY = ("rest", "mcp")  # a JSON boolean: the CLI's options are text
TEXT_DECIMALS = ("rest", "cli")  # MCP's `threshold` is a JSON number: long text becomes a float before Accord
DECIMAL = "must be a decimal number of at most 32 characters with an exponent from -30 to 30"
TEXT = "must be valid Unicode text without NUL characters"


@dataclass
class Case:
    name: str
    op: str
    args: Callable[[dict[str, Any]], dict[str, Any]]
    message: str
    faces: tuple[str, ...] = ALL
    as_member: str = "a1"
    setup: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


def _open(world: World) -> dict[str, Any]:
    return {"pid": world.api("a1").create_proposal("team", "Question")["id"]}


def _proposal(**extra: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda c: {"group": "team", "title": "Deploy?", **extra}


def _vote(**extra: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda c: {"proposal_id": c["pid"], "vote": "yes", **extra}


HUGE = 2**70
CASES = [
    Case(
        "confidence with a huge exponent",
        "cast_vote",
        _vote(confidence="1e10000000"),
        "confidence " + DECIMAL,
        setup=_open,
    ),
    Case(
        "confidence true",
        "cast_vote",
        _vote(confidence=True),
        "confidence must be a number, not a boolean",
        JSON_ONLY,
        setup=_open,
    ),
    Case("NUL in a comment", "cast_vote", _vote(comment="a\x00b"), "comment " + TEXT, setup=_open),
    Case("lone surrogate in a comment", "cast_vote", _vote(comment="a\udc80b"), "comment " + TEXT, setup=_open),
    Case("lone surrogate in a title", "create_proposal", _proposal(title="x\ud800y"), "title " + TEXT),
    Case("NUL in a title", "create_proposal", _proposal(title="x\x00y"), "title " + TEXT),
    Case(
        "deadline_hours 1e15",
        "create_proposal",
        _proposal(deadline_hours=1e15),
        "deadline_hours must be greater than 0 and at most 8760",
    ),
    Case(
        "deadline_hours true",
        "create_proposal",
        _proposal(deadline_hours=True),
        "deadline_hours must be a number, not a boolean",
        JSON_ONLY,
    ),
    Case(
        "threshold true",
        "create_proposal",
        _proposal(threshold_type="custom", threshold=True),
        "threshold must be a number, not a boolean",
        JSON_ONLY,
    ),
    Case(
        "threshold of 33 characters",
        "create_proposal",
        _proposal(threshold_type="custom", threshold="0." + "5" * 31),
        "threshold " + DECIMAL,
        TEXT_DECIMALS,
    ),
    Case(
        "min_votes 2^70",
        "create_proposal",
        _proposal(min_votes=HUGE),
        "min_votes must be a whole number from 0 to 9007199254740992",
    ),
    Case(
        "min_votes true",
        "create_proposal",
        _proposal(min_votes=True),
        "min_votes must be a whole number, not a boolean",
        JSON_ONLY,
    ),
    Case(
        "max_rounds 2^70",
        "create_proposal",
        _proposal(max_rounds=HUGE),
        "max_rounds must be a whole number from 1 to 9007199254740992",
    ),
    Case("quorum 1e-31", "create_proposal", _proposal(quorum="1e-31"), "quorum " + DECIMAL),
    Case(
        "weight 1e400",
        "add_group_member",
        lambda c: {"group": "team", "member": "a2", "weight": "1e400"},
        "weight " + DECIMAL,
        NO_MCP,
        as_member="admin",
    ),
    Case(
        "weight true",
        "add_group_member",
        lambda c: {"group": "team", "member": "a2", "weight": True},
        "weight must be a number, not a boolean",
        ("rest",),
        as_member="admin",
    ),
    Case(
        "default_timeout_seconds 2^70",
        "set_group_policy",
        lambda c: {"group": "team", "default_timeout_seconds": HUGE},
        "default_timeout_seconds must be a whole number of seconds from 1 to 2678400 (31 days)",
        NO_MCP,
        as_member="admin",
    ),
    Case(
        "a pattern of 257 characters",
        "set_group_policy",
        lambda c: {"group": "team", "irreversible_pattern": "a" * 257},
        "irreversible_pattern is 257 characters; at most 256 allowed",
        NO_MCP,
        as_member="admin",
    ),
    Case(
        "a pattern RE2 cannot compile",
        "set_group_policy",
        lambda c: {"group": "team", "irreversible_pattern": r"(deploy)\1"},
        "irreversible_pattern is not a valid RE2 pattern",
        NO_MCP,
        as_member="admin",
    ),
    Case(
        "audit after 2^65-1",
        "audit",
        lambda c: {"after": 36893488147419103231},
        "after must be a whole number from 0 to 9007199254740992",
        NO_MCP,
    ),
    Case(
        "events after 2^70",
        "list_events",
        lambda c: {"after": HUGE},
        "after must be a whole number from 0 to 9007199254740992",
        NO_MCP,
    ),
    Case(
        "NUL in a gate's subject",
        "gate_request",
        lambda c: {"subject": "deploy\x00", "group": "team"},
        "subject " + TEXT,
    ),
]

DRIVERS: dict[str, type[Driver]] = {"rest": RestDriver, "mcp": McpDriver, "cli": CliDriver}
PARAMS = [pytest.param(case, face, id=f"{case.name}-{face}") for case in CASES for face in ALL if face in case.faces]


@pytest.fixture
def limits_world(store_url: str, clock: FixedClock) -> Iterator[tuple[Services, World, str]]:
    services = build_services(store_url, clock)
    world = World(services)
    world.group("team", {"a1": {"role": "owner"}, "a2": {}, "boss": {"role": "owner", "kind": "human"}})
    yield services, world, store_url
    services.close()


def state(world: World) -> tuple[Any, ...]:
    """Everything a refused call could have changed: proposals, the event log, the group and its policy."""
    admin = world.api("admin")
    proposals = [admin.get_proposal(p["id"], history=True) for p in admin.list_proposals()]
    events = tuple(e["id"] for e in admin.audit(limit=500))
    return tuple(proposals), events, tuple(map(str, admin.list_members("team"))), str(admin.get_group_policy("team"))


@pytest.mark.parametrize(("case", "face"), PARAMS)
def test_limit(case: Case, face: str, limits_world: tuple[Services, World, str]) -> None:
    services, world, url = limits_world
    context = case.setup(world)
    before = state(world)
    outcome = DRIVERS[face](services, url).call(world.tokens[case.as_member], case.op, **case.args(context))
    assert not outcome.ok
    assert case.message in outcome.message
    assert outcome.code == {"rest": 422, "cli": 65, "mcp": 1}[face]
    assert state(world) == before


@pytest.mark.parametrize("face", ALL)
def test_a_backtracking_pattern_is_matched_in_linear_time(face: str, limits_world: tuple[Services, World, str]) -> None:
    """Issue 9: `(a+)+$` against `aaa…?` took Python's `re` ~53 s while holding the store; RE2 answers at once."""
    services, world, url = limits_world
    world.api("admin").set_group_policy("team", irreversible_pattern="(a+)+$")
    outcome = DRIVERS[face](services, url).call(
        world.tokens["a1"], "gate_request", subject="a" * 29 + "?", group="team"
    )
    assert outcome.ok, outcome.message
    gate = world.api("a1").gate_tally("a" * 29 + "?", group="team")
    assert gate["irreversible"] is False  # `(a+)+$` does not match before a trailing '?'
