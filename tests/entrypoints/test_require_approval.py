"""`accord.client.require_approval` against a real server: the action runs only on an approval whose receipt
holds for exactly its payload (and is redeemed once); otherwise ApprovalDenied says why and who said what."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from accord.bootstrap import build_services
from accord.client import AccordClient, ApprovalDenied, require_approval
from accord.domain.errors import ConflictError
from tests.entrypoints.test_client_harness import LiveServer
from tests.support import World


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    """On the real clock: the client checks receipts' expiry against it, offline."""
    services = build_services(store_url)
    yield World(services)
    services.close()


@pytest.fixture
def ana(world: World) -> Iterator[AccordClient]:
    world.group("ops", {"ana": {}, "ben": {}, "cy": {}, "sec": {"veto": True}})
    with LiveServer(world.services) as server, AccordClient(server.url, world.tokens["ana"]) as client:
        yield client


def votes_when_asked(world: World, ballots: dict[str, tuple[str, str]]) -> list[threading.Thread]:
    """The voters, in this order, each wait for the gate's REQUEST message (no polling) and vote with a comment."""

    def vote_in_order() -> None:
        for voter, (vote, comment) in ballots.items():
            api = world.api(voter)
            message = api.services.inbox.recv(api.actor, 60, type="REQUEST")
            assert message is not None, f"{voter} was never asked"
            api.gate_vote(message["payload"]["request_id"], vote, comment)

    thread = threading.Thread(target=vote_in_order)
    thread.start()
    return [thread]


def test_the_decorated_action_runs_once_on_approval(world: World, ana: AccordClient) -> None:
    done: list[str] = []

    @require_approval(group="ops", subject="restart:api", payload={"service": "api"}, client=ana, timeout=60)
    def restart(service: str) -> str:
        done.append(service)
        return f"{service} restarted"

    voters = votes_when_asked(world, {"ben": ("yes", "fine"), "cy": ("yes", "go")})
    assert restart("api") == "api restarted"
    for t in voters:
        t.join()
    assert done == ["api"]
    gate = ana.gate_tally("restart:api", "ops")["latest"]
    assert (gate["status"], gate["closed"]) == ("approved", True)
    receipt = gate.get("receipt") or ana.gate_close(gate["request_id"])["receipt"]
    claims = ana.verify_receipt(receipt, {"service": "api"})["claims"]
    with pytest.raises(ConflictError, match="was redeemed at"):
        ana.redeem_receipt(claims["jti"])  # require_approval redeemed it before acting


def test_a_veto_denies_and_the_body_never_runs(world: World, ana: AccordClient) -> None:
    ran = False
    voters = votes_when_asked(world, {"ben": ("yes", "ok by me"), "sec": ("no", "not during the freeze")})
    with pytest.raises(ApprovalDenied) as denied:
        with require_approval(group="ops", subject="migrate:db", payload={"to": 42}, client=ana, timeout=60):
            ran = True
    for t in voters:
        t.join()
    assert not ran
    assert (denied.value.outcome, denied.value.vetoes) == ("vetoed", ["sec"])
    said = {c["voter"]: (c["vote"], c["comment"]) for c in denied.value.comments}
    assert said == {"ben": ("yes", "ok by me"), "sec": ("no", "not during the freeze")}
    assert "not during the freeze" in str(denied.value)


def test_no_decision_in_time_denies_and_frees_the_subject(world: World, ana: AccordClient) -> None:
    with pytest.raises(ApprovalDenied) as denied:
        with require_approval(group="ops", subject="purge:cache", client=ana, timeout=0):
            pytest.fail("ran without approval")
    assert denied.value.outcome == "timeout"
    assert ana.gate_tally("purge:cache", "ops")["status"] == "none_open"  # closed: the next request may go


def test_async_with_a_payload_from_the_call(world: World, ana: AccordClient) -> None:
    sent: list[Any] = []

    @require_approval(group="ops", subject="scale:api", payload=lambda n: {"replicas": n}, client=ana, timeout=60)
    async def scale(n: int) -> int:
        sent.append(n)
        return n

    voters = votes_when_asked(world, {"ben": ("yes", "ok"), "cy": ("yes", "ok")})
    assert asyncio.run(scale(5)) == 5
    for t in voters:
        t.join()
    latest = ana.gate_tally("scale:api", "ops")["latest"]
    assert ana.gate_verify(latest["request_id"], {"replicas": 5})["verified"] is True
    assert sent == [5]


def test_async_context_manager_denies_a_rejection(world: World, ana: AccordClient) -> None:
    ballots = {"ben": ("no", "too risky"), "cy": ("no", "agree"), "sec": ("abstain", "not my area")}
    voters = votes_when_asked(world, ballots)

    async def attempt() -> None:
        async with require_approval(group="ops", subject="drop:table", client=ana, timeout=60):
            pytest.fail("ran without approval")

    with pytest.raises(ApprovalDenied) as denied:
        asyncio.run(attempt())
    for t in voters:
        t.join()
    assert (denied.value.outcome, denied.value.vetoes) == ("rejected", [])
    assert {c["comment"] for c in denied.value.comments} == {"too risky", "agree", "not my area"}
