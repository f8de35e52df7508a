"""What the latency benchmarks share: a fresh migrated store (SQLite or PostgreSQL), a real `accord serve` on it,
and percentiles in milliseconds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from accord.storage.engine import make_engine
from accord.storage.migrate import upgrade

ACCORD = str(Path(sys.executable).with_name("accord"))
PG_ADMIN = os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def store(backend: str) -> Iterator[str]:
    """The URL of a new, migrated store ("sqlite" in a temporary folder, or "postgres": a database of its own,
    dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url
        return
    name = f"accord_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def serve(url: str, **settings: str) -> Iterator[str]:
    """A real `accord serve` on `url` (and `settings`, e.g. ACCORD_ALLOW_PRIVATE_TARGETS="1"); yields its base
    address once /healthz answers (RuntimeError after 120 s), and stops it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")} | {"ACCORD_DATABASE_URL": url}
    proc = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port)], env=env | settings, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("accord serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `samples` in seconds, as milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000
