"""Seed 000's voting examples through MCP: in-process, over stdio (`accord mcp`) and streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from accord.bootstrap import Services, build_services
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.support import World, live_server

CORE_TOOLS = {
    "list_groups",
    "list_members",
    "create_proposal",
    "cast_vote",
    "get_proposal",
    "list_proposals",
    "finalize_proposal",
    "cancel_proposal",
    "wait_proposal",
}


@pytest.fixture
def seeded(sqlite_url: str) -> Iterator[tuple[Services, World]]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("backend-team", [f"agent-{i}" for i in range(1, 6)])
    yield services, world
    services.close()


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def test_seed000_examples_in_process(seeded: tuple[Services, World]) -> None:
    services, world = seeded

    async def run() -> None:
        async with AsyncExitStack() as stack:
            agents = [
                await stack.enter_async_context(Client(build_mcp(services, token=world.tokens[f"agent-{i}"])))
                for i in range(1, 6)
            ]
            tools = {t.name for t in (await agents[0].list_tools()).tools}
            assert CORE_TOOLS <= tools
            groups = await call(agents[0], "list_groups")
            assert [g["name"] for g in groups["groups"]] == ["backend-team"]
            members = await call(agents[0], "list_members", group="backend-team")
            assert len(members["members"]) == 5

            p = await call(
                agents[0],
                "create_proposal",
                group="backend-team",
                title="Deploy v2.0 to production?",
                voting_type="yes_no",
                threshold_type="two_thirds",
            )
            for agent, vote in zip(agents, ["yes", "yes", "yes", "yes", "no"], strict=True):
                await call(agent, "cast_vote", proposal_id=p["id"], vote=vote, comment="Staging tests passed")
            final = await call(agents[0], "finalize_proposal", proposal_id=p["id"])
            assert (final["result"], final["threshold_met"], final["tally"]) == ("yes", True, {"yes": 4, "no": 1})

            p = await call(
                agents[0],
                "create_proposal",
                group="backend-team",
                title="Approve database migration?",
                voting_type="yes_no",
                threshold_type="unanimous",
            )
            for agent, vote, comment in zip(
                agents,
                ["yes", "yes", "yes", "yes", "no"],
                ["Fine", "Fine", "Schema looks correct", "Tested on staging", "Missing rollback plan"],
                strict=True,
            ):
                await call(agent, "cast_vote", proposal_id=p["id"], vote=vote, comment=comment)
            assert (await call(agents[0], "finalize_proposal", proposal_id=p["id"]))["threshold_met"] is False

            p = await call(
                agents[0],
                "create_proposal",
                group="backend-team",
                title="Which cache backend?",
                voting_type="single",
                options=["Redis", "Memcached", "Valkey"],
                threshold_type="majority",
            )
            for agent, vote in zip(agents, ["Redis", "Redis", "Memcached", "abstain", "abstain"], strict=True):
                await call(agent, "cast_vote", proposal_id=p["id"], vote=vote)
            final = await call(agents[0], "finalize_proposal", proposal_id=p["id"])
            assert (final["result"], final["threshold_met"]) == ("Redis", True)

            p = await call(
                agents[0],
                "create_proposal",
                group="backend-team",
                title="Q2 feature priority",
                voting_type="ranked",
                options=["Dark mode", "Mobile app", "API v2", "SSO"],
                threshold_type="majority",
            )
            ballots = [
                "API v2,SSO,Dark mode,Mobile app",
                "SSO,API v2,Mobile app,Dark mode",
                "API v2,Dark mode,SSO,Mobile app",
                "abstain",
                "abstain",
            ]
            for agent, vote in zip(agents, ballots, strict=True):
                await call(agent, "cast_vote", proposal_id=p["id"], vote=vote)
            final = await call(agents[0], "finalize_proposal", proposal_id=p["id"])
            assert final["result"] == "API v2"

            listed = await call(agents[1], "list_proposals", status="finalized")
            assert len(listed["proposals"]) == 4

            p = await call(agents[0], "create_proposal", group="backend-team", title="Cancel me")
            waited = await call(agents[1], "wait_proposal", proposal_id=p["id"], timeout=0.1)
            assert waited["timed_out"] is True
            assert (await call(agents[0], "cancel_proposal", proposal_id=p["id"]))["status"] == "cancelled"

    asyncio.run(run())


def test_domain_errors_are_tool_errors_with_the_rest_message(seeded: tuple[Services, World]) -> None:
    services, world = seeded

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["agent-1"])) as client:
            result = await client.call_tool("get_proposal", {"proposal_id": "prop_missing"})
            assert result.is_error
            assert result.content[0].text == "proposal prop_missing not found"  # type: ignore[union-attr]
            assert result.structured_content == {
                "error": {"code": "not_found", "message": "proposal prop_missing not found"}
            }
            # Arguments the schema refuses are still tool errors naming the field.
            bad = await client.call_tool("cast_vote", {"proposal_id": "p", "vote": "yes", "confidence": "high"})
            assert bad.is_error and "confidence" in bad.content[0].text  # type: ignore[union-attr]

    asyncio.run(run())


def test_stdio_server_acts_as_the_token_member(seeded: tuple[Services, World], sqlite_url: str) -> None:
    _, world = seeded
    accord = str(Path(sys.executable).with_name("accord"))
    env = {**os.environ, "ACCORD_DATABASE_URL": sqlite_url, "ACCORD_TOKEN": world.tokens["agent-2"]}
    env.pop("ACCORD_URL", None)

    async def run() -> None:
        params = StdioServerParameters(command=accord, args=["mcp"], env=env)
        async with Client(params) as client:
            me = await call(client, "whoami")
            assert me["name"] == "agent-2"
            p = await call(client, "create_proposal", group="backend-team", title="Over stdio")
            await call(client, "cast_vote", proposal_id=p["id"], vote="yes")
            assert (await call(client, "get_proposal", proposal_id=p["id"]))["tally"]["yes"] == 1

    asyncio.run(run())


def test_streamable_http_uses_the_bearer_token(seeded: tuple[Services, World]) -> None:
    services, world = seeded

    async def run(url: str) -> None:
        headers = {"Authorization": f"Bearer {world.tokens['agent-3']}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            me = await call(client, "whoami")
            assert me["name"] == "agent-3"
        # A missing or bad token is refused at the transport, before initialize (SPEC §9 rev. 2).
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        }
        accept = {"Accept": "application/json, text/event-stream"}
        async with httpx2.AsyncClient() as http:
            for auth in ({}, {"Authorization": "Bearer acc_nope"}, {"Authorization": "Basic eDp5"}):
                refused = await http.post(f"{url}/mcp", json=initialize, headers={**accept, **auth})
                assert refused.status_code == 401, (auth, refused.text)
                assert refused.headers["www-authenticate"].startswith("Bearer"), auth
            revoked = world.services.identity.create_member(world.admin, "gone")["token"]
            world.services.tokens.revoke(world.admin, "gone")
            refused = await http.post(
                f"{url}/mcp", json=initialize, headers={**accept, "Authorization": f"Bearer {revoked}"}
            )
            assert refused.status_code == 401

    with live_server(create_app(services, with_web=False)) as url:
        asyncio.run(run(url))
