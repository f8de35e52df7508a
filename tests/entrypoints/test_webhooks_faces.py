"""Group webhooks on every face (SPEC §9, §11): REST, MCP, the CLI (local and against a server), `accord worker`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import Client
from typer.testing import CliRunner

from accord.bootstrap import Services, build_services
from accord.clock import SystemClock
from accord.entrypoints.cli import app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.support import World, live_server
from tests.webhook_receiver import Receiver, receiver


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    services = build_services(sqlite_url, SystemClock())
    services.ctx.allow_private_targets = True
    world = World(services)
    world.group("eng", {"olga": {"role": "owner", "kind": "human"}, "bot": {}})
    yield world
    services.close()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def as_(world: World, member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[member]}"}


def test_rest_adds_lists_shows_deliveries_redelivers_and_removes(world: World, hook: Receiver) -> None:
    with TestClient(create_app(world.services, with_mcp=False, with_web=False, worker=False)) as http:
        olga = as_(world, "olga")
        added = http.post("/v1/groups/eng/webhooks", json={"url": hook.url, "events": ["proposal.*"]}, headers=olga)
        assert added.status_code == 201, added.text
        webhook = added.json()
        hook.secret = webhook["secret"]
        assert webhook["secret"].startswith("whsec_") and webhook["events"] == ["proposal.*"]
        world.api("bot").create_proposal("eng", "Q")
        world.services.worker().drain()
        assert [r.body["type"] for r in hook.received] == ["proposal.created"] and hook.received[0].verified

        listed = http.get("/v1/groups/eng/webhooks", headers=olga).json()
        assert [w["id"] for w in listed] == [webhook["id"]] and "secret" not in listed[0]
        assert listed[0]["deliveries"]["delivered"] == 1
        deliveries = http.get(f"/v1/groups/eng/webhooks/{webhook['id']}/deliveries", headers=olga).json()
        assert deliveries == http.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=olga).json()
        delivery = deliveries[0]
        assert delivery["id"] == hook.received[0].webhook_id and delivery["history"][0]["status_code"] == 200
        path = f"/v1/groups/eng/webhooks/{webhook['id']}/deliveries/{delivery['id']}/redeliver"
        assert http.post(path, headers=olga).json()["status"] == "pending"
        assert http.post(f"/v1/deliveries/{delivery['id']}/redeliver", headers=olga).json()["id"] == delivery["id"]
        world.services.worker().drain()
        assert [r.webhook_id for r in hook.received] == [delivery["id"]] * 2

        refused = http.get("/v1/groups/eng/webhooks", headers=as_(world, "bot"))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        wrong = http.post(f"/v1/groups/eng/webhooks/wh_other/deliveries/{delivery['id']}/redeliver", headers=olga)
        assert wrong.status_code == 404
        bad = http.get(f"/v1/webhooks/{webhook['id']}/deliveries?limit=0", headers=olga)
        assert bad.status_code == 422 and "limit must be 1-200" in bad.json()["error"]["message"]
        unknown = http.post("/v1/groups/eng/webhooks", json={"url": hook.url, "filter": "x"}, headers=olga)
        assert unknown.status_code == 422
        removed = http.delete(f"/v1/groups/eng/webhooks/{webhook['id']}", headers=olga).json()
        assert removed["removed"] is True
        assert http.delete(f"/v1/webhooks/{webhook['id']}", headers=olga).status_code == 404


def test_mcp_tools_manage_webhooks(world: World, hook: Receiver) -> None:
    async def run() -> dict[str, Any]:
        async with Client(build_mcp(world.services, token=world.tokens["olga"])) as client:
            added = await client.call_tool("add_webhook", {"group": "eng", "url": hook.url, "events": ["vote.*"]})
            assert not added.is_error and added.structured_content is not None
            webhook: dict[str, Any] = added.structured_content
            hook.secret = webhook["secret"]
            pid = world.api("bot").create_proposal("eng", "Q")["id"]
            world.api("olga").cast_vote(pid, "yes")
            await asyncio.to_thread(world.services.worker().drain)
            listed = await client.call_tool("list_webhooks", {"group": "eng"})
            deliveries = await client.call_tool("list_deliveries", {"webhook_id": webhook["id"]})
            assert deliveries.structured_content is not None
            [delivery] = deliveries.structured_content["deliveries"]
            again = await client.call_tool("redeliver", {"delivery_id": delivery["id"]})
            removed = await client.call_tool("remove_webhook", {"webhook_id": webhook["id"]})
            refused = await client.call_tool("add_webhook", {"group": "eng", "url": "gopher://x"})
            return {
                "listed": listed.structured_content,
                "delivery": delivery,
                "again": again.structured_content,
                "removed": removed.structured_content,
                "refused": (refused.is_error, refused.content[0].text),  # type: ignore[union-attr]
            }

    result = asyncio.run(run())
    assert [w["events"] for w in result["listed"]["webhooks"]] == [["vote.*"]]
    assert result["delivery"]["event_type"] == "vote.cast" and result["delivery"]["status"] == "delivered"
    assert [r.body["type"] for r in hook.received] == ["vote.cast"] and hook.received[0].verified
    assert result["again"]["status"] == "pending"
    assert result["removed"]["removed"] is True and result["removed"]["cancelled"] == 1
    assert result["refused"] == (True, "url 'gopher://x' must use http or https, not gopher")


def _cli(services: Services, token: str, url: str, *argv: str, server: str = "") -> Any:
    env = {"ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": token, "ACCORD_URL": server, "ACCORD_ALLOW_PRIVATE_TARGETS": "1"}
    return CliRunner().invoke(app, list(argv), env=env)


@pytest.mark.parametrize("remote", [False, True], ids=["local", "server"])
def test_cli_webhook_commands_and_worker_once(world: World, hook: Receiver, sqlite_url: str, remote: bool) -> None:
    token = world.tokens["olga"]
    with live_server(create_app(world.services, with_mcp=False, with_web=False, worker=False)) as server:
        where = server if remote else ""
        added = _cli(
            world.services, token, sqlite_url, "webhook", "add", "eng", hook.url, "--events", "proposal.*", server=where
        )
        assert added.exit_code == 0, added.output
        secret = next(line for line in added.stdout.splitlines() if "whsec_" in line).split()[-1]
        hook.secret = secret
        webhook_id = added.stdout.split()[1]
        world.api("bot").create_proposal("eng", "Q")

        worked = _cli(world.services, token, sqlite_url, "worker", "--once", "--json")
        assert worked.exit_code == 0, worked.output
        assert json.loads(worked.stdout) == {"attempts": 1} and hook.received[0].verified

        listed = _cli(world.services, token, sqlite_url, "webhook", "list", "eng", server=where)
        assert webhook_id in listed.stdout and "whsec_" not in listed.stdout and "proposal.*" in listed.stdout
        shown = _cli(world.services, token, sqlite_url, "webhook", "deliveries", webhook_id, "--json", server=where)
        [delivery] = json.loads(shown.stdout)
        assert delivery["status"] == "delivered" and delivery["id"] == hook.received[0].webhook_id
        again = _cli(world.services, token, sqlite_url, "webhook", "redeliver", delivery["id"], server=where)
        assert again.exit_code == 0 and f"delivery {delivery['id']} queued again" in again.stdout
        removed = _cli(world.services, token, sqlite_url, "webhook", "remove", webhook_id, server=where)
        assert removed.exit_code == 0 and "1 pending deliveries cancelled" in removed.stdout
        refused = _cli(world.services, world.tokens["bot"], sqlite_url, "webhook", "list", "eng", server=where)
        assert refused.exit_code == 77 and "bot may not manage group eng" in refused.stderr
        missing = _cli(world.services, token, sqlite_url, "webhook", "deliveries", "wh_nope", server=where)
        assert missing.exit_code == 66 and "webhook wh_nope not found" in missing.stderr
