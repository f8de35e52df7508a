"""Mail latency: from an agent's gate request to the notice in the human's mailbox, beside a bare Apprise mail.

    .venv/bin/python bench/mail_latency.py [--gates 100] [--backends sqlite,postgres]

For each backend a fresh store is made and `accord serve` (with its outbox worker) runs as a subprocess on it; the
group's human voter has a `mailto://` channel to an SMTP server (aiosmtpd) in this process. Each gate is requested
through the HTTP client (as an agent does) and timed from just before the request to the moment the mailbox has the
mail naming it: the request's transaction (which plans the notice and writes the delivery), the worker waking on
the commit, claiming, minting the sign-in link, rendering and Apprise's SMTP conversation.

The peer is Apprise itself sending a mail of the same size from this process to the same mailbox: the floor any
Apprise-based notifier pays. Prints p50/p99/max of both and the ratio.
"""

from __future__ import annotations

import argparse
import re
import threading
import time

import apprise
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from accord.bootstrap import build_services
from accord.client import AccordClient
from harness import free_port, pct, serve, store

KEY = re.compile(rb"\((prop_[a-z0-9]+)\)|bare-[0-9]+")


class Mailbox:
    """Notes when the mail naming a gate id (or a bare mail's key) arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        found = KEY.search(envelope.original_content or b"")
        if found is not None:
            key = (found.group(1) or found.group(0)).decode()
            with self.cond:
                self.arrived.setdefault(key, time.monotonic())
                self.cond.notify_all()
        return "250 OK"

    def wait(self, key: str, timeout: float = 60) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: key in self.arrived, timeout):
                raise RuntimeError(f"no mail for {key} within {timeout} s")
            return self.arrived[key]

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=accord@example.com&to=human@example.com"


def run(backend: str, gates: int) -> tuple[list[float], list[float]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        with store(backend) as url:
            services = build_services(url)
            services.ctx.allow_private_targets = True
            try:
                admin = services.identity.authenticate(services.identity.init_store()["token"])
                agent_token = services.identity.create_member(admin, "agent")["token"]
                services.identity.create_member(admin, "human", "human")
                services.groups.create_group(admin, "bench")
                services.groups.add_member(admin, "bench", "agent")
                services.groups.add_member(admin, "bench", "human", role="owner")
                services.channels.add(admin, "human", box.url(), ["vote.requested"])
            finally:
                services.close()
            ours: list[float] = []
            with serve(url, ACCORD_ALLOW_PRIVATE_TARGETS="1") as base, AccordClient(base, agent_token) as agent:
                box.wait(str(agent.gate_request("warm-up", None, "bench", 3600)["id"]))
                for n in range(gates):
                    started = time.monotonic()
                    gid = str(agent.gate_request(f"deploy-{n}", {"n": n}, "bench", 3600)["id"])
                    ours.append(box.wait(gid) - started)
        peer: list[float] = []
        body = "x" * 600
        for n in range(gates):
            notifier = apprise.Apprise()
            notifier.add(box.url())
            started = time.monotonic()
            notifier.notify(title=f"bare-{n}", body=f"bare-{n}\n{body}")
            peer.append(box.wait(f"bare-{n}") - started)
    finally:
        controller.stop()
    return ours, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gates", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{'backend':9} {'what':44} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for backend in args.backends.split(","):
        ours, peer = run(backend, args.gates)
        for label, samples in (("gate request -> mail in mailbox (Accord)", ours), ("bare Apprise mail (peer)", peer)):
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
