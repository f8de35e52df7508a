"""The gate and inbox MCP tools through the SDK's in-process client: structured results, errors as tool errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.entrypoints.mcp import build_mcp
from tests.support import World


@pytest.fixture
def sworld(sqlite_url: str, clock: FixedClock) -> Iterator[World]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
    yield world
    services.close()


def call(world: World, member: str, tool: str, **args: Any) -> Any:
    async def run() -> Any:
        async with Client(build_mcp(world.services, token=world.tokens[member])) as client:
            result = await client.call_tool(tool, args)
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return "error: " + text.removeprefix(f"Error executing tool {tool}: ")
        return result.structured_content

    return asyncio.run(run())


def test_gate_tools(sworld: World) -> None:
    g = call(sworld, "core", "gate_request", subject="deploy", group="swarm", payload={"v": "2.0"}, timeout_seconds=60)
    assert (g["status"], g["irreversible"], g["payload"]) == ("pending", True, {"v": "2.0"})
    again = call(sworld, "qa", "gate_request", subject="deploy", group="swarm")
    assert again == f"error: subject 'deploy' already has an open request {g['id']}"
    assert call(sworld, "qa", "gate_vote", request_id=g["id"], vote="yes")["gate"]["status"] == "pending"
    vetoed = call(sworld, "sec", "gate_vote", request_id=g["id"], vote="no", comment="not yet")
    assert vetoed["gate"]["vetoed_by"] == ["sec"]
    assert call(sworld, "qa", "gate_tally", subject="deploy")["status"] == "vetoed"
    assert call(sworld, "core", "gate_wait", subject=g["id"], timeout=5)["status"] == "vetoed"
    assert call(sworld, "sec", "gate_vote", request_id=g["id"], vote="yes")["gate"]["status"] == "approved"
    assert call(sworld, "core", "gate_close", request_id=g["id"])["status"] == "approved"
    assert call(sworld, "qa", "gate_close", request_id=g["id"]).startswith("error: qa may not close")
    assert call(sworld, "qa", "gate_vote", request_id=g["id"], vote="maybe") == (
        "error: vote 'maybe' is not allowed on a gate: use yes, no or abstain"
    )


def test_inbox_tools(sworld: World) -> None:
    assert call(sworld, "qa", "recv_message") == {"message": None}
    sent = call(
        sworld, "core", "send_message", to="qa", content="review #7", group="swarm", type="TASK", ttl_seconds=600
    )
    assert sent["recipients"] == ["qa"]
    assert call(sworld, "qa", "peek_message")["message"]["id"] == sent["id"]
    assert [m["id"] for m in call(sworld, "qa", "check_inbox", unread_only=True)["messages"]] == [sent["id"]]
    assert call(sworld, "qa", "recv_message", wait=1, type="TASK")["message"]["content"] == "review #7"
    assert call(sworld, "qa", "claim_message", message_id=sent["id"])["status"] == "claimed"
    assert call(sworld, "qa", "release_message", message_id=sent["id"])["status"] == "pending"
    assert call(sworld, "core", "complete_message", message_id=sent["id"]) == f"error: message {sent['id']} not found"
    call(sworld, "qa", "claim_message", message_id=sent["id"], timeout_seconds=30)
    assert call(sworld, "qa", "complete_message", message_id=sent["id"], response="lgtm")["response"] == "lgtm"
    assert call(sworld, "core", "recv_message", type="RESPONSE")["message"]["content"] == "lgtm"
    veto = call(sworld, "core", "send_message", to="qa", content="fake", group="swarm", type="VETO")
    assert veto.startswith("error: VETO messages are sent by Accord")
