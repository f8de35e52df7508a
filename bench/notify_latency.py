"""Notification latency: from an agent's gate request to the group webhook's receiver, beside a bare POST.

    .venv/bin/python bench/notify_latency.py [--gates 100] [--backends sqlite,postgres]

For each backend a fresh store is made and `accord serve` (with its outbox worker) runs as a subprocess on it;
a webhook of the group points at a receiver in this process that verifies every POST with the
`standardwebhooks` library. Each gate is requested through the HTTP client (as an agent does) and timed from
just before the request to the moment the receiver has verified the webhook carrying it: the request's
transaction (which writes the delivery), the worker waking on the commit, claiming, signing and POSTing.

The peer is a bare POST of the same kind of signed body from this process to the same receiver over a kept-alive
connection: the floor any notifier pays. Prints p50/p99/max of both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks import Webhook

from accord.bootstrap import build_services
from accord.client import AccordClient
from harness import pct, serve, store


class Receiver:
    """Verifies each POST and notes when the one carrying a given key arrived."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        self.failures = 0

    def handle(self, headers: dict[str, str], raw: bytes) -> int:
        assert self.secret is not None
        try:
            body = Webhook(self.secret).verify(raw, headers)
        except Exception:
            self.failures += 1
            return 401
        data = body.get("data") or {}
        key = str(data.get("proposal_id") or data.get("key") or "")
        with self.cond:
            self.arrived[key] = time.monotonic()
            self.cond.notify_all()
        return 200

    def wait(self, key: str, timeout: float = 30) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: key in self.arrived, timeout):
                raise RuntimeError(f"no webhook for {key} within {timeout} s")
            return self.arrived[key]


@contextmanager
def listening(state: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = state.handle({k.lower(): v for k, v in self.headers.items()}, raw)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def run(backend: str, gates: int) -> tuple[list[float], list[float], list[float]]:
    state = Receiver()
    with store(backend) as url, listening(state) as hook_url:
        services = build_services(url)
        services.ctx.allow_private_targets = True
        try:
            admin = services.identity.authenticate(services.identity.init_store()["token"])
            tokens = {n: services.identity.create_member(admin, n)["token"] for n in ("agent", "human")}
            services.groups.create_group(admin, "bench")
            services.groups.add_member(admin, "bench", "agent")
            services.groups.add_member(admin, "bench", "human", role="owner")
            human = services.identity.authenticate(tokens["human"])
            state.secret = services.webhooks.add(human, "bench", hook_url, ["proposal.created"])["secret"]
        finally:
            services.close()
        ours: list[float] = []
        after_commit: list[float] = []  # from the request's answer (its transaction committed) to the receiver
        with serve(url, ACCORD_ALLOW_PRIVATE_TARGETS="1") as base, AccordClient(base, tokens["agent"]) as agent:
            agent.gate_request("warm-up", None, "bench", 3600)
            time.sleep(0.5)
            for n in range(gates):
                started = time.monotonic()
                gid = str(agent.gate_request(f"deploy-{n}", {"n": n}, "bench", 3600)["id"])
                answered = time.monotonic()
                arrived = state.wait(gid)
                ours.append(arrived - started)
                after_commit.append(arrived - answered)
        peer: list[float] = []
        signer = Webhook(state.secret)
        with httpx.Client(timeout=10) as http:
            for n in range(gates):
                key = f"bare-{n}"
                body = json.dumps({"type": "proposal.created", "timestamp": "", "data": {"key": key}})
                at = datetime.now(UTC)
                headers = {
                    "content-type": "application/json",
                    "webhook-id": f"msg_{n}",
                    "webhook-timestamp": str(int(at.timestamp())),
                    "webhook-signature": signer.sign(f"msg_{n}", at, body),
                }
                started = time.monotonic()
                http.post(hook_url, content=body, headers=headers)
                peer.append(state.wait(key) - started)
        if state.failures:
            raise RuntimeError(f"{state.failures} POSTs failed verification")
    return ours, after_commit, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gates", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{'backend':9} {'what':44} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for backend in args.backends.split(","):
        ours, after_commit, peer = run(backend, args.gates)
        rows = (
            ("gate request -> webhook verified (Accord)", ours),
            ("  of which after the request was answered", after_commit),
            ("bare signed POST (peer)", peer),
        )
        for label, samples in rows:
            print(
                f"{backend:9} {label:44} {len(samples):>4} {pct(samples, 0.5):>8.1f} {pct(samples, 0.99):>8.1f} "
                f"{max(samples) * 1000:>8.1f}"
            )
        print(
            f"{backend:9} {'ratio Accord / peer':44} {'':>4} {pct(ours, 0.5) / pct(peer, 0.5):>7.1f}x "
            f"{pct(ours, 0.99) / pct(peer, 0.99):>7.1f}x"
        )


if __name__ == "__main__":
    main()
