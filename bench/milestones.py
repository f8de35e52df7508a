"""Benchmark milestones: does one checkpoint cost the same in a milestone of 100 as in one of 10,000?

Usage: .venv/bin/python bench/milestones.py [--sizes 100,1000,10000] [--width 20] [--postgres] [--seed S]

For each size N, on a fresh store: one milestone of N checkpoints in a layered DAG (layers of `--width`
checkpoints, each depending on up to 3 random checkpoints of the previous layer) is created in one
`create_milestone` call, then every checkpoint is completed in topological order (one `complete_checkpoint`
call, one transaction, each). It prints, per size, the time per created checkpoint, per completion
(median and 95th percentile), per appended checkpoint (`add_checkpoint`), and one `get_milestone` (which
reads the whole milestone, so it grows with N by design). The per-checkpoint figures should stay flat.

The calls go through `accord.api.Api` in-process (no HTTP), on SQLite in a temporary file and, with
--postgres, on a private database of the PostgreSQL at ACCORD_TEST_POSTGRES_URL (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from accord.api import Api
from accord.bootstrap import build_services
from accord.storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Figures:
    store: str
    n: int
    create_per_cp_ms: float
    complete_median_ms: float
    complete_p95_ms: float
    append_median_ms: float
    get_ms: float


def layered(n: int, width: int, rng: random.Random) -> list[dict[str, Any]]:
    """N checkpoints in layers of `width`; each depends on up to 3 of the previous layer (orders 1-based)."""
    checkpoints: list[dict[str, Any]] = []
    for i in range(n):
        layer = i // width
        deps: list[int] = []
        if layer > 0:
            previous = range((layer - 1) * width + 1, layer * width + 1)
            deps = sorted(rng.sample(previous, k=min(len(previous), rng.randint(1, 3))))
        checkpoints.append({"title": f"step {i + 1}", "depends_on": deps})
    return checkpoints


@contextmanager
def sqlite_store() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_store() -> Iterator[str]:
    name = f"accord_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(store: str, url: str, n: int, width: int, seed: int, appends: int) -> Figures:
    services = build_services(url)
    try:
        upgrade(services.ctx.engine)
        admin = services.identity.authenticate(services.identity.init_store()["token"])
        token = services.identity.create_member(admin, "agent", "agent")["token"]
        services.groups.create_group(admin, "team")
        services.groups.add_member(admin, "team", "agent")
        agent = Api(services, services.identity.authenticate(token))
        checkpoints = layered(n, width, random.Random(seed))

        start = time.perf_counter()
        ms = agent.create_milestone("bench", checkpoints, group="team")["id"]
        create_s = time.perf_counter() - start

        completions: list[float] = []
        for order in range(1, n + 1):  # layer by layer: a topological order
            start = time.perf_counter()
            agent.complete_checkpoint(ms, order)
            completions.append(time.perf_counter() - start)

        added: list[float] = []
        for i in range(appends):
            start = time.perf_counter()
            agent.add_checkpoint(ms, f"extra {i}", depends_on=[n])
            added.append(time.perf_counter() - start)

        start = time.perf_counter()
        view = agent.get_milestone(ms)
        get_s = time.perf_counter() - start
        assert view["progress"] == {"completed": n, "total": n + appends}
    finally:
        services.close()
    completions.sort()
    return Figures(
        store=store,
        n=n,
        create_per_cp_ms=create_s / n * 1000,
        complete_median_ms=statistics.median(completions) * 1000,
        complete_p95_ms=completions[int(len(completions) * 0.95) - 1] * 1000,
        append_median_ms=statistics.median(added) * 1000 if added else float("nan"),
        get_ms=get_s * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated milestone sizes")
    parser.add_argument("--width", type=int, default=20, help="checkpoints per layer")
    parser.add_argument("--appends", type=int, default=50, help="add_checkpoint calls after completing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = [("sqlite", sqlite_store)] + ([("postgres", postgres_store)] if args.postgres else [])

    print(f"Layered DAG: layers of {args.width}, each checkpoint depends on up to 3 of the previous layer.")
    header = (
        f"{'store':<9}{'N':>8}  {'create / cp':>12}  {'complete p50':>13}  {'complete p95':>13}"
        f"  {'append p50':>11}  {'get_milestone':>14}"
    )
    print(header)
    print("-" * len(header))
    for store, make in stores:
        for n in sizes:
            with make() as url:
                f = measure(store, url, n, args.width, args.seed, args.appends)
            print(
                f"{f.store:<9}{f.n:>8,}  {f.create_per_cp_ms:>9.3f} ms  {f.complete_median_ms:>10.3f} ms"
                f"  {f.complete_p95_ms:>10.3f} ms  {f.append_median_ms:>8.3f} ms  {f.get_ms:>11.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
