"""Every refusal of SPEC §2 (and §13) on every face: the right code, the message naming the problem, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from accord.bootstrap import Services
from accord.clock import FixedClock
from tests.entrypoints.drivers import DRIVERS, CliDriver, McpDriver, RestDriver
from tests.support import World

Driver = RestDriver | McpDriver | CliDriver


@dataclass
class Case:
    """A refusal: set-up, the call, and what each face must answer."""

    name: str
    op: str
    args: Callable[[dict[str, Any]], dict[str, Any]]
    message: str
    rest: int
    cli: int
    as_member: str = "a2"
    setup: Callable[[World, FixedClock], dict[str, Any]] = field(default=lambda w, c: {})


def _open(world: World, clock: FixedClock, **fields: Any) -> dict[str, Any]:
    return {"pid": world.api("a1").create_proposal("team", "Question", **fields)["id"]}


def _finalized(world: World, clock: FixedClock) -> dict[str, Any]:
    ctx = _open(world, clock)
    for name in ("a1", "a2", "a3"):
        world.api(name).cast_vote(ctx["pid"], "yes")
    world.api("a1").finalize_proposal(ctx["pid"])
    return ctx


def _past_deadline(world: World, clock: FixedClock) -> dict[str, Any]:
    ctx = _open(world, clock, deadline_hours=1)
    clock.advance(hours=2)
    return ctx


def _locked(world: World, clock: FixedClock) -> dict[str, Any]:
    return _open(world, clock, subject="deploy")


def _escalated(world: World, clock: FixedClock) -> dict[str, Any]:
    ctx = _open(world, clock, critical=True)
    for name in ("a1", "a2", "a3", "boss"):
        world.api(name).cast_vote(ctx["pid"], "yes")
    assert world.api("a1").finalize_proposal(ctx["pid"])["status"] == "escalated"  # unanimity needs a human
    return ctx


def _consensus_step(world: World, clock: FixedClock) -> dict[str, Any]:
    m = world.api("a1").create_milestone("M", [{"title": "Ship", "requires_consensus": True}], group="team")
    return {"ms": m["id"], "pid": m["checkpoints"][0]["proposal_id"]}


def _closed_gate(world: World, clock: FixedClock) -> dict[str, Any]:
    g = world.api("a1").gate_request("lint", {"v": 1}, "team")
    world.api("a1").gate_close(g["id"])
    return {"gid": g["id"]}


def _expired_token(world: World, clock: FixedClock) -> dict[str, Any]:
    issued = world.services.tokens.issue(world.admin, "a2", label="short", expires_in="1h")
    clock.advance(hours=2)
    return {**_open(world, clock), "token": issued["token"], "token_id": issued["id"]}


def _revoked_token(world: World, clock: FixedClock) -> dict[str, Any]:
    issued = world.services.tokens.issue(world.admin, "a2", label="gone")
    world.services.tokens.revoke(world.admin, "a2", issued["id"])
    return {**_open(world, clock), "token": issued["token"], "token_id": issued["id"]}


CASES = [
    Case(
        "finalize before the proposal is closable",
        "finalize_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "cannot be finalized yet: 4 of 4 eligible voters have not voted and could change the outcome; it can be "
        "finalized when they have voted, after the deadline, or once the outcome is settled",
        409,
        75,
        setup=_open,
    ),
    Case(
        "force without a rationale",
        "finalize_proposal",
        lambda c: {"proposal_id": c["pid"], "force": True},
        "rationale is required with force",
        422,
        65,
        as_member="boss",
        setup=_open,
    ),
    Case(
        "force by a member who is not an owner/admin",
        "finalize_proposal",
        lambda c: {"proposal_id": c["pid"], "force": True, "rationale": "now"},
        "a1 may not force prop_",
        403,
        77,
        as_member="a1",
        setup=_open,
    ),
    Case(
        "finalize an escalated proposal",
        "finalize_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "is escalated: a human owner/admin decides it with ",  # resolve_proposal; the CLI names its command
        409,
        75,
        setup=_escalated,
    ),
    Case(
        "an agent cancelling an escalated proposal",
        "cancel_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "a1 may not cancel prop_",
        403,
        77,
        as_member="a1",
        setup=_escalated,
    ),
    Case(
        "min_human_approvals the group cannot meet",
        "create_proposal",
        lambda c: {"group": "team", "title": "Deploy?", "min_human_approvals": 2},
        "team has 1 eligible human voter(s) besides a2; 2 human approvals are required",
        422,
        65,
    ),
    Case(
        "close_at_deadline without a deadline",
        "create_proposal",
        lambda c: {"group": "team", "title": "Deploy?", "close_at_deadline": True},
        "close_at_deadline needs deadline or deadline_hours",
        422,
        65,
    ),
    Case(
        "asking again while the approval is open",
        "request_checkpoint_approval",
        lambda c: {"milestone_id": c["ms"], "order": 1},
        "checkpoint 1 of ms_",
        409,
        75,
        setup=_consensus_step,
    ),
    Case(
        "verifying a payload with no canonical form",
        "gate_verify",
        lambda c: {"request_id": c["gid"], "payload": {"n": 2**60}},
        "payload is not canonical JSON",
        422,
        65,
        setup=_closed_gate,
    ),
    Case(
        "unknown option",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "Mongo"},
        "unknown option 'Mongo': allowed options are Redis, Valkey",
        422,
        65,
        setup=lambda w, c: _open(w, c, voting_type="single", options=["Redis", "Valkey"]),
    ),
    Case(
        "duplicate options",
        "create_proposal",
        lambda c: {"group": "team", "title": "Cache?", "voting_type": "single", "options": ["Redis", " redis"]},
        "duplicate option",
        422,
        65,
    ),
    Case(
        "malformed ranked ballot",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": ["SSO", "SSO"]},
        "a ranked vote lists SSO more than once",
        422,
        65,
        setup=lambda w, c: _open(w, c, voting_type="ranked", options=["SSO", "API v2"]),
    ),
    Case(
        "confidence outside 0-1",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes", "confidence": 1.5},
        "confidence must be 0.0-1.0, got 1.5",
        422,
        65,
        setup=_open,
    ),
    Case(
        "confidence with an exponent beyond 30 (SPEC §13: refused before it is converted)",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes", "confidence": "1e10000000"},
        "confidence must be a decimal number of at most 32 characters with an exponent from -30 to 30",
        422,
        65,
        setup=_open,
    ),
    Case(
        "deadline_hours beyond a year (SPEC §13)",
        "create_proposal",
        lambda c: {"group": "team", "title": "Later?", "deadline_hours": 1e15},
        "deadline_hours must be greater than 0 and at most 8760 (a year)",
        422,
        65,
    ),
    Case(
        "a NUL character in a title (SPEC §13: both stores alike)",
        "create_proposal",
        lambda c: {"group": "team", "title": "Deploy\x00?"},
        "title must be valid Unicode text without NUL characters; it holds a NUL character",
        422,
        65,
    ),
    Case(
        "abstain under unanimous",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "abstain"},
        "abstain is not allowed under unanimous",
        422,
        65,
        setup=lambda w, c: _open(w, c, threshold_type="unanimous"),
    ),
    Case(
        "vote after the deadline",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes"},
        "voting closed at 2026-01-01T13:00:00+00:00",
        409,
        75,
        setup=_past_deadline,
    ),
    Case(
        "vote after finalize",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes"},
        "is finalized",
        409,
        75,
        setup=_finalized,
    ),
    Case(
        "not an eligible voter",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes"},
        "a1 is not an eligible voter of",
        403,
        77,
        as_member="a1",
        setup=lambda w, c: _open(w, c, prevent_self_vote=True),
    ),
    Case(
        "second open proposal on a locked subject",
        "create_proposal",
        lambda c: {"group": "team", "title": "Deploy again", "subject": "deploy"},
        "subject 'deploy' already has an open request prop_",
        409,
        75,
        setup=_locked,
    ),
    Case(
        "wrong token",
        "get_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "invalid token",
        401,
        77,
        as_member="<wrong>",
        setup=_open,
    ),
    Case(
        "expired token (SPEC §1 rev. 2)",
        "get_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "expired at 2026-01-01T13:00:00Z",
        401,
        77,
        setup=_expired_token,
    ),
    Case(
        "revoked token (SPEC §1 rev. 2)",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes"},
        "token revoked: token tok_",
        401,
        77,
        setup=_revoked_token,
    ),
    Case(
        "missing token",
        "get_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "missing token",
        401,
        77,
        as_member="<none>",
        setup=_open,
    ),
    Case(
        "non-member reading a group's proposal",
        "get_proposal",
        lambda c: {"proposal_id": c["pid"]},
        "not found",
        404,
        66,
        as_member="outsider",
        setup=_open,
    ),
    Case(
        "non-member voting",
        "cast_vote",
        lambda c: {"proposal_id": c["pid"], "vote": "yes"},
        "not found",
        404,
        66,
        as_member="outsider",
        setup=_open,
    ),
    Case(
        "a plain member adds a webhook",
        "add_webhook",
        lambda c: {"group": "team", "url": "https://example.com/hook"},
        "a2 may not manage group team: only its owners/admins and store administrators may",
        403,
        77,
    ),
    Case(
        "a webhook to a loopback address",
        "add_webhook",
        lambda c: {"group": "team", "url": "http://127.0.0.1:9/hook"},
        "url 'http://127.0.0.1:9/hook' is refused: host 127.0.0.1 resolves to 127.0.0.1, a loopback, private or "
        "link-local address (allowed only with ACCORD_ALLOW_PRIVATE_TARGETS=1)",
        422,
        65,
        as_member="boss",
    ),
    Case(
        "a webhook to a link-local address",
        "add_webhook",
        lambda c: {"group": "team", "url": "http://169.254.169.254/latest"},
        "host 169.254.169.254 resolves to 169.254.169.254, a loopback, private or link-local address",
        422,
        65,
        as_member="boss",
    ),
    Case(
        "a webhook that is not http(s)",
        "add_webhook",
        lambda c: {"group": "team", "url": "ftp://example.com/hook"},
        "url 'ftp://example.com/hook' must use http or https, not ftp",
        422,
        65,
        as_member="boss",
    ),
    Case(
        "a webhook event filter that is not an event type",
        "add_webhook",
        lambda c: {"group": "team", "url": "https://example.com/hook", "events": ["proposal.*", "gate requested"]},
        "events filter 'gate requested' is not an event type (e.g. gate.requested), a family (proposal.*) or *",
        422,
        65,
        as_member="boss",
    ),
]


SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
CASES += [
    Case(
        "a member adds a channel for another member",
        "add_channel",
        lambda c: {"member": "a1", "url": SLACK},
        "a2 may not add channels for a1: a member manages its own channels, an administrator any",
        403,
        77,
    ),
    Case(
        "a channel scheme off the allow-list",
        "add_channel",
        lambda c: {"member": "a2", "url": "windows://"},
        "url scheme 'windows' is not allowed: use mail (mailto, mailtos), chat",
        422,
        65,
    ),
    Case(
        "a channel whose server is on a private address",
        "add_channel",
        lambda c: {"member": "a2", "url": "json://10.0.0.7:8080/notify"},
        "url is refused: host 10.0.0.7 resolves to 10.0.0.7, a loopback, private or link-local address "
        "(allowed only with ACCORD_ALLOW_PRIVATE_TARGETS=1)",
        422,
        65,
    ),
    Case(
        "a channel filter naming no notice",
        "add_channel",
        lambda c: {"member": "a2", "url": SLACK, "events": ["vote.cast"]},
        "events: 'vote.cast' matches no notice; use vote.requested, vote.reminder",
        422,
        65,
    ),
    Case(
        "a member reads another member's channels",
        "list_channels",
        lambda c: {"member": "a1"},
        "a2 may not see the channels of a1",
        403,
        77,
    ),
    Case(
        "removing a channel that is not there",
        "remove_channel",
        lambda c: {"member": "a2", "channel_id": "ch_nothere"},
        "channel ch_nothere of a2 not found",
        404,
        66,
    ),
]


@pytest.fixture
def refusal_world(sqlite_url: str, clock: FixedClock) -> Any:
    from accord.bootstrap import build_services

    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", {"a1": {}, "a2": {}, "a3": {}, "boss": {"role": "owner", "kind": "human"}})
    world.group("elsewhere", ["outsider"])
    yield services, world
    services.close()


def _state(world: World) -> tuple[Any, ...]:
    admin = world.api("admin")
    proposals = [admin.get_proposal(p["id"], history=True) for p in admin.list_proposals()]
    return tuple(proposals), tuple(e["id"] for e in admin.list_events(limit=500))


@pytest.mark.parametrize("driver_class", DRIVERS, ids=lambda d: d.name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_refusal(
    case: Case, driver_class: type[Driver], refusal_world: tuple[Services, World], sqlite_url: str, clock: FixedClock
) -> None:
    services, world = refusal_world
    context = case.setup(world, clock)
    token = {"<wrong>": "acc_not-a-token", "<none>": None}.get(case.as_member, world.tokens.get(case.as_member))
    token = context.pop("token", token)  # a case's own token (an expired or revoked one)
    before = _state(world)
    outcome = driver_class(services, sqlite_url).call(token, case.op, **case.args(context))
    assert not outcome.ok
    assert case.message in outcome.message
    expected = {"rest": case.rest, "cli": case.cli, "mcp": 1}[driver_class.name]
    assert outcome.code == expected
    assert _state(world) == before
