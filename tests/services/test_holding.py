"""What a member may see and hold (SPEC §8 rev. 2), on SQLite and PostgreSQL: direct messages' events are
private to their two members, and every wait held with a token ends on its revocation or expiry, or on the
member's removal from the group waited on (only that group's)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import AccordError, AuthError, NotFoundError
from tests.support import World

JOIN = 20  # seconds a test waits for a held wait to end before failing (never reached when things work)


class Held:
    """A blocking wait run in a thread: its result or the error it ended with."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = threading.Event()

        def run() -> None:
            self.started.set()
            try:
                self.result = work()
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        self.started.wait(JOIN)

    def ended(self) -> BaseException | None:
        self.thread.join(JOIN)
        assert not self.thread.is_alive(), "the held wait did not end"
        return self.error


def subscribed(services: Services, count: int) -> None:
    """Block until `count` waiters have subscribed to the hub (so the change below happens mid-wait)."""
    deadline = threading.Event()
    for _ in range(2000):
        with services.ctx.hub._lock:
            if len(services.ctx.hub._subs) >= count:
                return
        deadline.wait(0.01)
    raise AssertionError("the wait never subscribed")


def test_a_direct_messages_events_are_seen_only_by_its_two_members(services: Services, world: World) -> None:
    world.group("crew", ["lead", "ana", "bo"])
    sent = world.api("lead").send_message("ana", "your eyes only", "crew", type="task")
    world.api("ana").claim_message(sent["id"])
    world.api("lead").send_message("*", "all hands", "crew")

    def seen(name: str) -> list[tuple[str, Any]]:
        api = world.api(name)
        rows = api.list_events(0) if name != "admin" else api.audit(latest=500)
        return [(e["type"], e["data"].get("to")) for e in rows if e["type"].startswith("message.")]

    private = [("message.sent", "ana"), ("message.claimed", None)]
    broadcast = [("message.sent", "ana"), ("message.sent", "bo")]
    assert seen("lead") == private + broadcast
    assert seen("ana") == [*private, ("message.sent", "ana")]
    assert seen("bo") == [("message.sent", "bo")]  # neither the direct message nor ana's copy of the broadcast
    assert seen("admin") == private + broadcast
    assert all(e["type"] != "message.claimed" for e in world.api("bo").audit(ref=f"message:{sent['id']}"))


def test_a_long_poll_ends_when_its_token_is_revoked(services: Services, world: World) -> None:
    world.group("crew", ["ana", "bo"])
    issued = services.tokens.issue(world.admin, "ana", label="feed")
    holder = services.identity.authenticate(issued["token"])
    after = services.events.since(world.admin, 0, 500)[-1]["id"]
    held = Held(lambda: services.events.feed(holder, after, 60))
    subscribed(services, 1)
    services.tokens.revoke(world.admin, "ana", issued["id"])
    error = held.ended()
    assert isinstance(error, AuthError) and error.message.startswith(f"token revoked: token {issued['id']}")


def test_a_long_poll_ends_at_its_token_expiry_instant(services: Services, world: World, clock: FixedClock) -> None:
    world.group("crew", ["ana", "bo"])
    issued = services.tokens.issue(world.admin, "ana", expires_in="1s")
    holder = services.identity.authenticate(issued["token"])
    after = services.events.since(world.admin, 0, 500)[-1]["id"]
    held = Held(lambda: services.events.feed(holder, after, 60))
    subscribed(services, 1)
    clock.advance(2)  # no event marks an expiry: the wait's own sleep ends at the instant
    error = held.ended()
    assert isinstance(error, AuthError)
    assert error.message == f"token expired: token {issued['id']} expired at 2026-01-01T12:00:01Z"


def test_a_proposal_wait_ends_on_revocation_and_on_removal_from_its_group_only(
    services: Services, world: World
) -> None:
    world.group("crew", ["ana", "bo"])
    world.group("ops", ["ana", "cy"])
    pid = world.api("bo").create_proposal("crew", "Ship?")["id"]
    ops_pid = world.api("cy").create_proposal("ops", "Page?")["id"]
    ana = world.api("ana").actor
    crew_wait = Held(lambda: services.proposals.wait(ana, pid, 60))
    ops_wait = Held(lambda: services.proposals.wait(ana, ops_pid, 60))
    subscribed(services, 2)
    services.groups.remove_member(world.admin, "crew", "ana")
    error = crew_wait.ended()
    assert isinstance(error, NotFoundError) and error.http_status == 404
    assert ops_wait.thread.is_alive() or ops_wait.error is None  # removal from crew does not touch ops
    world.api("cy").cancel_proposal(ops_pid)
    assert ops_wait.ended() is None and ops_wait.result["status"] == "cancelled"

    again = Held(lambda: services.proposals.wait(world.api("bo").actor, pid, 60))
    subscribed(services, 1)
    services.tokens.revoke(world.admin, "bo")
    assert isinstance(again.ended(), AuthError)


def test_gate_and_inbox_waits_end_when_the_token_is_revoked(services: Services, world: World) -> None:
    world.group("crew", ["ana", "bo"])
    world.api("ana").gate_request("deploy prod", {"v": 1}, "crew")
    ana = world.api("ana").actor
    gate = Held(lambda: services.gates.wait(ana, "deploy prod", 60, "crew"))
    inbox = Held(lambda: services.inbox.recv(ana, 60))
    subscribed(services, 2)
    services.tokens.revoke(world.admin, "ana")
    for held in (gate, inbox):
        error = held.ended()
        assert isinstance(error, AccordError) and error.message.startswith("token revoked")


def test_the_async_waits_end_too(services: Services, world: World) -> None:
    import asyncio

    world.group("crew", ["ana", "bo"])
    pid = world.api("bo").create_proposal("crew", "Ship?")["id"]
    ana = world.api("ana").actor

    async def scenario() -> list[BaseException | Any]:
        waits = [
            asyncio.ensure_future(services.proposals.wait_async(ana, pid, 60)),
            asyncio.ensure_future(services.events.feed_async(ana, 10_000, 60)),
            asyncio.ensure_future(services.inbox.recv_async(ana, 60, type="RESPONSE")),
        ]
        while len(services.ctx.hub._subs) < 3:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(services.tokens.revoke, world.admin, "ana")
        return await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), JOIN)

    results = asyncio.run(scenario())
    assert all(isinstance(r, AuthError) and r.message.startswith("token revoked") for r in results), results


@pytest.mark.parametrize("who", ["admin"])
def test_an_administrator_sees_every_event(services: Services, world: World, who: str) -> None:
    world.group("crew", ["lead", "ana"])
    world.api("lead").send_message("ana", "psst", "crew")
    assert any(e["type"] == "message.sent" for e in world.api(who).audit(latest=50))


def test_the_shared_event_stream_ends_on_revocation_and_at_the_expiry_instant(
    services: Services, world: World, clock: FixedClock
) -> None:
    import asyncio

    world.group("crew", ["ana", "bo"])
    revoked = services.identity.authenticate(services.tokens.issue(world.admin, "ana", label="feed")["token"])
    expiring = services.identity.authenticate(services.tokens.issue(world.admin, "bo", expires_in="1s")["token"])
    after = services.events.since(world.admin, 0, 500)[-1]["id"]

    async def drain(holder: Any) -> BaseException | None:
        try:
            async for _ in services.events.stream(holder, after, lambda view: b"", 30):
                pass
        except AuthError as exc:
            return exc
        return None

    async def scenario() -> list[BaseException | None]:
        streams = [asyncio.ensure_future(drain(revoked)), asyncio.ensure_future(drain(expiring))]
        await asyncio.sleep(0.2)
        await asyncio.to_thread(services.tokens.revoke, world.admin, "ana")
        clock.advance(2)
        return await asyncio.wait_for(asyncio.gather(*streams), JOIN)

    ana, bo = asyncio.run(scenario())
    assert isinstance(ana, AuthError) and ana.message.startswith("token revoked")
    assert isinstance(bo, AuthError) and bo.message.startswith("token expired")
