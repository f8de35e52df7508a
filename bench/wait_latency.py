"""Gate wait latency: from a committed deciding vote to the waiting client's return, beside seed 002's polling.

    .venv/bin/python bench/wait_latency.py [--gates 200] [--backends sqlite,postgres] [--faces cli,client,mcp,polling]

For each backend a fresh store is made and `accord serve` runs as a subprocess on it. Each gate has two
counted voters; the first votes yes before the waiter starts, and the second (the deciding) yes is cast by
this process directly on the store, so every wake-up crosses processes exactly as in production: on SQLite
through the events high-water mark (checked every 50 ms), on PostgreSQL through LISTEN/NOTIFY. The waiter is
the requester, so its wait also closes the gate (one more transaction) before it returns.

Faces:
* cli: `accord gate wait ID` subprocesses on the local store (started in batches, measured once idle, i.e.
  blocked in their wait; the time includes the interpreter's exit, as a script sees it).
* client: `AccordClient.gate_wait` (HTTP long-poll to `accord serve`).
* mcp: the `gate_wait` tool over streamable HTTP at /mcp (the MCP SDK's client, one session).
* polling: seed 002's waitForConsensus loop (tally, then sleep 2 s) through the HTTP client, each gate's loop
  at a random phase, many at once.

Latency is measured from the moment the deciding vote's transaction has committed (the vote call returned)
to the moment the waiter has its answer. Prints p50/p99/max per face and the ratio to polling; the target
is p99 < 100 ms and at least 20x quicker than polling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from accord.api import Api
from accord.bootstrap import Services, build_services
from accord.client import AccordClient
from harness import ACCORD, serve, store

POLL_SECONDS = 2.0  # seed 002: `await new Promise(r => setTimeout(r, 2000))`
SETTLE = 0.2  # let a long-poll reach the server and block before the deciding vote (plus a random jitter, so
# the votes never fall into step with the 50 ms SQLite poll and always hit the same phase of it)


def settle() -> float:
    return SETTLE + random.uniform(0, 0.1)


@dataclass
class Figures:
    face: str
    samples: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class Bench:
    """One store: the requester, two voters, and a fresh gate per measurement."""

    def __init__(self, services: Services) -> None:
        self.services = services
        admin_token = services.identity.init_store()["token"]
        admin = services.identity.authenticate(admin_token)
        self.tokens = {n: services.identity.create_member(admin, n)["token"] for n in ("req", "v1", "v2")}
        services.groups.create_group(admin, "bench")
        for name in self.tokens:
            services.groups.add_member(admin, "bench", name)
        self.api = {n: Api(services, services.identity.authenticate(t)) for n, t in self.tokens.items()}
        self.count = 0

    def gate(self) -> str:
        """A pending gate one yes away from approval."""
        self.count += 1
        gid = str(self.api["req"].gate_request(f"bench-{self.count}", None, "bench", 3600)["id"])
        self.api["v1"].gate_vote(gid, "yes")
        return gid

    def decide(self, gid: str) -> float:
        """Cast the deciding vote; the instant its transaction has committed."""
        self.api["v2"].gate_vote(gid, "yes")
        return time.monotonic()


def blocked(pid: int) -> bool:
    """Whether the process has its event thread and every one of its threads sleeps (none runnable)."""
    tasks = list(Path(f"/proc/{pid}/task").iterdir())
    states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks]
    return len(tasks) >= 2 and all(state == "S" for state in states)


def wait_idle(procs: list[subprocess.Popen[bytes]]) -> None:
    """Until every process has started up and sits blocked in its wait: it has subscribed (its event thread
    exists) and all its threads sleep, on three checks in a row (a starved, runnable process does not pass)."""
    calm = {p.pid: 0 for p in procs}
    deadline = time.monotonic() + 300
    while min(calm.values()) < 3:
        if time.monotonic() > deadline:
            raise RuntimeError("the CLI waiters never settled")
        time.sleep(0.2)
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a CLI waiter exited early ({p.returncode})")
            calm[p.pid] = calm[p.pid] + 1 if blocked(p.pid) else 0


def measure_cli(bench: Bench, url: str, n: int, batch: int) -> Figures:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {"ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": bench.tokens["req"]}
    samples: list[float] = []
    while len(samples) < n:
        gates = [bench.gate() for _ in range(min(batch, n - len(samples)))]
        procs = [
            subprocess.Popen([ACCORD, "gate", "wait", g, "--timeout", "600"], env=env, stdout=subprocess.DEVNULL)
            for g in gates
        ]
        wait_idle(procs)
        for gid, proc in zip(gates, procs, strict=True):
            time.sleep(random.uniform(0, 0.05))
            committed = bench.decide(gid)
            code = proc.wait(60)
            samples.append(time.monotonic() - committed)
            if code != 0:
                raise RuntimeError(f"accord gate wait exited {code}")
    return Figures("cli (accord gate wait)", samples)


def measure_client(bench: Bench, base: str, n: int) -> Figures:
    samples: list[float] = []
    with AccordClient(base, bench.tokens["req"]) as client:
        for _ in range(n):
            gid = bench.gate()
            got: dict[str, Any] = {}

            def wait(gate_id: str = gid, into: dict[str, Any] = got) -> None:
                into["gate"] = client.gate_wait(gate_id, 600)
                into["at"] = time.monotonic()

            thread = threading.Thread(target=wait)
            thread.start()
            time.sleep(settle())
            committed = bench.decide(gid)
            thread.join(60)
            assert got["gate"]["status"] == "approved" and got["gate"]["closed"], got
            samples.append(got["at"] - committed)
    return Figures("client (HTTP long-poll)", samples)


def measure_mcp(bench: Bench, base: str, n: int) -> Figures:
    async def run() -> list[float]:
        samples: list[float] = []
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {bench.tokens['req']}"})
        async with http, Client(streamable_http_client(base + "/mcp", http_client=http)) as client:
            for _ in range(n):
                gid = await asyncio.to_thread(bench.gate)
                call = asyncio.create_task(client.call_tool("gate_wait", {"subject": gid, "timeout": 600}))
                await asyncio.sleep(settle())
                committed = await asyncio.to_thread(bench.decide, gid)
                result = await call
                samples.append(time.monotonic() - committed)
                assert not result.is_error and result.structured_content is not None, result
                assert result.structured_content["status"] == "approved"
        return samples

    return Figures("mcp (gate_wait, streamable HTTP)", asyncio.run(run()))


def measure_polling(bench: Bench, base: str, n: int, batch: int) -> Figures:
    """Seed 002's loop: tally, and while not decided sleep 2 s; many loops at once, each at a random phase."""
    samples: list[float] = []
    lock = threading.Lock()
    while len(samples) < n:
        gates = [bench.gate() for _ in range(min(batch, n - len(samples)))]
        committed: dict[str, float] = {}
        seen: dict[str, float] = {}

        def loop(gid: str, client: AccordClient, seen: dict[str, float] = seen) -> None:
            time.sleep(random.uniform(0, POLL_SECONDS))
            while True:
                status = client.gate_tally(gid)["status"]
                if status != "pending":
                    with lock:
                        seen[gid] = time.monotonic()
                    return
                time.sleep(POLL_SECONDS)

        clients = [AccordClient(base, bench.tokens["req"]) for _ in gates]
        threads = [threading.Thread(target=loop, args=(g, c)) for g, c in zip(gates, clients, strict=True)]
        for thread in threads:
            thread.start()
        time.sleep(POLL_SECONDS + 0.5)
        for gid in random.sample(gates, len(gates)):
            committed[gid] = bench.decide(gid)
            time.sleep(random.uniform(0, 0.05))
        for thread in threads:
            thread.join(60)
        for client in clients:
            client.close()
        samples += [seen[g] - committed[g] for g in gates]
    return Figures(f"polling (seed 002, every {POLL_SECONDS:g} s)", samples)


def report(backend: str, figures: list[Figures]) -> None:
    polling = next((f for f in figures if f.face.startswith("polling")), None)
    print(f"\n== {backend} ==")
    print(f"{'face':36} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'p50 x':>8} {'p99 x':>8}")
    for f in figures:
        ratio50 = f"{polling.pct(0.5) / f.pct(0.5):.0f}" if polling and f is not polling else "-"
        ratio99 = f"{polling.pct(0.99) / f.pct(0.99):.0f}" if polling and f is not polling else "-"
        print(
            f"{f.face:36} {len(f.samples):>5} {f.pct(0.5):>9.1f} {f.pct(0.99):>9.1f} {max(f.samples) * 1000:>9.1f} "
            f"{ratio50:>8} {ratio99:>8}"
        )
    for f in figures:
        if f is polling:
            continue
        ok = f.pct(0.99) < 100 and (polling is None or polling.pct(0.99) / f.pct(0.99) >= 20)
        print(f"  {f.face}: p99 < 100 ms and >= 20x polling: {'yes' if ok else 'NO'}")
    if polling:
        print(f"  polling mean {statistics.mean(polling.samples) * 1000:.0f} ms")


def measure(face: str, bench: Bench, url: str, base: str, args: argparse.Namespace) -> Figures:
    if face == "cli":
        return measure_cli(bench, url, args.gates, args.cli_batch)
    if face == "client":
        return measure_client(bench, base, args.gates)
    if face == "mcp":
        return measure_mcp(bench, base, args.gates)
    if face == "polling":
        return measure_polling(bench, base, args.gates, args.poll_batch)
    raise SystemExit(f"unknown face {face!r}: use cli, client, mcp or polling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gates", type=int, default=200, help="gates per face (default 200)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--faces", default="cli,client,mcp,polling")
    parser.add_argument("--cli-batch", type=int, default=20, help="CLI waiters started at once")
    parser.add_argument("--poll-batch", type=int, default=50, help="polling loops run at once")
    args = parser.parse_args()
    faces = args.faces.split(",")
    for backend in args.backends.split(","):
        with store(backend) as url:
            services = build_services(url)
            bench = Bench(services)
            try:
                with serve(url) as base:
                    figures = []
                    for face in faces:
                        started = time.monotonic()
                        figures.append(measure(face, bench, url, base, args))
                        print(f"[{backend}] {face}: {time.monotonic() - started:.0f} s", file=sys.stderr)
                report(backend, figures)
            finally:
                services.close()


if __name__ == "__main__":
    main()
