"""Verifying the hash chain (SPEC §12): `accord audit verify` over a million events, beside `sha256sum`.

Builds a SQLite store holding --events chained events (vote events, as a busy store holds), then times the
service's whole verification (read every row, canonicalise it, hash it, compare) and, as the peer, the GNU
coreutils `sha256sum` over a file holding exactly the bytes the chain hashes (each event's previous hash, a
newline and its RFC 8785 canonical JSON): the floor for hashing those bytes with no per-event work at all.
Prints seconds per million events for both, their ratio, and the load average.

    .venv/bin/python bench/audit_verify.py [--events 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.bootstrap import build_services
from accord.proof.chain import GENESIS, event_body, link
from accord.storage.proof_repository import ProofRepository

BATCH = 20_000


def build(path: Path, events: int, bytes_file: Path) -> str:
    """A migrated store with `events` chained vote events after `accord init`'s own, and the file of every byte
    the chain hashes; returns the admin token."""
    services = build_services(f"sqlite:///{path}")
    token = str(services.identity.init_store()["token"])
    with services.ctx.uow(write=False) as uow:
        existing = list(ProofRepository(uow.conn).chain())
    services.close()
    prev_hash, prev_id = GENESIS, None
    with bytes_file.open("wb") as out:
        for row in existing:
            body = event_body(
                row["id"], row["type"], row["at"], row["actor"], row["group_name"], row["ref"], row["data"]
            )
            out.write(prev_hash.encode() + b"\n" + body)
            prev_hash, prev_id = row["hash"], row["id"]
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN")
        rows: list[tuple[object, ...]] = []
        started = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
        for n in range(events):
            event_id = (prev_id or 0) + 1
            at = started + timedelta(microseconds=n * 1500)
            voter, ref = f"voter-{n % 64}", f"prop_{n // 64:012d}"
            data = {"proposal_id": ref, "voter": voter, "vote": "yes" if n % 3 else "no", "round": 1}
            body = event_body(event_id, "vote.cast", at, voter, "bench", ref, data)
            out.write(prev_hash.encode() + b"\n" + body)
            digest = link(prev_hash, body)
            stored_at = at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite spelling
            rows.append((event_id, stored_at, "vote.cast", voter, "bench", ref, json.dumps(data), prev_id, digest))
            prev_id, prev_hash = event_id, digest
            if len(rows) >= BATCH:
                _insert(conn, rows)
        _insert(conn, rows)
        conn.execute("COMMIT")
        conn.close()
    return token


def _insert(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO events (id, at, type, actor, group_name, ref, data, prev_id, hash) VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    rows.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", help="build the store in this directory and keep it")
    opts = parser.parse_args()
    where = Path(opts.keep or tempfile.mkdtemp(prefix="accord-bench-audit-"))
    where.mkdir(parents=True, exist_ok=True)
    store, hashed = where / "accord.db", where / "chain-bytes"
    store.unlink(missing_ok=True)
    try:
        began = time.perf_counter()
        token = build(store, opts.events, hashed)
        built, size = time.perf_counter() - began, hashed.stat().st_size / 1e6
        print(f"built {opts.events:,} chained events in {built:.1f} s ({size:.0f} MB hashed)")

        services = build_services(f"sqlite:///{store}")
        admin = services.identity.authenticate(token)
        began = time.perf_counter()
        result = services.audit.verify(admin)
        ours = time.perf_counter() - began
        services.close()
        assert result["ok"], result["message"]

        sha256sum = shutil.which("sha256sum")
        began = time.perf_counter()
        if sha256sum:
            subprocess.run([sha256sum, str(hashed)], check=True, stdout=subprocess.DEVNULL)
        peer = time.perf_counter() - began

        per_million = 1_000_000 / result["verified"]
        print(f"accord audit verify: {result['message'][:60]}…")
        print(f"{'':2}{'what':44} {'s per million':>14}")
        print(f"{'':2}{'accord audit verify (read, JCS, SHA-256)':44} {ours * per_million:14.2f}")
        if sha256sum:
            print(f"{'':2}{'sha256sum over the same canonical bytes':44} {peer * per_million:14.2f}")
            print(f"ratio (accord / sha256sum): {ours / peer:.1f}x   load average {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        if not opts.keep:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
