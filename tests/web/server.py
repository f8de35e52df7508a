"""A real HTTP server (uvicorn in a background thread) over a store, for SSE and browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.testclient import TestClient

from accord.bootstrap import Services, build_services
from accord.entrypoints.rest import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """`accord serve`'s app on a free port, with its own Services on the store (as another process would)."""

    def __init__(self, database_url: str, port: int | None = None) -> None:
        self.services: Services = build_services(database_url)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(self.services),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="accord-test-server", daemon=True)

    def start(self) -> None:
        self.thread.start()
        end = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > end or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.services.close()


@contextmanager
def live_server(database_url: str, port: int | None = None) -> Iterator[LiveServer]:
    server = LiveServer(database_url, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: httpx.Client | TestClient, token: str) -> None:
    """Sign `client` in through the sign-in form, as a person would."""
    csrf = csrf_in(client.get("/signin").text)
    response = client.post("/signin", data={"csrf": csrf, "token": token, "next": "/"})
    assert response.status_code == 303, response.text
