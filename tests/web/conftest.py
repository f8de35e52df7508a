"""Fixtures for the web page's server-side tests: a store, a FixedClock, and signed-in test clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from accord.entrypoints.rest import create_app
from tests.support import World
from tests.web.server import sign_in


class Site:
    """The app over one store, with a browser-like client per member."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.world = World(services)
        self.app = create_app(services)
        self.clients: list[TestClient] = []

    def client(self, member: str | None = None) -> TestClient:
        """A new client (its own cookie jar), signed in as `member` when given; redirects are not followed."""
        client = TestClient(self.app, follow_redirects=False)
        self.clients.append(client)
        if member is not None:
            sign_in(client, self.world.tokens[member])
        return client

    def team(self) -> None:
        """backend-team: alice (human owner), bob and carol (agents); ops: olga (human, another group)."""
        self.world.group("backend-team", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}})
        self.world.group("ops", {"olga": {"kind": "human", "role": "owner"}})

    def events(self) -> int:
        """How many events the store holds (to show that a refusal wrote nothing)."""
        return len(self.services.events.since(self.world.admin, 0, 500))


@pytest.fixture
def site(sqlite_url: str, clock: FixedClock) -> Iterator[Site]:
    services = build_services(sqlite_url, clock)
    s = Site(services)
    s.team()
    yield s
    for client in s.clients:
        client.close()
    services.close()
