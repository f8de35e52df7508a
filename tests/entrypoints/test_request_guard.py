"""SPEC §13 at the HTTP door: bodies over 1 MiB answer 413 (CLI exit 65), failed sign-ins beyond 10 a minute per
address answer 429 with Retry-After (CLI exit 75), on REST, MCP over HTTP, the web form and the remote CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from accord.domain.limits import MAX_BODY_BYTES
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.rest import create_app
from accord.entrypoints.rest.guard import RequestGuard
from accord.entrypoints.throttle import SignInThrottle
from tests.support import World, live_server
from tests.web.server import csrf_in

TOO_LARGE = "the request body is larger than 1048576 bytes (1 MiB), the most Accord reads"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def served(sqlite_url: str, clock: FixedClock) -> Iterator[tuple[Services, World, TestClient]]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", ["a1", "a2"])
    # 127.0.0.1: the MCP transport checks the Host header (DNS rebinding protection)
    with TestClient(create_app(services), base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        yield services, world, client
    services.close()


def _stored(world: World) -> tuple[int, int]:
    admin = world.api("admin")
    return len(admin.list_proposals()), len(admin.audit(limit=500))


def _bearer(world: World, member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[member]}"}


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


# -- 413 ---------------------------------------------------------------------------------------------------


def test_a_body_over_1_mib_answers_413_and_writes_nothing(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    before = _stored(world)
    body = json.dumps({"group": "team", "title": "Big", "description": "x" * MAX_BODY_BYTES})
    response = client.post("/v1/proposals", content=body, headers={**_bearer(world, "a1"), **MCP_HEADERS})
    assert response.status_code == 413
    assert _error(response) == {"code": "payload_too_large", "message": TOO_LARGE, "details": {"limit": MAX_BODY_BYTES}}
    assert _stored(world) == before


def test_a_chunked_body_is_counted_and_cut_at_1_mib(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    before = _stored(world)

    def chunks() -> Iterator[bytes]:
        yield b'{"group": "team", "title": "Big", "description": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = client.post("/v1/proposals", content=chunks(), headers=_bearer(world, "a1"))
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"
    assert _stored(world) == before


def test_a_body_within_1_mib_reaches_the_route(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    body = {"group": "team", "title": "Small", "description": "x" * 20_000}
    response = client.post("/v1/proposals", json=body, headers=_bearer(world, "a1"))
    assert response.status_code == 422  # the route's own rule: descriptions are at most 10,000 characters
    assert "description" in _error(response)["message"]


def test_mcp_over_http_answers_413_too(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    content = json.dumps(call) + " " * MAX_BODY_BYTES
    response = client.post("/mcp", content=content, headers={**_bearer(world, "a1"), **MCP_HEADERS})
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"


def test_413_is_answered_before_the_app_reads_a_byte() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        raise AssertionError("the app was called")

    client = TestClient(RequestGuard(app, SignInThrottle()))  # no lifespan: only the requests reach the app
    response = client.post("/anything", content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    # A Content-Length of a thousand digits is refused by its length, never converted to a number.
    response = client.post("/anything", content=b"x", headers={"Content-Length": "9" * 1000})
    assert response.status_code == 413
    assert seen == []


def test_the_remote_cli_exits_65_on_413(sqlite_url: str, clock: FixedClock) -> None:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", ["a1"])
    try:
        with live_server(create_app(services, with_mcp=False, with_web=False)) as url:
            argv = ["proposal", "create", "--group", "team", "--title", "Big", "--description", "x" * MAX_BODY_BYTES]
            env = {"ACCORD_URL": url, "ACCORD_TOKEN": world.tokens["a1"], "ACCORD_DATABASE_URL": ""}
            result = CliRunner().invoke(cli_app, argv, env=env)
        assert result.exit_code == 65
        assert TOO_LARGE in result.stderr
        assert world.api("admin").list_proposals() == []
    finally:
        services.close()


# -- 429 ---------------------------------------------------------------------------------------------------


def _fail_ten_times(client: TestClient) -> None:
    for _ in range(10):
        response = client.get("/v1/me", headers={"Authorization": "Bearer acc_not-a-token"})
        assert response.status_code == 401


def test_the_eleventh_bad_token_in_a_minute_answers_429_with_retry_after(
    served: tuple[Services, World, TestClient],
) -> None:
    _services, world, client = served
    _fail_ten_times(client)
    response = client.get("/v1/me", headers={"Authorization": "Bearer acc_not-a-token"})
    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "rate_limited"
    assert error["message"].startswith("too many failed sign-ins from testclient: at most 10 a minute; try again in")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert error["details"] == {"retry_after": int(response.headers["Retry-After"])}
    # Every attempt from that address waits, a right token too: otherwise guessing would go on unlimited.
    assert client.get("/v1/me", headers=_bearer(world, "a1")).status_code == 429
    assert client.post("/mcp", content="{}", headers={**_bearer(world, "a1"), **MCP_HEADERS}).status_code == 429


def test_other_addresses_and_requests_without_a_token_are_not_held(
    served: tuple[Services, World, TestClient],
) -> None:
    _services, world, client = served
    _fail_ten_times(client)
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/me").status_code == 401  # no token: not a sign-in attempt, nothing to hold
    elsewhere = TestClient(client.app, client=("192.0.2.7", 50000))  # no second lifespan: REST needs none
    assert elsewhere.get("/v1/me", headers=_bearer(world, "a1")).status_code == 200


def test_good_tokens_are_not_counted(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    for _ in range(30):
        assert client.get("/v1/me", headers=_bearer(world, "a1")).status_code == 200


def test_bad_tokens_over_mcp_count_too(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    for _ in range(10):
        response = client.post("/mcp", json=call, headers={"Authorization": "Bearer acc_bad", **MCP_HEADERS})
        assert response.status_code == 401  # the transport's token verifier (SPEC §9); the guard counts it
    response = client.post("/mcp", json=call, headers={**_bearer(world, "a1"), **MCP_HEADERS})
    assert response.status_code == 429 and _error(response)["code"] == "rate_limited"
    assert client.get("/v1/me", headers=_bearer(world, "a1")).status_code == 429


def test_the_web_sign_in_form_is_limited_alike(served: tuple[Services, World, TestClient]) -> None:
    _services, world, client = served
    csrf = csrf_in(client.get("/signin").text)
    for _ in range(10):
        response = client.post("/signin", data={"csrf": csrf, "token": "acc_wrong", "next": "/"})
        assert response.status_code == 401
    response = client.post("/signin", data={"csrf": csrf, "token": world.tokens["a1"], "next": "/"})
    assert response.status_code == 429
    assert "too many failed sign-ins" in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # The same count holds for bearer tokens from that address.
    assert client.get("/v1/me", headers=_bearer(world, "a1")).status_code == 429


def test_the_remote_cli_exits_75_on_429(sqlite_url: str, clock: FixedClock) -> None:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", ["a1"])
    try:
        with live_server(create_app(services, with_mcp=False, with_web=False)) as url:
            runner = CliRunner()
            bad = {"ACCORD_URL": url, "ACCORD_TOKEN": "acc_not-a-token", "ACCORD_DATABASE_URL": ""}
            for _ in range(10):
                assert runner.invoke(cli_app, ["member", "whoami"], env=bad).exit_code == 77
            good = {**bad, "ACCORD_TOKEN": world.tokens["a1"]}
            result = runner.invoke(cli_app, ["member", "whoami"], env=good)
        assert result.exit_code == 75
        assert "too many failed sign-ins from 127.0.0.1: at most 10 a minute" in result.stderr
    finally:
        services.close()
