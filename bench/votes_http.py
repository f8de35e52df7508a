"""Votes over HTTP: `accord serve` on SQLite, beside a bare FastAPI endpoint that inserts one row into SQLite;
then `accord serve` on PostgreSQL beside a bare FastAPI endpoint inserting one row with psycopg.

Both servers run as uvicorn subprocesses on this machine, in the same run; the same client (one keep-alive
connection per voter) drives each with the same requests. Prints throughput, p50/p99 latency, the ratio,
errors, each server's CPU time per vote, and whether the final tallies equal the votes acknowledged (zero
lost votes).

The machine is shared, so each round runs both servers back to back (alternating which goes first) on a
fresh store, and every round is printed with the load average; compare within a round. Connections are
opened before the clock starts. The default client is a minimal HTTP/1.1 one on asyncio streams:
httpx (`--client httpx`) spends more CPU per request than either server, on the same cores, so with it
the figures mostly measure the load generator.

Every vote appends a hash-chained event (SPEC §12), so the figures include the chain. The PostgreSQL rounds run
on a private database made on the server at --postgres (default ACCORD_TEST_POSTGRES_URL or
postgresql://postgres@127.0.0.1:5432/test; `--postgres ''` skips them) and dropped afterwards.

    .venv/bin/python bench/votes_http.py [--connections 64] [--proposals 40] [--rounds 2] [--client raw|httpx]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

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


Job = tuple[str, str, str]  # (token, proposal id, vote)


def spread(jobs: list[Job], connections: int) -> list[list[Job]]:
    queues: list[list[Job]] = [[] for _ in range(connections)]
    for i, job in enumerate(jobs):
        queues[i % connections].append(job)
    return queues


async def drive_httpx(port: int, jobs: list[Job], connections: int) -> tuple[list[float], int, float]:
    """Send every job through httpx, `connections` at a time; returns latencies, errors, seconds."""
    latencies: list[float] = []
    errors = 0
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) for _ in range(connections)]

    async def worker(client: httpx.AsyncClient, queue: list[Job]) -> None:
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
        await asyncio.gather(*(worker(c, q) for c, q in zip(clients, spread(jobs, connections), strict=True)))
        return latencies, errors, time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()


async def drive_raw(port: int, jobs: list[Job], connections: int) -> tuple[list[float], int, float]:
    """`drive_httpx` with a minimal HTTP/1.1 keep-alive client on asyncio streams: the same requests for a
    fraction of the CPU (httpx took more CPU per request than either server, on the same cores)."""
    latencies: list[float] = []
    errors = 0
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]

    def request(token: str, proposal_id: str, vote: str) -> bytes:
        body = json.dumps({"vote": vote, "comment": "bench"}).encode()
        head = (
            f"POST /v1/proposals/{proposal_id}/votes HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def response(reader: asyncio.StreamReader) -> int:
        status = int((await reader.readline()).split()[1])
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("a response without Content-Length")
        await reader.readexactly(length)
        return status

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, queue: list[Job]) -> None:
        nonlocal errors
        for job in queue:
            started = time.perf_counter()
            writer.write(request(*job))
            status = await response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                errors += 1

    try:
        started = time.perf_counter()
        queues = spread(jobs, connections)
        await asyncio.gather(*(worker(r, w, q) for (r, w), q in zip(streams, queues, strict=True)))
        return latencies, errors, time.perf_counter() - started
    finally:
        for _, writer in streams:
            writer.close()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    name: str, proc: subprocess.Popen[bytes], port: int, jobs: list[Job], opts: argparse.Namespace
) -> dict[str, Any]:
    """Drive the server with the chosen client; its figures, with the server's CPU time per vote."""
    drive = drive_raw if opts.client == "raw" else drive_httpx
    before = cpu_seconds(proc.pid)
    row = summary(name, *asyncio.run(drive(port, jobs, opts.connections)))
    after = cpu_seconds(proc.pid)
    row["cpu_ms"] = None if before is None or after is None else (after - before) / row["requests"] * 1000
    return row


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


class PgDatabases:
    """Private PostgreSQL databases for the bench on the server at `admin_url`, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.made: list[str] = []

    def new(self) -> str:
        name = f"accord_bench_{os.getpid()}_{len(self.made)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"{self.admin_url.rsplit('/', 1)[0]}/{name}"

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Store:
    """A fresh accord store with one voter per connection and the proposals they vote on (set-up, not timed)."""

    def __init__(self, opts: argparse.Namespace, url: str | None = None) -> None:
        self.url = url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='accord-bench-')) / 'accord.db'}"
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
        row = measure("accord serve", accord, port, store.jobs, opts)
    finally:
        accord.terminate()
        accord.wait(timeout=30)
    row["counted"] = store.counted()  # zero lost votes: every acknowledged vote is in a tally
    row["acknowledged"] = row["requests"] - row["errors"]
    return row


def run_bare_pg(store: Store, opts: argparse.Namespace, env: dict[str, str], url: str) -> dict[str, Any]:
    """The same requests against the bare psycopg endpoint, on a fresh database (`url`)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE votes (id serial PRIMARY KEY, proposal_id text, vote text, comment text)")
    port = free_port()
    bare = start(
        [sys.executable, "-m", "uvicorn", "bare_pg_app:app", "--port", str(port), "--log-level", "warning"],
        {**env, "BARE_PG_URL": url, "PYTHONPATH": str(HERE)},
        port,
    )
    try:
        return measure("bare FastAPI + psycopg insert", bare, port, store.jobs, opts)
    finally:
        bare.terminate()
        bare.wait(timeout=30)


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
        return measure("bare FastAPI + SQLite insert", bare, port, store.jobs, opts)
    finally:
        bare.terminate()
        bare.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--proposals", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both servers, alternating the order")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="the load generator's HTTP client")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server to make private databases on ('' skips the PostgreSQL rounds)",
    )
    opts = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}

    c, p = opts.connections, opts.proposals
    print(f"{c * p} votes per run, {c} connections, {p} proposals x {c} voters, {opts.client} client")
    print(
        f"{'round':5} {'server':34} {'votes/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'load':>5} "
        f"{'cpu ms/vote':>11}  ratio"
    )
    pg = None
    if opts.postgres:
        try:
            with psycopg.connect(opts.postgres, connect_timeout=3):
                pg = PgDatabases(opts.postgres)
        except psycopg.Error as exc:
            print(f"(PostgreSQL rounds skipped: {str(exc).strip().splitlines()[0]})")
    ok = True
    ratios: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    p99s: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    try:
        for round_no in range(1, opts.rounds + 1):
            for kind in ("sqlite", "postgres") if pg else ("sqlite",):
                peer_run: Callable[[], dict[str, Any]]
                if kind == "sqlite":
                    store = Store(opts)
                    peer_run = functools.partial(run_bare, store, opts, env)
                else:
                    assert pg is not None
                    store = Store(opts, pg.new())
                    peer_run = functools.partial(run_bare_pg, store, opts, env, pg.new())
                if round_no % 2:
                    ours, peer = run_accord(store, opts, env), peer_run()
                else:
                    peer, ours = peer_run(), run_accord(store, opts, env)
                ours["name"] = f"accord serve ({kind})"
                ok = report(round_no, ours, peer, ratios[kind], p99s[kind]) and ok
    finally:
        if pg is not None:
            pg.drop()
    for kind in ratios:
        if ratios[kind]:
            print(
                f"{kind}: ratio (accord / bare) per round: {', '.join(f'{r:.2f}' for r in ratios[kind])}"
                + ("  (target >= 1.2)" if kind == "sqlite" else "")
                + f"; accord p99 per round: {', '.join(f'{p:.0f}' for p in p99s[kind])} ms"
            )
    return 0 if ok else 1


def report(round_no: int, ours: dict[str, Any], peer: dict[str, Any], ratios: list[float], p99s: list[float]) -> bool:
    """Print one round's pair; False when votes were lost or refused."""
    ratio = ours["rps"] / peer["rps"]
    ratios.append(ratio)
    p99s.append(ours["p99"])
    for row in (ours, peer):
        print(
            f"{round_no:5} {row['name']:34} {row['rps']:8.0f} {row['p50']:8.1f} {row['p99']:8.1f} "
            f"{row['errors']:7d} {row['load']:5.1f} {_ms(row['cpu_ms']):>11}"
            + (f"  {ratio:.2f}" if row is ours else "")
        )
    lost = ours["acknowledged"] - ours["counted"]
    print(
        f"{'':5} acknowledged {ours['acknowledged']}, counted in tallies {ours['counted']}: "
        + ("no votes lost" if lost == 0 else f"{lost} LOST VOTES")
    )
    return bool(lost == 0 and ours["errors"] == 0)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
