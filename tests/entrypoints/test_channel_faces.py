"""Member channels on every face (SPEC §9, §11): REST, MCP (with its hints), the CLI, and the Python client."""

from __future__ import annotations

import asyncio
import inspect
import json

from fastapi.testclient import TestClient
from mcp import Client
from typer.testing import CliRunner

from accord.api.reach import ReachApi
from accord.bootstrap import build_services
from accord.client import AccordClient
from accord.clock import FixedClock
from accord.domain.errors import ForbiddenError, NotFoundError
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.entrypoints.test_client_harness import LiveServer
from tests.support import World

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
SECRET = "TIiajkdnlazkcOXrIdevi7FQ"


def test_rest_adds_lists_and_removes_a_channel_masking_its_secret(sqlite_url: str, clock: FixedClock) -> None:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.member("alice", "human")
    headers = {"Authorization": f"Bearer {world.tokens['alice']}"}
    with TestClient(create_app(services, with_mcp=False, with_web=False)) as client:
        made = client.post("/v1/members/alice/channels", json={"url": SLACK, "events": ["vote.*"]}, headers=headers)
        assert made.status_code == 201 and SECRET not in made.text
        assert made.json()["events"] == ["vote.*"]
        listed = client.get("/v1/members/alice/channels", headers=headers)
        assert [c["id"] for c in listed.json()["channels"]] == [made.json()["id"]] and SECRET not in listed.text
        zone = client.put("/v1/members/alice/time-zone", json={"time_zone": "Europe/Paris"}, headers=headers)
        assert zone.json() == {"member": "alice", "time_zone": "Europe/Paris"}
        gone = client.delete(f"/v1/members/alice/channels/{made.json()['id']}", headers=headers)
        assert gone.status_code == 200 and gone.json()["removed"] is True
        typo = client.post("/v1/members/alice/channels", json={"uri": SLACK}, headers=headers)
        assert typo.status_code == 422
    services.close()


def test_mcp_channel_tools_work_and_only_add_channel_reaches_outside(sqlite_url: str, clock: FixedClock) -> None:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.member("bot")

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["bot"])) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            hints = {n: tools[n].annotations for n in ("add_channel", "list_channels", "remove_channel")}
            assert all(h is not None for h in hints.values())
            assert hints["add_channel"].open_world_hint is True  # type: ignore[union-attr]
            assert hints["list_channels"].read_only_hint is True  # type: ignore[union-attr]
            assert hints["remove_channel"].open_world_hint is False  # type: ignore[union-attr]
            made = await client.call_tool("add_channel", {"member": "bot", "url": SLACK, "events": ["gate.decided"]})
            assert not made.is_error and made.structured_content is not None
            assert SECRET not in json.dumps(made.structured_content)
            listed = await client.call_tool("list_channels", {"member": "bot"})
            assert listed.structured_content is not None
            (channel,) = listed.structured_content["channels"]
            removed = await client.call_tool("remove_channel", {"member": "bot", "channel_id": channel["id"]})
            assert removed.structured_content is not None and removed.structured_content["removed"] is True

    asyncio.run(run())
    services.close()


def test_the_cli_adds_lists_and_removes_channels(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    world = World(services)
    world.member("alice", "human")
    services.close()
    env = {"ACCORD_DATABASE_URL": sqlite_url, "ACCORD_TOKEN": world.tokens["alice"], "ACCORD_URL": ""}
    runner = CliRunner()
    added = runner.invoke(
        cli_app, ["member", "channel", "add", "alice", SLACK, "--events", "vote.*,gate.decided"], env=env
    )
    assert added.exit_code == 0, added.stderr
    channel_id, masked = added.stdout.split()
    assert channel_id.startswith("ch_") and masked.startswith("slack://") and SECRET not in masked
    zone = runner.invoke(cli_app, ["member", "time-zone", "alice", "Asia/Tokyo"], env=env)
    assert zone.stdout.strip() == "alice: Asia/Tokyo"
    listed = runner.invoke(cli_app, ["member", "channel", "list", "alice"], env=env)
    assert "alice: time zone Asia/Tokyo" in listed.stdout and channel_id in listed.stdout
    assert "vote.*" in listed.stdout and "gate.decided" in listed.stdout
    removed = runner.invoke(cli_app, ["member", "channel", "remove", "alice", channel_id, "--json"], env=env)
    assert json.loads(removed.stdout)["removed"] is True
    missing = runner.invoke(cli_app, ["member", "channel", "remove", "alice", channel_id], env=env)
    assert missing.exit_code == 66 and f"channel {channel_id} of alice not found" in missing.stderr


def test_the_client_offers_the_channel_operations_with_the_same_arguments_and_errors(
    sqlite_url: str, clock: FixedClock
) -> None:
    for name, function in vars(ReachApi).items():
        if inspect.isfunction(function) and not name.startswith("_"):
            ours = [(p.name, p.default) for p in inspect.signature(function).parameters.values()]
            theirs = [(p.name, p.default) for p in inspect.signature(getattr(AccordClient, name)).parameters.values()]
            assert theirs == ours, name
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.member("alice", "human")
    world.member("bot")
    with LiveServer(services) as server, AccordClient(server.url, world.tokens["alice"]) as accord:
        made = accord.add_channel("alice", SLACK)
        assert accord.list_channels("alice")["channels"][0]["id"] == made["id"]
        assert accord.set_time_zone("alice", None) == {"member": "alice", "time_zone": None}
        assert accord.remove_channel("alice", made["id"])["removed"] is True
        try:
            accord.list_channels("bot")
        except ForbiddenError as exc:
            assert "alice may not see the channels of bot" in exc.message
        else:
            raise AssertionError("listing another member's channels was not refused")
        try:
            accord.remove_channel("alice", made["id"])
        except NotFoundError:
            pass
        else:
            raise AssertionError("removing a removed channel was not refused")
    services.close()
