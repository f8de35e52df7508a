"""MCP resources, subscriptions and prompts (SPEC §9 rev. 2), through the official in-process client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import pytest
from mcp import Client
from mcp.client.subscriptions import ResourceUpdated

from accord.bootstrap import Services, build_services
from accord.entrypoints.mcp import build_mcp
from tests.support import World

HANG_GUARD = 60  # seconds: only so a broken build fails instead of hanging; the wake-up itself takes milliseconds


@pytest.fixture
def seeded(store_url: str) -> Iterator[tuple[Services, World]]:
    services = build_services(store_url)
    world = World(services)
    world.group("eng", ["ana", "ben", "cy"])
    world.group("ops", ["olga"])
    yield services, world
    services.close()


def text(result: Any) -> Any:
    return json.loads(result.contents[0].text)


def test_resources_read_as_the_caller(seeded: tuple[Services, World]) -> None:
    services, world = seeded
    ana = world.api("ana")
    pid = ana.create_proposal(group="eng", title="Ship?")["id"]
    mid = ana.create_milestone(title="v2", checkpoints=[{"title": "build"}], group="eng")["milestone_id"]
    ana.gate_request("deploy/api v2", {"v": 2}, "eng")
    ana.gate_close(ana.gate_request("release", None, "eng")["request_id"])
    world.api("ben").send_message("ana", "hello", "eng")

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["ana"])) as client:
            templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
            assert {"accord://proposals/{id}", "accord://milestones/{id}", "accord://gates/{group}/{subject}"} <= (
                templates
            )
            assert "accord://inbox" in {str(r.uri) for r in (await client.list_resources()).resources}
            assert text(await client.read_resource(f"accord://proposals/{pid}"))["title"] == "Ship?"
            assert text(await client.read_resource(f"accord://milestones/{mid}"))["progress"]["total"] == 1
            gate = text(await client.read_resource(f"accord://gates/eng/{quote('deploy/api v2', safe='')}"))
            assert (gate["subject"], gate["status"]) == ("deploy/api v2", "pending")
            idle = text(await client.read_resource("accord://gates/eng/release"))
            assert (idle["status"], idle["latest"]["subject"]) == ("none_open", "release")
            inbox = text(await client.read_resource("accord://inbox"))
            assert [m["content"] for m in inbox["messages"] if m["from"] == "ben"] == ["hello"]

        async with Client(build_mcp(services, token=world.tokens["olga"])) as outsider:
            with pytest.raises(Exception, match=f"proposal {pid} not found"):
                await outsider.read_resource(f"accord://proposals/{pid}")

    anyio.run(run)


def test_a_subscribed_resource_announces_each_change(seeded: tuple[Services, World]) -> None:
    services, world = seeded
    pid = world.api("ana").create_proposal(group="eng", title="Ship?")["id"]
    uri = f"accord://proposals/{pid}"

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["ana"])) as client:
            async with client.listen(resource_subscriptions=[uri, "accord://inbox"]) as sub:
                assert sorted(sub.honored.resource_subscriptions or []) == sorted([uri, "accord://inbox"])
                await anyio.to_thread.run_sync(lambda: world.api("ben").cast_vote(pid, "yes", "fine"))
                with anyio.fail_after(HANG_GUARD):
                    event = await anext(aiter(sub))
                assert event == ResourceUpdated(uri=uri)
                vote = text(await client.read_resource(uri))["votes"][0]
                assert (vote["voter"], vote["comment"]) == ("ben", "fine")
                await anyio.to_thread.run_sync(lambda: world.api("cy").send_message("ana", "psst", "eng"))
                with anyio.fail_after(HANG_GUARD):
                    event = await anext(aiter(sub))
                assert event == ResourceUpdated(uri="accord://inbox")

    anyio.run(run)


def test_prompts_review_my_queue_and_request_approval(seeded: tuple[Services, World]) -> None:
    services, world = seeded

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["ana"])) as client:
            prompts = {p.name: p for p in (await client.list_prompts()).prompts}
            assert {"review_my_queue", "request_approval"} <= set(prompts)
            assert all(p.title and p.description for p in prompts.values())
            queue = await client.get_prompt("review_my_queue")
            assert "awaiting_me" in queue.messages[0].content.text  # type: ignore[union-attr]
            ask = await client.get_prompt("request_approval", {"action": "deploy:api", "group": "eng"})
            said = ask.messages[0].content.text  # type: ignore[union-attr]
            assert "gate_request" in said and "'deploy:api'" in said and "actionable" in said

    anyio.run(run)
