"""A real HTTP receiver for webhook tests: it verifies every POST with the `standardwebhooks` library (as a
user's endpoint would) and answers the status codes it is told to, in turn."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    body: dict[str, Any]
    status: int
    verified: bool


@dataclass
class Receiver:
    """Answers `script` status codes one by one (then 200); `secret` verifies (set it once the webhook is added)."""

    url: str = ""
    secret: str | None = None
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    # Hold the POST with this (1-based) number until `release` is set: a delivery in flight.
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    posts: int = 0

    def handle(self, headers: dict[str, str], raw: bytes) -> int:
        with self.arrived:
            self.posts += 1
            held = self.posts == self.hold_at
        if held:
            self.holding.set()
            self.release.wait(60)
        verified = False
        body: dict[str, Any] = {}
        if self.secret is not None:
            try:
                body = Webhook(self.secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                body = json.loads(raw or b"{}")
        with self.arrived:
            status = self.script.pop(0) if self.script else 200
            if not verified and self.secret is not None:
                status = 401  # a signature that does not verify is refused, as a real endpoint would
            self.received.append(
                Received(headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""), body, status, verified)
            )
            self.arrived.notify_all()
        return status

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until `count` successful (2xx) POSTs arrived; all POSTs so far."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.ok) >= count, timeout)
            return list(self.received)

    def wait_received(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until `count` POSTs were answered, whatever their status."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    @property
    def ok(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]


@contextmanager
def receiver(script: list[int] | None = None) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) in a thread, for the duration of the block."""
    state = Receiver(script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = state.handle({k.lower(): v for k, v in self.headers.items()}, raw)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
