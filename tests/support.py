"""Test helpers: a store seeded with members and groups, acting as any of them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from accord.api import Api
from accord.bootstrap import Services
from accord.domain.members import Member


class World:
    """Members, groups and tokens on a real store, made through the services (never behind their back)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tokens: dict[str, str] = {}
        result = services.identity.init_store()
        self.tokens["admin"] = result["token"]
        self.admin = services.identity.authenticate(result["token"])

    def member(self, name: str, kind: str = "agent") -> Member:
        """Create a member (if new) and return it."""
        if name not in self.tokens:
            self.tokens[name] = self.services.identity.create_member(self.admin, name, kind)["token"]
        return self.services.identity.authenticate(self.tokens[name])

    def group(self, name: str, members: dict[str, dict[str, Any]] | list[str], kind: str = "agent") -> str:
        """Create a group with `members` (name -> settings such as weight, veto, advisory, role, kind)."""
        self.services.groups.create_group(self.admin, name)
        specs = {m: {} for m in members} if isinstance(members, list) else members
        for member, settings in specs.items():
            settings = dict(settings)
            self.member(member, settings.pop("kind", kind))
            self.services.groups.add_member(self.admin, name, member, **settings)
        return name

    def api(self, name: str) -> Api:
        """The operations acting as `name`."""
        return Api(self.services, self.services.identity.authenticate(self.tokens[name]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
