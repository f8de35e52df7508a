"""Two `accord serve` replicas on one PostgreSQL with 16 concurrent voters: the chain never forks (SPEC §12)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from accord.bootstrap import build_services
from accord.storage import tables as t
from tests.conftest import _truncate
from tests.support import World, free_port

ACCORD = str(Path(sys.executable).with_name("accord"))
VOTERS = 16
PROPOSALS = 6

pytestmark = pytest.mark.postgres


@pytest.fixture
def replicas(pg_server_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two servers on the same database, each its own process."""
    _truncate(pg_server_url)
    env = {**os.environ, "ACCORD_DATABASE_URL": pg_server_url, "ACCORD_SWEEP_INTERVAL_SECONDS": "0.5"}
    procs, urls, logs = [], [], []
    for i in range(2):
        port = free_port()
        logs.append((tmp_path / f"replica-{i}.log").open("w"))
        procs.append(
            subprocess.Popen([ACCORD, "serve", "--port", str(port)], env=env, stdout=logs[-1], stderr=subprocess.STDOUT)
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (tmp_path / "replica-0.log").read_text()
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "a replica did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def test_sixteen_voters_on_two_replicas_leave_one_unbroken_chain(pg_server_url: str, replicas: list[str]) -> None:
    services = build_services(pg_server_url)
    try:
        world = World(services)
        voters = [f"voter-{i:02d}" for i in range(VOTERS)]
        world.group("crowd", voters)
        pids = [world.api("voter-00").create_proposal("crowd", f"Question {n}")["id"] for n in range(PROPOSALS)]
        failures: list[str] = []
        barrier = threading.Barrier(VOTERS)

        def vote(i: int) -> None:
            headers = {"Authorization": f"Bearer {world.tokens[voters[i]]}"}
            with httpx.Client(timeout=60) as http:
                barrier.wait(60)
                for n, pid in enumerate(pids):
                    for choice in ("no", "yes"):  # a vote, then a changed vote
                        url = replicas[(i + n) % 2]
                        response = http.post(f"{url}/v1/proposals/{pid}/votes", json={"vote": choice}, headers=headers)
                        if response.status_code != 201:
                            failures.append(f"{voters[i]} {pid}: {response.status_code} {response.text}")

        threads = [threading.Thread(target=vote, args=(i,)) for i in range(VOTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert failures == []
        for n, pid in enumerate(pids):  # finalize through both replicas at once, too
            headers = {"Authorization": f"Bearer {world.tokens['voter-01']}"}
            assert httpx.post(f"{replicas[n % 2]}/v1/proposals/{pid}/finalize", headers=headers, timeout=60).is_success

        result = world.api("admin").audit_verify()
        with services.ctx.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(select(t.events.c.id).order_by(t.events.c.id))]
            votes = [
                r[0]
                for r in conn.execute(select(t.events.c.type).where(t.events.c.type.in_(["vote.cast", "vote.changed"])))
            ]
        assert result["ok"], result["message"]
        assert ids == list(range(1, len(ids) + 1)) and result["verified"] == len(ids)
        assert len(votes) == VOTERS * PROPOSALS * 2
        for pid in pids:
            assert world.api("admin").get_decision_record(pid)["receipt"].count(".") == 2
    finally:
        services.close()
