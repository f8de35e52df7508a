"""REST votes: the token is checked in the vote's own transaction, and concurrent votes all land."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import Services, build_services
from accord.entrypoints.rest import create_app
from tests.support import World, live_server


@pytest.fixture
def setup(sqlite_url: str) -> Iterator[tuple[Services, World]]:
    services = build_services(sqlite_url)
    yield services, World(services)
    services.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_stops_voting_at_once(setup: tuple[Services, World]) -> None:
    services, world = setup
    world.group("team", ["ana", "bo"])
    pid = world.api("bo").create_proposal("team", "Ship?")["id"]
    client = TestClient(create_app(services, with_mcp=False, with_web=False))
    url = f"/v1/proposals/{pid}/votes"
    first = client.post(url, json={"vote": "yes", "comment": "fine"}, headers=bearer(world.tokens["ana"]))
    assert first.status_code == 201
    assert first.json() == {
        "proposal_id": pid,
        "voter": "ana",
        "vote": "yes",
        "comment": "fine",
        "confidence": 1.0,
        "evidence": [],
        "replaced": False,
        "round": 1,
        "cast_at": first.json()["cast_at"],
    }
    before = world.api("admin").get_proposal(pid, history=True)
    services.tokens.revoke(world.admin, "ana")
    revoked = client.post(url, json={"vote": "no"}, headers=bearer(world.tokens["ana"]))
    assert revoked.status_code == 401 and revoked.headers["WWW-Authenticate"] == "Bearer"
    assert revoked.json()["error"]["message"].startswith("token revoked: token tok_")
    missing = client.post(url, json={"vote": "no"})
    assert missing.status_code == 401 and missing.json()["error"]["message"].startswith("missing token")
    assert world.api("admin").get_proposal(pid, history=True) == before


def test_concurrent_votes_over_http_are_all_acknowledged_and_counted(setup: tuple[Services, World]) -> None:
    services, world = setup
    voters = [f"v{i:02d}" for i in range(24)]
    world.group("team", voters)
    pids = [world.api("v00").create_proposal("team", f"Q{i}")["id"] for i in range(3)]

    async def cast_all(base: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            calls = [
                client.post(f"/v1/proposals/{pid}/votes", json={"vote": "no" if i % 4 else "yes"}, headers=bearer(t))
                for pid in pids
                for i, t in enumerate(world.tokens[v] for v in voters)
            ]
            return [r.status_code for r in await asyncio.gather(*calls)]

    with live_server(create_app(services, with_mcp=False, with_web=False)) as base:
        statuses = asyncio.run(cast_all(base))
    assert statuses == [201] * len(pids) * len(voters)
    for pid in pids:
        assert world.api("v01").get_proposal(pid)["tally"] == {"yes": 6, "no": 18}
