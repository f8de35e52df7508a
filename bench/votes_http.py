"""Votes over HTTP: `accord serve` on SQLite, beside a bare FastAPI endpoint that inserts one row into SQLite.

Both servers run as uvicorn subprocesses on this machine, in the same run; the same client (asyncio +
httpx, one connection per voter) drives each. Prints throughput, p50/p99 latency, the ratio, errors and
whether the final tallies equal the votes acknowledged (zero lost votes).

    .venv/bin/python bench/votes_http.py [--connections 64] [--proposals 40]
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

    async def worker(queue: list[tuple[str, str, str]]) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
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

    started = time.perf_counter()
    await asyncio.gather(*(worker(q) for q in queues))
    return latencies, errors, time.perf_counter() - started


def summary(name: str, latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "name": name,
        "rps": len(latencies) / seconds,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": errors,
        "requests": len(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--proposals", type=int, default=40)
    opts = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    url = f"sqlite:///{workdir / 'accord.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}

    # Set-up (not timed): one voter per connection, every voter votes once on every proposal.
    services = build_services(url)
    admin_token = services.identity.init_store()["token"]
    admin = services.identity.authenticate(admin_token)
    services.groups.create_group(admin, "bench")
    tokens = []
    for i in range(opts.connections):
        tokens.append(services.identity.create_member(admin, f"voter-{i}")["token"])
        services.groups.add_member(admin, "bench", f"voter-{i}")
    creator = Api(services, services.identity.authenticate(tokens[0]))
    proposals = [creator.create_proposal("bench", f"Proposal {i}")["id"] for i in range(opts.proposals)]
    jobs = [(tokens[v], p, "yes" if (v + i) % 3 else "no") for i, p in enumerate(proposals) for v in range(len(tokens))]
    services.close()

    port = free_port()
    accord = start(
        [str(Path(sys.executable).with_name("accord")), "serve", "--port", str(port)],
        {**env, "ACCORD_DATABASE_URL": url},
        port,
    )
    try:
        ours = summary("accord serve", *asyncio.run(drive(f"http://127.0.0.1:{port}", jobs, opts.connections)))
    finally:
        accord.terminate()
        accord.wait(timeout=30)

    bare_db = workdir / "bare.db"
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
        peer = summary(
            "bare FastAPI + SQLite insert", *asyncio.run(drive(f"http://127.0.0.1:{port}", jobs, opts.connections))
        )
    finally:
        bare.terminate()
        bare.wait(timeout=30)

    # Zero lost votes: every acknowledged vote is in a tally.
    services = build_services(url)
    reader = Api(services, services.identity.authenticate(admin_token))
    counted = sum(sum(reader.get_proposal(p)["tally"].values()) for p in proposals)
    services.close()
    acknowledged = ours["requests"] - ours["errors"]

    print(f"{len(jobs)} votes, {opts.connections} connections, {opts.proposals} proposals x {opts.connections} voters")
    print(f"{'server':32} {'votes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in (ours, peer):
        print(f"{row['name']:32} {row['rps']:9.0f} {row['p50']:8.1f} {row['p99']:8.1f} {row['errors']:7d}")
    ratio = ours["rps"] / peer["rps"]
    print(f"ratio (accord / bare): {ratio:.2f}  (target ≥ 0.60)")
    print(
        f"acknowledged {acknowledged}, counted in tallies {counted}: "
        + ("no votes lost" if counted == acknowledged else "LOST VOTES")
    )
    ok = counted == acknowledged and ours["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
