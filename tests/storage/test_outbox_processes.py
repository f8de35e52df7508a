"""The outbox across real processes (SPEC §11): `kill -9` of `accord serve` with deliveries pending loses none
and repeats only the one in flight (same webhook-id); two replicas on PostgreSQL send every delivery once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from accord.bootstrap import build_services
from accord.storage.engine import make_engine
from accord.storage.migrate import upgrade
from tests.conftest import _truncate
from tests.support import World, free_port
from tests.webhook_receiver import Receiver, receiver

ACCORD = str(Path(sys.executable).with_name("accord"))


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_ALLOW_PRIVATE_TARGETS": "1",
        "ACCORD_DELIVERY_TIMEOUT_SECONDS": "2",  # a lease of 6 s: a killed server's delivery is retried soon
        "ACCORD_SWEEP_INTERVAL_SECONDS": "0",
    }


@contextmanager
def serving(url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`accord serve` in its own process, up and answering /healthz."""
    port = free_port()
    with log.open("a") as out:
        proc = subprocess.Popen([ACCORD, "serve", "--port", str(port)], env=_env(url), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "accord serve did not start"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _seed(url: str, hooks: list[Receiver], proposals: int) -> World:
    services = build_services(url)
    services.ctx.allow_private_targets = True
    world = World(services)
    world.group("eng", {"olga": {"role": "owner", "kind": "human"}, "bot": {}})
    for hook in hooks:
        hook.secret = world.api("olga").add_webhook("eng", hook.url, ["proposal.created"])["secret"]
    for n in range(proposals):
        world.api("bot").create_proposal("eng", f"Q{n:03d}")
    return world


def test_kill_9_with_deliveries_pending_loses_none_and_repeats_only_the_one_in_flight(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with receiver() as hook:
        hook.hold_at = 4  # the 4th POST hangs: the server is killed while it is in flight
        world = _seed(url, [hook], 12)
        try:
            with serving(url, tmp_path / "serve.log") as proc:
                assert hook.holding.wait(60), (tmp_path / "serve.log").read_text()
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
            hook.release.set()  # the receiver answers 200 to a dead connection: the sender never knew
            assert len(hook.wait_received(4)) == 4
            in_flight = hook.received[-1].webhook_id
            with serving(url, tmp_path / "serve.log"):
                received = hook.wait_for(13, timeout=90)  # 12 proposals, plus the repeat of the one in flight
            counts = Counter(r.webhook_id for r in received)
            assert len(counts) == 12 and all(r.verified for r in received)
            assert {i: n for i, n in counts.items() if n > 1} == {in_flight: 2}
            titles = [r.body["data"]["title"] for r in received]
            assert sorted(set(titles)) == [f"Q{n:03d}" for n in range(12)]
            assert titles == sorted(titles)  # in event order, the repeat right after the kill
            hook_id = world.api("olga").list_webhooks("eng")[0]["id"]
            statuses = {d["status"] for d in world.api("olga").list_deliveries(hook_id)}
            assert statuses == {"delivered"}
        finally:
            hook.release.set()
            world.services.close()


@pytest.mark.postgres
def test_two_replicas_on_postgresql_send_every_delivery_once(pg_server_url: str, tmp_path: Path) -> None:
    _truncate(pg_server_url)
    with receiver() as a, receiver() as b, receiver() as c:
        hooks = [a, b, c]
        world = _seed(pg_server_url, hooks, 0)
        try:
            with serving(pg_server_url, tmp_path / "r0.log"), serving(pg_server_url, tmp_path / "r1.log"):
                for n in range(30):
                    world.api("bot").create_proposal("eng", f"Q{n:03d}")
                for hook in hooks:
                    hook.wait_for(30, timeout=90)
                time.sleep(1)  # a second delivery of anything would have arrived by now
            for hook in hooks:
                ids = [r.webhook_id for r in hook.received]
                assert len(ids) == 30 and len(set(ids)) == 30 and all(r.verified for r in hook.received)
                assert [r.body["data"]["title"] for r in hook.received] == [f"Q{n:03d}" for n in range(30)]
        finally:
            world.services.close()


def test_accord_worker_apart_sends_the_outbox_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with receiver() as hook:
        world = _seed(url, [hook], 3)
        try:
            with (tmp_path / "worker.log").open("w") as log:
                proc = subprocess.Popen([ACCORD, "worker"], env=_env(url), stdout=log, stderr=subprocess.STDOUT)
            try:
                assert len(hook.wait_for(3, timeout=60)) == 3, (tmp_path / "worker.log").read_text()
                world.api("bot").create_proposal("eng", "Q003")  # another process's commit wakes it
                assert [r.body["data"]["title"] for r in hook.wait_for(4, timeout=60)] == [
                    "Q000",
                    "Q001",
                    "Q002",
                    "Q003",
                ]
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(30) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()
            assert "sending the outbox" in (tmp_path / "worker.log").read_text()
        finally:
            world.services.close()
