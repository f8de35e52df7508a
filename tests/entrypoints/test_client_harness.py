"""A real HTTP server for client and remote-mode tests: uvicorn in a thread, or `accord serve` in a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx
import pytest
import uvicorn

from accord.bootstrap import Services
from accord.client import AccordClient
from accord.domain.errors import AuthError, UnavailableError
from accord.entrypoints.rest import create_app
from tests.support import World

ACCORD = str(Path(sys.executable).with_name("accord"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`create_app(services)` served by uvicorn on a free port, in a thread of this process."""

    def __init__(self, services: Services) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(services), host="127.0.0.1", port=self.port, log_level="warning", ws="none", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class ServeProcess:
    """`accord serve` on a free port against `database_url`, as a separate process."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env["ACCORD_DATABASE_URL"] = database_url
        self.proc = subprocess.Popen(
            [ACCORD, "serve", "--port", str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def __enter__(self) -> ServeProcess:
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                problem = self.proc.stderr.read() if self.proc.stderr else b""
                raise RuntimeError(f"accord serve exited {self.proc.returncode}: {problem!r}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("accord serve did not start")
            time.sleep(0.1)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()


def test_the_live_server_answers_as_the_tokens_member(world: World) -> None:
    world.member("ana")
    with LiveServer(world.services) as server, AccordClient(server.url, world.tokens["ana"]) as ana:
        assert ana.whoami()["name"] == "ana"
        with AccordClient(server.url, "acc_wrong") as nobody, pytest.raises(AuthError, match="invalid token"):
            nobody.whoami()


def test_an_unreachable_server_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        AccordClient(url, "acc_x") as client,
        pytest.raises(UnavailableError, match=f"the server at {url} is unavailable"),
    ):
        client.whoami()
