"""Managed tokens on every face (SPEC §1 rev. 2, §8 rev. 2): REST routes, the MCP tools `list_tokens` and
`revoke_token`, the CLI's `member token/tokens/revoke` and `admin recover`; and held sessions that end in
another process: a real `accord serve`'s long-poll, a stdio `accord mcp` that exits 77."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from tests.support import World, free_port

ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.fixture
def seeded(sqlite_url: str, clock: FixedClock) -> Iterator[tuple[Services, World]]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("crew", ["ana", "bo"])
    yield services, world
    services.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rest_issues_lists_and_revokes_tokens(seeded: tuple[Services, World]) -> None:
    services, world = seeded
    client = TestClient(create_app(services, with_mcp=False, with_web=False))
    ana = bearer(world.tokens["ana"])
    made = client.post("/v1/members/ana/tokens", json={"label": "ci", "expires_in": "30d"}, headers=ana)
    assert made.status_code == 201
    body = made.json()
    assert body["id"].startswith("tok_") and body["label"] == "ci" and body["expires_at"].startswith("2026-01-31")
    plain = client.post("/v1/members/ana/tokens", headers=ana)  # no body: no label, no expiry
    assert plain.status_code == 201 and plain.json()["expires_at"] is None
    listed = client.get("/v1/members/ana/tokens", headers=ana).json()
    assert [t["label"] for t in listed] == ["first", "ci", None]
    assert body["token"] not in json.dumps(listed) and all("token" not in t for t in listed)

    one = client.delete(f"/v1/members/ana/tokens/{body['id']}", headers=ana)
    assert one.status_code == 200 and one.json() == {"name": "ana", "revoked": 1, "tokens": [body["id"]]}
    refused = client.get("/v1/me", headers=bearer(body["token"]))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["error"]["message"].startswith(f"token revoked: token {body['id']} was revoked at")
    assert client.get("/v1/me", headers=ana).json()["token_id"] == listed[0]["id"]

    everything = client.delete("/v1/members/ana/tokens", headers=bearer(world.tokens["admin"]))
    assert everything.json()["revoked"] == 2


def test_rest_refuses_bad_token_requests_and_writes_nothing(seeded: tuple[Services, World], clock: FixedClock) -> None:
    services, world = seeded
    client = TestClient(create_app(services, with_mcp=False, with_web=False))
    ana, bo = bearer(world.tokens["ana"]), bearer(world.tokens["bo"])
    before = len(services.events.since(world.admin, 0, 500))
    too_long = client.post("/v1/members/ana/tokens", json={"expires_in": "400d"}, headers=ana)
    assert too_long.status_code == 422 and too_long.json()["error"]["details"]["field"] == "expires_in"
    assert "1s-365d" in too_long.json()["error"]["message"]
    assert client.post("/v1/members/ana/tokens", json={"label": "x" * 201}, headers=ana).status_code == 422
    assert client.get("/v1/members/ana/tokens", headers=bo).status_code == 403
    assert client.delete("/v1/members/ana/tokens", headers=bo).status_code == 403
    assert client.delete("/v1/members/bo/tokens/tok_nothere", headers=bo).status_code == 404
    assert client.get("/v1/members/ghost/tokens", headers=bearer(world.tokens["admin"])).status_code == 404
    assert client.post("/v1/sweep", headers=ana).status_code == 403
    assert len(services.events.since(world.admin, 0, 500)) == before

    short = services.tokens.issue(world.admin, "ana", expires_in="90s")
    clock.advance(90)
    expired = client.get("/v1/me", headers=bearer(short["token"]))
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == f"token expired: token {short['id']} expired at 2026-01-01T12:01:30Z"


def test_mcp_tools_list_and_revoke_tokens(seeded: tuple[Services, World]) -> None:
    services, world = seeded
    extra = services.tokens.issue(world.admin, "ana", label="agent")

    async def run() -> None:
        async with Client(build_mcp(services, token=world.tokens["ana"])) as client:
            listed = await client.call_tool("list_tokens", {"member": "ana"})
            assert not listed.is_error and listed.structured_content is not None
            assert [t["label"] for t in listed.structured_content["tokens"]] == ["first", "agent"]
            revoked = await client.call_tool("revoke_token", {"member": "ana", "token_id": extra["id"]})
            assert revoked.structured_content == {"name": "ana", "revoked": 1, "tokens": [extra["id"]]}
            other = await client.call_tool("list_tokens", {"member": "bo"})
            assert other.is_error and "ana may not list the tokens of bo" in other.content[0].text  # type: ignore[union-attr]
            swept = await client.call_tool("sweep", {})
            assert swept.is_error and "only store administrators may" in swept.content[0].text  # type: ignore[union-attr]
        async with Client(build_mcp(services, token=extra["token"])) as client:
            gone = await client.call_tool("whoami", {})
            assert gone.is_error and gone.content[0].text.startswith("token revoked: token tok_")  # type: ignore[union-attr]

    asyncio.run(run())


def test_an_mcp_wait_ends_when_its_token_is_revoked(seeded: tuple[Services, World]) -> None:
    services, world = seeded
    pid = world.api("bo").create_proposal("crew", "Ship?")["id"]

    async def run() -> Any:
        async with Client(build_mcp(services, token=world.tokens["ana"])) as client:
            waiting = asyncio.ensure_future(client.call_tool("wait_proposal", {"proposal_id": pid, "timeout": 60}))
            while not services.ctx.hub._subs:
                await asyncio.sleep(0.01)
            await asyncio.to_thread(services.tokens.revoke, world.admin, "ana")
            return await asyncio.wait_for(waiting, 20)

    result = asyncio.run(run())
    assert result.is_error and result.content[0].text.startswith("token revoked: token tok_")


def cli(url: str, token: str | None, *argv: str, **env: str) -> Any:
    settings = {"ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": token or "", "ACCORD_URL": "", **env}
    return CliRunner().invoke(cli_app, list(argv), env=settings)


def test_cli_member_token_tokens_and_revoke(seeded: tuple[Services, World], sqlite_url: str) -> None:
    _, world = seeded
    ana = world.tokens["ana"]
    made = cli(sqlite_url, ana, "member", "token", "ana", "--label", "laptop", "--expires-in", "30d")
    assert made.exit_code == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("acc_") and made.stderr.startswith("tok_") and "expires" in made.stderr
    shown = cli(sqlite_url, ana, "member", "tokens", "ana")
    assert shown.exit_code == 0 and "laptop" in shown.stdout and "active" in shown.stdout and secret not in shown.stdout
    listed = json.loads(cli(sqlite_url, ana, "member", "tokens", "ana", "--json").stdout)
    laptop = next(t for t in listed if t["label"] == "laptop")
    one = cli(sqlite_url, ana, "member", "revoke", "ana", "--token", laptop["id"])
    assert one.exit_code == 0 and one.stdout.strip() == f"revoked 1 token(s) of ana: {laptop['id']}"
    assert cli(sqlite_url, secret, "member", "whoami").exit_code == 77
    bad = cli(sqlite_url, ana, "member", "token", "ana", "--expires-in", "2y")
    assert bad.exit_code == 65 and "expires_in" in bad.stderr
    assert cli(sqlite_url, world.tokens["bo"], "member", "tokens", "ana").exit_code == 77
    assert cli(sqlite_url, world.tokens["bo"], "sweep").exit_code == 77


def test_cli_admin_recover_works_only_on_the_store(seeded: tuple[Services, World], sqlite_url: str) -> None:
    services, world = seeded
    services.tokens.revoke(world.admin, "admin")
    remote = cli(sqlite_url, None, "admin", "recover", ACCORD_URL="http://127.0.0.1:9")
    assert remote.exit_code == 64 and "works only on the store itself" in remote.stderr
    done = cli(sqlite_url, None, "admin", "recover")
    assert done.exit_code == 0, done.stderr
    token = done.stdout.strip()
    assert cli(sqlite_url, token, "member", "whoami", "--json").exit_code == 0
    for_ana = cli(sqlite_url, None, "admin", "recover", "--member", "ana", "--json")
    assert json.loads(for_ana.stdout)["name"] == "ana"
    assert cli(sqlite_url, None, "admin", "recover", "--member", "ghost").exit_code == 66
    recovered = [e for e in services.events.audit(world.admin, latest=20) if e["type"] == "token.recovered"]
    assert [e["data"]["name"] for e in recovered] == ["admin", "ana"]


def _env(url: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return {**env, "ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": token}


def test_a_stdio_accord_mcp_exits_77_when_its_token_is_revoked(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    world = World(services)
    world.member("ana")
    issued = services.tokens.issue(world.admin, "ana", label="stdio")
    errlog = Path(sqlite_url.removeprefix("sqlite:///")).with_name("mcp.log")

    async def run() -> None:
        params = StdioServerParameters(command=ACCORD, args=["mcp"], env=_env(sqlite_url, issued["token"]))
        with errlog.open("w") as log:
            from mcp.client.stdio import stdio_client

            async with Client(stdio_client(params, errlog=log)) as client:
                assert (await client.call_tool("whoami", {})).structured_content["name"] == "ana"
                await asyncio.to_thread(services.tokens.revoke, world.admin, "ana", issued["id"])
                with pytest.raises(Exception):  # noqa: B017 - the SDK's words for a closed connection are its own
                    for _ in range(200):
                        await client.call_tool("whoami", {})
                        await asyncio.sleep(0.1)

    asyncio.run(run())
    assert errlog.read_text().startswith(f"error: token revoked: token {issued['id']} was revoked at")
    services.close()


def test_the_stdio_exit_code_is_77(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    world = World(services)
    world.member("ana")
    issued = services.tokens.issue(world.admin, "ana", label="stdio")
    proc = subprocess.Popen(
        [ACCORD, "mcp"],
        env=_env(sqlite_url, issued["token"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        proc.stdin.write(json.dumps(hello) + "\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == 1  # serving
        services.tokens.revoke(world.admin, "ana")
        assert proc.wait(timeout=30) == 77
        assert "token revoked" in proc.communicate()[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # closes the pipes
        services.close()


def test_a_real_server_ends_a_long_poll_revoked_by_another_process(store_url: str) -> None:
    services = build_services(store_url)
    world = World(services)
    world.group("crew", ["ana", "bo"])
    port = free_port()
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port)],
        env={**_env(store_url, ""), "ACCORD_SWEEP_INTERVAL_SECONDS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/v1/me", headers=bearer(world.tokens["ana"]), timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                threading.Event().wait(0.05)
        answer: dict[str, Any] = {}
        head = services.events.since(world.admin, 0, 500)[-1]["id"]

        def poll() -> None:
            response = httpx.get(
                f"{url}/v1/events?after={head}&wait=120", headers=bearer(world.tokens["ana"]), timeout=60
            )
            answer.update(status=response.status_code, body=response.json())

        thread = threading.Thread(target=poll)
        thread.start()
        thread.join(1.0)  # give the request time to reach the server's wait (its answer comes only later)
        # The CLI in this process is "another process" for the server: it shares only the store.
        done = cli(store_url, world.tokens["admin"], "member", "revoke", "ana")
        assert done.exit_code == 0, done.stderr
        thread.join(60)
        assert answer["status"] == 401 and answer["body"]["error"]["message"].startswith("token revoked")
    finally:
        server.terminate()
        server.wait(timeout=20)
        services.close()


def test_an_http_mcp_wait_ends_when_its_token_is_revoked(seeded: tuple[Services, World]) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    from tests.support import live_server

    services, world = seeded
    pid = world.api("bo").create_proposal("crew", "Ship?")["id"]

    async def run(url: str) -> Any:
        headers = {"Authorization": f"Bearer {world.tokens['ana']}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            waiting = asyncio.ensure_future(client.call_tool("wait_proposal", {"proposal_id": pid, "timeout": 60}))
            while not services.ctx.hub._subs:
                await asyncio.sleep(0.01)
            await asyncio.to_thread(services.tokens.revoke, world.admin, "ana")
            ended = await asyncio.wait_for(waiting, 30)
            with pytest.raises(MCPError):  # later calls: the transport answers 401 (the SDK's token verifier, SPEC §9)
                await client.call_tool("whoami", {})
            return ended

    with live_server(create_app(services, with_web=False)) as url:
        ended = asyncio.run(run(url))
    assert ended.is_error and ended.content[0].text.startswith("token revoked: token tok_")
