"""Gates, SPEC §5 rev. 2, on SQLite and PostgreSQL: only an open request counts by subject, only the requester
acts, and the approval is bound to its payload's digest."""

from __future__ import annotations

from typing import Any

import pytest

from accord.canonical import payload_digest
from accord.clock import FixedClock
from accord.domain.errors import NotFoundError, ValidationError
from tests.services.test_gates import rows, team
from tests.support import World

PAYLOAD: dict[str, Any] = {"version": "2.0", "services": ["api", "web"], "canary": 0.1}


def approved_gate(world: World, payload: Any = PAYLOAD) -> dict[str, Any]:
    team(world)
    g = world.api("core-development").gate_request("deploy", payload, "swarm")
    world.api("qa-team").gate_vote(g["id"], "yes")
    world.api("security-team").gate_vote(g["id"], "yes")
    return g


def test_the_second_wait_on_a_closed_subject_answers_none_open(world: World) -> None:
    """Issue 10, situation 3: after the requester's wait closed an approved gate, `wait deploy` approved again."""
    g = approved_gate(world)
    first = world.api("core-development").gate_wait("deploy", timeout=5)
    assert (first["status"], first["closed"], first["actionable"]) == ("approved", True, True)
    for member in ("core-development", "qa-team", "docs-team"):
        again = world.api(member).gate_wait("deploy", timeout=5)
        assert (again["status"], again["actionable"], again["latest"]["id"]) == ("none_open", False, g["id"])
        assert again["reason"] == (
            f"no open request for subject 'deploy'; the latest, {g['id']}, closed at {first['closed_at']} as "
            "approved: request again to act again"
        )
        assert world.api(member).gate_tally("deploy")["status"] == "none_open"
    assert world.api("core-development").gate_tally(g["id"])["actionable"] is True  # by id, to its requester
    assert world.api("qa-team").gate_tally(g["id"])["actionable"] is False


def test_only_the_requesters_wait_closes_and_is_actionable(world: World) -> None:
    g = approved_gate(world)
    other = world.api("qa-team").gate_wait("deploy", timeout=5)
    assert (other["status"], other["closed"], other["actionable"]) == ("approved", False, False)
    assert world.api("qa-team").gate_tally("deploy")["closed"] is False  # still open: nobody else closed it
    closed = world.api("core-development").gate_close(g["id"])
    assert (closed["closed"], closed["actionable"]) == (True, True)


def test_a_subject_never_requested_stays_not_found(world: World) -> None:
    team(world)
    with pytest.raises(NotFoundError, match="no gate request for subject 'deploy' in your groups"):
        world.api("qa-team").gate_wait("deploy", timeout=1)


def test_an_expired_request_is_not_open(world: World, clock: FixedClock) -> None:
    team(world)
    g = world.api("core-development").gate_request("deploy", None, "swarm", 60)
    clock.advance(61)
    answer = world.api("qa-team").gate_tally("deploy")
    assert (answer["status"], answer["latest"]["id"], answer["latest"]["status"]) == ("none_open", g["id"], "expired")
    assert "as expired: request again to act again" in answer["reason"]


def test_every_gate_view_shows_the_payload_digest(world: World) -> None:
    team(world)
    digest = payload_digest(PAYLOAD)
    g = world.api("core-development").gate_request("deploy", PAYLOAD, "swarm")
    assert g["payload_digest"] == digest and len(digest) == 64
    assert world.api("qa-team").gate_vote(g["id"], "yes")["gate"]["payload_digest"] == digest
    assert world.api("qa-team").gate_tally("deploy")["payload_digest"] == digest
    assert world.api("core-development").gate_close(g["id"])["payload_digest"] == digest
    bare = world.api("core-development").gate_request("lint", None, "swarm")
    assert bare["payload_digest"] == payload_digest(None)  # an absent payload is JCS of null


def test_a_payload_with_no_canonical_form_is_refused(world: World) -> None:
    team(world)
    before = rows(world.services)
    for payload in ({"n": 2**60}, {"x": float("inf")}):
        with pytest.raises(ValidationError, match=r"^payload is not canonical JSON: "):
            world.api("core-development").gate_request("deploy", payload, "swarm")
    assert rows(world.services) == before


def test_gate_verify_binds_the_approval_to_its_payload(world: World) -> None:
    g = approved_gate(world)
    core = world.api("core-development")
    pending = core.gate_verify(g["id"], PAYLOAD)
    assert (pending["verified"], pending["reason"]) == (False, f"gate {g['id']} is not approved: approved (still open)")
    core.gate_close(g["id"])
    reordered = {"canary": 0.1, "services": ["api", "web"], "version": "2.0"}  # same canonical form
    ok = world.api("qa-team").gate_verify(g["id"], reordered)
    assert (ok["verified"], ok["payload_digest"], ok["given_digest"]) == (
        True,
        payload_digest(PAYLOAD),
        payload_digest(PAYLOAD),
    )
    other = {**PAYLOAD, "version": "2.1"}
    wrong = core.gate_verify(g["id"], other)
    assert (wrong["verified"], wrong["reason"]) == (
        False,
        f"gate {g['id']} was approved for payload {payload_digest(PAYLOAD)}, not {payload_digest(other)}",
    )
    with pytest.raises(ValidationError, match="payload is not canonical JSON"):
        core.gate_verify(g["id"], {"n": 2**60})
    world.member("outsider")
    with pytest.raises(NotFoundError, match=f"gate request {g['id']} not found"):
        world.api("outsider").gate_verify(g["id"], PAYLOAD)


def test_gate_verify_refuses_a_rejected_gate(world: World) -> None:
    team(world)
    g = world.api("core-development").gate_request("deploy", PAYLOAD, "swarm")
    world.api("qa-team").gate_vote(g["id"], "no")
    world.api("security-team").gate_vote(g["id"], "no")
    world.api("core-development").gate_close(g["id"])
    answer = world.api("core-development").gate_verify(g["id"], PAYLOAD)
    assert (answer["verified"], answer["reason"]) == (False, f"gate {g['id']} is not approved: vetoed")
