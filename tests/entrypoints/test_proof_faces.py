"""The verifiable record on every face (SPEC §12): REST, MCP, CLI, the client, and offline verification."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import Client
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from accord.bootstrap import build_services
from accord.client import AccordClient
from accord.domain.errors import ConflictError
from accord.entrypoints.cli import app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app
from accord.proof import receipts
from accord.storage import tables as t
from accord.storage.proof_tables import signing_keys
from tests.support import World, live_server

ACCORD = str(Path(sys.executable).with_name("accord"))
PAYLOAD = {"version": "2.0"}


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("ops", ["ci", "ana", "bo"])
    world.group("other", ["zed"])
    yield world
    services.close()


def as_(world: World, member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[member]}"}


def approve(world: World, subject: str = "deploy") -> str:
    gid: str = world.api("ci").gate_request(subject, PAYLOAD, "ops")["id"]
    world.api("ana").gate_vote(gid, "yes")
    world.api("bo").gate_vote(gid, "yes")
    return gid


def private_secrets(world: World) -> list[str]:
    """Every private key of the store, as PEM body lines and as the JWK `d` value."""
    from accord.proof.keys import from_pem

    with world.services.ctx.engine.connect() as conn:
        pems = [p for p in conn.execute(select(signing_keys.c.private_pem)).scalars() if p]
    found = []
    for pem in pems:
        found += [line for line in pem.splitlines() if line and not line.startswith("-----")]
        found.append(from_pem(pem).key.as_dict(private=True)["d"])
    assert found
    return found


def test_rest(world: World) -> None:
    gid = approve(world)
    with TestClient(create_app(world.services, with_mcp=False, with_web=False)) as http:
        jwks = http.get("/.well-known/jwks.json")  # no token needed
        assert jwks.status_code == 200 and [set(k) for k in jwks.json()["keys"]] == [
            {"kty", "crv", "x", "kid", "alg", "use"}
        ]
        closed = http.post(f"/v1/gates/{gid}/close", headers=as_(world, "ci")).json()
        waited = http.get(f"/v1/gates/{gid}/wait", params={"timeout": 0}, headers=as_(world, "ci")).json()
        assert closed["receipt"] == waited["receipt"] and closed["receipt"].count(".") == 2
        other = http.get(f"/v1/gates/{gid}/wait", params={"timeout": 0}, headers=as_(world, "ana")).json()
        assert other["receipt"] is None
        token = closed["receipt"]
        jti = receipts.claims_of(token)["jti"]
        checked = http.post(
            "/v1/receipts/verify", json={"receipt": token, "payload": PAYLOAD}, headers=as_(world, "bo")
        )
        assert checked.json()["valid"] is True
        bare = http.post("/v1/receipts/verify", json={"receipt": token}, headers=as_(world, "bo"))
        assert bare.json()["reason"] == "payload not given"
        assert http.post(f"/v1/receipts/{jti}/redeem", headers=as_(world, "ana")).status_code == 403
        assert http.post(f"/v1/receipts/{jti}/redeem", headers=as_(world, "zed")).json()["error"]["message"] == (
            f"receipt {jti} not found"
        )
        first = http.post(f"/v1/receipts/{jti}/redeem", headers=as_(world, "ci"))
        second = http.post(f"/v1/receipts/{jti}/redeem", headers=as_(world, "ci"))
        assert first.status_code == 200 and first.json()["redeemed"] is True
        assert second.status_code == 409
        assert second.json()["error"]["message"] == f"receipt {jti} was redeemed at {first.json()['redeemed_at']}"
        head = http.get("/v1/audit/head", headers=as_(world, "zed"))
        assert head.status_code == 200 and len(head.json()["hash"]) == 64
        assert http.get("/v1/audit/verify", headers=as_(world, "ana")).status_code == 403
        verified = http.get("/v1/audit/verify", headers=as_(world, "admin")).json()
        assert verified["ok"] and verified["head"] == head.json()
        pinned = http.get("/v1/audit/verify", params={"pinned": "12:nothex"}, headers=as_(world, "admin"))
        assert pinned.status_code == 422 and "pinned '12:nothex' is not ID:HASH" in pinned.json()["error"]["message"]
        assert http.post("/v1/keys/rotate", headers=as_(world, "ana")).status_code == 403
        assert len(http.post("/v1/keys/rotate", headers=as_(world, "admin")).json()["keys"]) == 2
        record = http.get(f"/v1/proposals/{gid}/record", headers=as_(world, "admin"))
        assert record.json()["receipt"] == token
        served = jwks.text + http.get("/v1/keys", headers=as_(world, "admin")).text + http.get("/openapi.json").text
    for secret in private_secrets(world):
        assert secret not in served


def test_mcp(world: World) -> None:
    gid = approve(world)

    def call(member: str, tool: str, **args: Any) -> Any:
        async def run() -> Any:
            async with Client(build_mcp(world.services, token=world.tokens[member])) as client:
                result = await client.call_tool(tool, args)
            if result.is_error:
                return "error: " + " ".join(getattr(c, "text", "") for c in result.content)
            return result.structured_content

        return asyncio.run(run())

    token = call("ci", "gate_wait", subject=gid, timeout=1)["receipt"]
    jti = receipts.claims_of(token)["jti"]
    assert call("ana", "verify_receipt", receipt=token, payload=PAYLOAD)["valid"] is True
    assert call("ana", "verify_receipt", receipt=token)["reason"] == "payload not given"
    assert call("ana", "verify_receipt", receipt=token, payload={"version": "3"})["reason"] == "payload differs"
    assert call("ana", "redeem_receipt", jti=jti) == f"error: ana may not redeem receipt {jti}: only requester ci may"
    assert call("ci", "redeem_receipt", jti=jti)["redeemed"] is True
    assert call("ci", "redeem_receipt", jti=jti).startswith(f"error: receipt {jti} was redeemed at ")


class Cli:
    def __init__(self, url: str, world: World) -> None:
        self.url, self.world, self.runner = url, world, CliRunner()

    def __call__(self, member: str, *args: str, env: dict[str, str] | None = None) -> Result:
        base = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[member], "ACCORD_URL": ""}
        return self.runner.invoke(app, list(args), env={**base, **(env or {})})


def test_cli_audit(world: World, sqlite_url: str) -> None:
    cli = Cli(sqlite_url, world)
    approve(world)
    listed = cli("admin", "audit", "--limit", "3", "--json")
    assert listed.exit_code == 0 and [e["id"] for e in json.loads(listed.stdout)] == [1, 2, 3]
    head = cli("ana", "audit", "head")
    assert head.exit_code == 0 and re.fullmatch(r"\d+:[0-9a-f]{64}\n", head.stdout)
    event_id, digest = head.stdout.strip().split(":")
    ok = cli("admin", "audit", "verify")
    assert (ok.exit_code, ok.stdout) == (0, f"{event_id} events verified; head {event_id} {digest}\n")
    assert cli("ana", "audit", "verify").exit_code == 77
    with world.services.ctx.engine.begin() as conn:
        conn.execute(update(t.events).where(t.events.c.id == 4).values(type="member.deleted"))
    bad = cli("admin", "audit", "verify")
    assert bad.exit_code == 1 and "event 4 does not match its hash" in bad.stderr
    assert json.loads(cli("admin", "audit", "verify", "--json").stdout)["event_id"] == 4


def test_cli_receipts_and_keys(world: World, sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, world)
    gid = approve(world)
    waited = cli("ci", "gate", "wait", gid, "--json")
    assert waited.exit_code == 0
    token = json.loads(waited.stdout)["receipt"]
    jti = receipts.claims_of(token)["jti"]
    shown = cli("ana", "keys", "show", "--json")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(json.loads(shown.stdout)["jwks"]))
    payload = json.dumps(PAYLOAD)
    good = cli("ana", "receipt", "verify", token, "--payload", payload, "--jwks", str(jwks_file))
    assert good.exit_code == 0 and good.stdout.startswith(f"receipt {jti} verified: gate {gid} approved in ops")
    via_store = cli("ana", "receipt", "verify", token, "--payload", payload, env={"ACCORD_TOKEN": ""})
    assert via_store.exit_code == 0  # the store's public keys: no token needed
    for args, reason in [
        ([], "payload not given"),
        (["--payload", '{"version": "9"}'], "payload differs"),
    ]:
        failed = cli("ana", "receipt", "verify", token, *args, "--jwks", str(jwks_file))
        assert (failed.exit_code, failed.stderr.strip()) == (1, f"receipt not verified: {reason}")
    receipt_file = tmp_path / "receipt.jws"
    receipt_file.write_text(token + "\n")
    assert cli("ana", "receipt", "verify", str(receipt_file), "--payload", payload).exit_code == 0
    assert cli("ana", "receipt", "verify", token, "--payload", "{nope").exit_code == 65
    assert cli("ana", "receipt", "verify", token, "--jwks", str(tmp_path / "missing.json")).exit_code == 65
    assert cli("ana", "receipt", "redeem", jti).exit_code == 77
    assert cli("ci", "receipt", "redeem", token).exit_code == 0  # the receipt itself names its jti
    again = cli("ci", "receipt", "redeem", jti)
    assert again.exit_code == 75 and f"receipt {jti} was redeemed at " in again.stderr
    assert cli("ana", "keys", "rotate").exit_code == 77
    rotated = cli("admin", "keys", "rotate")
    assert rotated.exit_code == 0 and rotated.stdout.startswith("new signing key ")
    table = cli("admin", "keys", "show")
    printed = shown.stdout + rotated.stdout + table.stdout + table.stderr
    for secret in private_secrets(world):
        assert secret not in printed


def test_a_receipt_verifies_on_a_machine_with_no_store_and_no_server(world: World, tmp_path: Path) -> None:
    """The executor's side: a fresh process in an empty directory with only the receipt and the JWKS file."""
    gid = approve(world)
    token = world.api("ci").gate_wait(gid, timeout=0)["receipt"]
    elsewhere = tmp_path / "executor"
    elsewhere.mkdir()
    (elsewhere / "jwks.json").write_text(json.dumps(world.services.keys.jwks()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [ACCORD, "receipt", "verify", *args, "--jwks", "jwks.json"]
        return subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)

    ok = run(token, "--payload", json.dumps(PAYLOAD))
    assert ok.returncode == 0, ok.stderr
    other_store = build_services(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        World(other_store)
        other_store.ctx.engine.dispose()
        (elsewhere / "jwks.json").write_text(json.dumps(other_store.keys.jwks()))
    finally:
        other_store.close()
    foreign = run(token, "--payload", json.dumps(PAYLOAD))
    assert foreign.returncode == 1 and foreign.stderr.startswith("receipt not verified: unknown key")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["jwks.json"]  # no store was made


def test_the_private_key_is_never_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gid = approve(world)
    world.api("ci").gate_close(gid)
    world.api("admin").rotate_key()
    approve(world, "release")
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in private_secrets(world):
        assert secret not in logged


def test_the_client(sqlite_url: str) -> None:
    services = build_services(sqlite_url)  # the client checks `exp` against the real clock
    world = World(services)
    world.group("ops", ["ci", "ana", "bo"])
    gid = approve(world)
    try:
        with live_server(create_app(services, with_mcp=False, with_web=False)) as url:
            with AccordClient(url, world.tokens["ci"]) as client:
                decided = client.wait_for_consensus(gid, timeout=5)
                assert decided["status"] == "approved" and decided["receipt"] == decided["gate"]["receipt"]
                token = decided["receipt"]
                jwks = client.jwks()
                assert client.verify_receipt(token, PAYLOAD)["valid"] is True  # the server's JWKS, fetched
                assert client.verify_receipt(token, {"x": 1}, jwks=jwks)["reason"] == "payload differs"
                jti = receipts.claims_of(token)["jti"]
                assert client.redeem_receipt(jti)["redeemed"] is True
                with pytest.raises(ConflictError, match="was redeemed at"):
                    client.redeem_receipt(jti)
                assert client.audit_head()["id"] > 0
            with AccordClient(url, world.tokens["admin"]) as admin:
                assert admin.audit_verify()["ok"] is True
                assert len(admin.rotate_key()["keys"]) == 2 and len(admin.show_keys()["jwks"]["keys"]) == 2
    finally:
        services.close()
