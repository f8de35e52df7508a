"""Votes over HTTP: `accord serve` on SQLite, beside a bare FastAPI endpoint that inserts one row into SQLite.

Both servers run as uvicorn subprocesses on this machine, in the same run; the same client (asyncio +
httpx, one connection per voter) drives each. Prints throughput, p50/p99 latency, the ratio, errors and
whether the final tallies equal the votes acknowledged (zero lost votes).

The machine is shared, so each round runs both servers back to back (alternating which goes first) on a
fresh store, and every round is printed with the load average; compare within a round. The HTTP clients
are built before the clock starts (building one takes ~20 ms of CPU; built inside the timed run they held
up the first requests by seconds, which showed up as both servers' p99).

    .venv/bin/python bench/votes_http.py [--connections 64] [--proposals 40] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from accord.api import Api
from accord.bootstrap import build_services

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start")


async def drive(base: str, jobs: list[tuple[str, str, str]], connections: int) -> tuple[list[float], int, float]:
    """Send every (token, proposal, vote) job, `connections` at a time; returns latencies, errors, seconds."""
    queues: list[list[tuple[str, str, str]]] = [[] for _ in range(connections)]
    for i, job in enumerate(jobs):
        queues[i % connections].append(job)
    latencies: list[float] = []
    errors = 0
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(connections)]

    async def worker(client: httpx.AsyncClient, queue: list[tuple[str, str, str]]) -> None:
        nonlocal errors
        for token, proposal_id, vote in queue:
            started = time.perf_counter()
            response = await client.post(
                f"/v1/proposals/{proposal_id}/votes",
                json={"vote": vote, "comment": "bench"},
                headers={"Authorization": f"Bearer {token}"},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                errors += 1

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, q) for c, q in zip(clients, queues, strict=True)))
        return latencies, errors, time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


def summary(name: str, latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "name": name,
        "rps": len(latencies) / seconds,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": errors,
        "requests": len(latencies),
        "load": os.getloadavg()[0],
    }


class Store:
    """A fresh accord store with one voter per connection and the proposals they vote on (set-up, not timed)."""

    def __init__(self, opts: argparse.Namespace) -> None:
        self.url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='accord-bench-')) / 'accord.db'}"
        services = build_services(self.url)
        self.admin_token = services.identity.init_store()["token"]
        admin = services.identity.authenticate(self.admin_token)
        services.groups.create_group(admin, "bench")
        tokens = []
        for i in range(opts.connections):
            tokens.append(services.identity.create_member(admin, f"voter-{i}")["token"])
            services.groups.add_member(admin, "bench", f"voter-{i}")
        creator = Api(services, services.identity.authenticate(tokens[0]))
        self.proposals = [creator.create_proposal("bench", f"Proposal {i}")["id"] for i in range(opts.proposals)]
        # Every voter votes once on every proposal.
        self.jobs = [
            (tokens[v], p, "yes" if (v + i) % 3 else "no")
            for i, p in enumerate(self.proposals)
            for v in range(len(tokens))
        ]
        services.close()

    def counted(self) -> int:
        """Votes in the proposals' tallies."""
        services = build_services(self.url)
        reader = Api(services, services.identity.authenticate(self.admin_token))
        total = sum(sum(reader.get_proposal(p)["tally"].values()) for p in self.proposals)
        services.close()
        return total


def run_accord(store: Store, opts: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    port = free_port()
    accord = start(
        [str(Path(sys.executable).with_name("accord")), "serve", "--port", str(port)],
        {**env, "ACCORD_DATABASE_URL": store.url},
        port,
    )
    try:
        row = summary("accord serve", *asyncio.run(drive(f"http://127.0.0.1:{port}", store.jobs, opts.connections)))
    finally:
        accord.terminate()
        accord.wait(timeout=30)
    row["counted"] = store.counted()  # zero lost votes: every acknowledged vote is in a tally
    row["acknowledged"] = row["requests"] - row["errors"]
    return row


def run_bare(store: Store, opts: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The same requests (same tokens, ids and bodies) against the bare endpoint, on a fresh WAL file."""
    bare_db = Path(tempfile.mkdtemp(prefix="accord-bench-")) / "bare.db"
    with sqlite3.connect(bare_db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE votes (id INTEGER PRIMARY KEY, proposal_id TEXT, vote TEXT, comment TEXT)")
    port = free_port()
    bare = start(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"],
        {**env, "BARE_DB": str(bare_db), "PYTHONPATH": str(HERE)},
        port,
    )
    try:
        return summary(
            "bare FastAPI + SQLite insert",
            *asyncio.run(drive(f"http://127.0.0.1:{port}", store.jobs, opts.connections)),
        )
    finally:
        bare.terminate()
        bare.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--proposals", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both servers, alternating the order")
    opts = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}

    votes = opts.connections * opts.proposals
    print(
        f"{votes} votes per run, {opts.connections} connections, {opts.proposals} proposals x {opts.connections} voters"
    )
    print(f"{'round':5} {'server':30} {'votes/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'load':>5}  ratio")
    ok = True
    ratios, p99s = [], []
    for round_no in range(1, opts.rounds + 1):
        store = Store(opts)
        if round_no % 2:
            ours, peer = run_accord(store, opts, env), run_bare(store, opts, env)
        else:
            peer, ours = run_bare(store, opts, env), run_accord(store, opts, env)
        ratio = ours["rps"] / peer["rps"]
        ratios.append(ratio)
        p99s.append(ours["p99"])
        for row in (ours, peer):
            print(
                f"{round_no:5} {row['name']:30} {row['rps']:8.0f} {row['p50']:8.1f} {row['p99']:8.1f} "
                f"{row['errors']:7d} {row['load']:5.1f}" + (f"  {ratio:.2f}" if row is ours else "")
            )
        lost = ours["acknowledged"] - ours["counted"]
        print(
            f"{'':5} acknowledged {ours['acknowledged']}, counted in tallies {ours['counted']}: "
            + ("no votes lost" if lost == 0 else f"{lost} LOST VOTES")
        )
        ok = ok and lost == 0 and ours["errors"] == 0
    print(
        f"ratio (accord / bare) per round: {', '.join(f'{r:.2f}' for r in ratios)}  (target >= 0.60); "
        f"accord p99 per round: {', '.join(f'{p:.0f}' for p in p99s)} ms  (target < 100)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
