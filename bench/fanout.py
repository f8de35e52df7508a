"""Fan-out: N waiters on one `accord serve`, woken together by one decision, beside a bare broadcast app.

    .venv/bin/python bench/fanout.py [--sizes 1000,2000,5000] [--stores sqlite,postgres]
        [--scenarios longpoll,sse,burst] [--postgres URL]

Scenarios (issue 14, SPEC §8 rev. 2):
* longpoll: N concurrent `GET /v1/proposals/{id}/wait` on one proposal; one `POST .../finalize` (force, by the
  group's owner) decides it.
* sse: N `GET /v1/events/stream` subscribers (from the latest event on); the same finalize; a subscriber wakes
  when its first message (the decision's `proposal.forced` event) arrives.
* burst: N long-polls spread over 100 proposals; the 100 finalizes are sent at once.

The peer is bench/bare_fanout_app.py: Starlette + sse-starlette, no store and no auth, one event set per key
and the same bytes (as long as Accord's decided proposal) written to every waiter. Both run under uvicorn as
subprocesses in the same run, one after the other, driven by the same client: a minimal asyncio protocol per
connection (no HTTP library), so the load generator costs little of the two shared cores. Connections are
opened in batches and the decision is sent once the server has been idle for a second (little CPU time, and no
thread runnable: a starved server on a loaded machine is not idle).

Wake latency runs from the moment the deciding request is sent (so it includes the decision's own commit: an
upper bound on "from the deciding commit") to the moment a waiter has its whole answer. Prints p50/p95/p99/max
wake latency, the deciding request's own latency (p50/max over the burst's 100), errors (a connection that
failed, a status other than 200, or no answer within 60 s), the server's peak RSS, and the ratio of Accord's p99
to the bare app's, with the load average. Targets: N=1,000 p99 <= 200 ms; N=5,000 p99 within 2x the bare app's,
the deciding request <= 100 ms, 0 errors, RSS <= 600 MiB. The open-file limit is raised to 2N + 2,000 (at least
12,000) up to the hard limit, for this process and the servers it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from accord.api import Api
from accord.bootstrap import build_services
from accord.storage.engine import make_engine
from accord.storage.migrate import upgrade

BENCH = Path(__file__).resolve().parent
ACCORD = str(Path(sys.executable).with_name("accord"))
PG_ADMIN = os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MEMBERS = 20  # waiters use these members' tokens in turn
BURST_PROPOSALS = 100
CONNECT_BATCH = 250
ANSWER_WITHIN = 60.0


# -- the client ------------------------------------------------------------------------------------------------


class Waiter(asyncio.Protocol):
    """One HTTP/1.1 request on its own connection; done when the whole answer (long-poll) or the marker (SSE)
    has arrived. Records the instant, and whether it was a 200."""

    def __init__(self, request: bytes, marker: bytes | None) -> None:
        self.request = request
        self.marker = marker
        self.buf = bytearray()
        self.at: float | None = None
        self.status = 0
        self.headers_at: float | None = None
        self.error: str | None = None
        self.transport: asyncio.Transport | None = None
        self.finished = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.at is not None:
            return
        self.buf += data
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            return
        if self.headers_at is None:
            self.headers_at = time.perf_counter()
            self.status = int(self.buf[9:12])
        body = self.buf[head_end + 4 :]
        if self.marker is not None and self.status == 200:
            if self.marker in body:
                self._finish()
            return
        length = _content_length(bytes(self.buf[:head_end]))
        if length is None or len(body) >= length:
            self._finish()

    def _finish(self) -> None:
        self.at = time.perf_counter()
        if not self.finished.done():
            self.finished.set_result(None)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.at is None:
            self.error = f"connection lost: {exc}"
            if not self.finished.done():
                self.finished.set_result(None)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def open_waiters(port: int, requests: list[bytes], marker: bytes | None) -> list[Waiter]:
    loop = asyncio.get_running_loop()
    waiters: list[Waiter] = []
    for start in range(0, len(requests), CONNECT_BATCH):
        batch = requests[start : start + CONNECT_BATCH]
        made = await asyncio.gather(
            *(loop.create_connection(lambda r=r: Waiter(r, marker), "127.0.0.1", port) for r in batch),  # type: ignore[misc]
            return_exceptions=True,
        )
        for item in made:
            if isinstance(item, BaseException):
                failed = Waiter.__new__(Waiter)
                failed.at, failed.status, failed.error = None, 0, f"connect: {item}"
                failed.finished = loop.create_future()
                failed.finished.set_result(None)
                waiters.append(failed)
            else:
                waiters.append(item[1])
        await asyncio.sleep(0.05)
    return waiters


async def send(port: int, raw: bytes) -> tuple[float, int, bytes]:
    """One request; (seconds to the whole answer, status, body)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return time.perf_counter() - started, int(head[9:12]), body


# -- the servers -----------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def runnable(pid: int) -> bool:
    """Whether any thread of the process is running or waiting for a CPU (state R): on a loaded machine a
    starved server uses little CPU time while it still has work queued, so CPU time alone does not say idle."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                return True
        except OSError:
            continue
    return False


async def quiet(pid: int, seconds: float = 1.0, limit: float = 300) -> None:
    """Until, for `seconds`, the server has used under 8% of a core and no thread of it was runnable at any
    look (every waiter parked; an idle server still polls)."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    calm = 0.0
    while calm < seconds and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        now = cpu_seconds(pid)
        busy = any(runnable(pid) for _ in range(5))
        calm = calm + 0.25 if now - last < 0.02 and not busy else 0.0
        last = now


class RssWatch:
    """The server's peak resident memory while a run lasts."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except OSError:
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, env=env, cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} did not start") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()  # open long-polls hold uvicorn's graceful shutdown: kill it when they do
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def store(kind: str, postgres: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/fanout.db"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url
        return
    name = f"accord_fanout_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{postgres.rsplit('/', 1)[0]}/{name}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the runs --------------------------------------------------------------------------------------------------


@dataclass
class Result:
    app: str
    wakes: list[float]
    deciding: list[float]
    errors: int
    rss: float
    load: float
    notes: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        if not self.wakes:
            return float("nan")
        ordered = sorted(self.wakes)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class Target:
    """How to wait on, and decide, keys on one app (Accord or the bare peer)."""

    name: str
    port: int
    pid: int

    def wait_request(self, key: str, i: int) -> bytes:
        raise NotImplementedError

    def stream_request(self, i: int) -> bytes:
        raise NotImplementedError

    def decide_request(self, key: str) -> bytes:
        raise NotImplementedError

    def keys(self, n: int) -> list[str]:
        raise NotImplementedError


class AccordTarget(Target):
    def __init__(self, url: str) -> None:
        self.name = "accord"
        services = build_services(url)
        admin_token = services.identity.init_store()["token"]
        admin = services.identity.authenticate(admin_token)
        self.tokens = [services.identity.create_member(admin, f"m{i}")["token"] for i in range(MEMBERS)]
        services.groups.create_group(admin, "fanout")
        for i in range(MEMBERS):
            services.groups.add_member(admin, "fanout", f"m{i}", role="owner" if i == 0 else "member")
        self.owner = Api(services, services.identity.authenticate(self.tokens[0]))
        self.services = services
        self.after = 0

    def keys(self, n: int) -> list[str]:
        ids = [str(self.owner.create_proposal("fanout", f"fan-out {uuid.uuid4().hex[:8]}")["id"]) for _ in range(n)]
        with self.services.ctx.uow(write=False) as uow:
            self.after = uow.events.high_water()
        return ids

    def body_size(self) -> int:
        pid = self.keys(1)[0]
        self.owner.finalize_proposal(pid, None, True, "measuring the size of a decided proposal")
        return len(json.dumps({**self.owner.get_proposal(pid), "timed_out": False}, separators=(",", ":")))

    def wait_request(self, key: str, i: int) -> bytes:
        return request("GET", f"/v1/proposals/{key}/wait?timeout=600", self.tokens[i % MEMBERS])

    def stream_request(self, i: int) -> bytes:
        return request("GET", f"/v1/events/stream?after={self.after}", self.tokens[i % MEMBERS])

    def decide_request(self, key: str) -> bytes:
        body = json.dumps({"force": True, "rationale": "fan-out benchmark"}).encode()
        return request("POST", f"/v1/proposals/{key}/finalize", self.tokens[0], body)


class BareTarget(Target):
    def __init__(self) -> None:
        self.name = "bare"

    def keys(self, n: int) -> list[str]:
        return [uuid.uuid4().hex for _ in range(n)]

    def wait_request(self, key: str, i: int) -> bytes:
        return request("GET", f"/wait/{key}")

    def stream_request(self, i: int) -> bytes:
        return request("GET", f"/stream/{self.stream_key}")

    def decide_request(self, key: str) -> bytes:
        return request("POST", f"/decide/{key}")

    stream_key = ""


async def run(target: Target, scenario: str, n: int) -> Result:
    notes: list[str] = []
    if scenario == "burst":
        keys = target.keys(BURST_PROPOSALS)
        requests = [target.wait_request(keys[i % len(keys)], i) for i in range(n)]
        marker = None
    elif scenario == "longpoll":
        keys = target.keys(1)
        requests = [target.wait_request(keys[0], i) for i in range(n)]
        marker = None
    else:
        keys = target.keys(1)
        if isinstance(target, BareTarget):
            target.stream_key = keys[0]
        requests = [target.stream_request(i) for i in range(n)]
        marker = b"\ndata: "  # the first message: the decision (proposal.forced), as the bare app's one message
    rss = RssWatch(target.pid)
    waiters = await open_waiters(target.port, requests, marker)
    await quiet(target.pid)
    early = sum(1 for w in waiters if w.at is not None or w.error is not None)
    if early:
        notes.append(f"{early} answered or failed before the decision")
    started = time.perf_counter()
    decisions = await asyncio.gather(*(send(target.port, target.decide_request(k)) for k in keys))
    deciding = [d[0] for d in decisions]
    bad_decisions = [d for d in decisions if d[1] != 200]
    if bad_decisions:
        notes.append(f"deciding request answered {bad_decisions[0][1]}: {bad_decisions[0][2][:200]!r}")
    pending = [w.finished for w in waiters]
    await asyncio.wait(pending, timeout=ANSWER_WITHIN)
    peak = rss.stop()
    wakes = [w.at - started for w in waiters if w.at is not None and w.status == 200 and w.at >= started]
    errors = n - len(wakes) + len(bad_decisions)
    for w in waiters:
        if w.transport is not None:
            w.transport.close()
    failures = [w.error or f"status {w.status}" for w in waiters if w.error or (w.status and w.status != 200)]
    if failures:
        notes.append(f"first failure: {failures[0]}")
    await asyncio.sleep(0.5)  # let the server see the connections go before the next run
    return Result(target.name, wakes, deciding, errors, peak, os.getloadavg()[0], notes)


def report(store_kind: str, scenario: str, n: int, accord: Result, bare: Result) -> None:
    ratio = accord.pct(0.99) / bare.pct(0.99) if bare.wakes else float("nan")
    print(f"\n== {scenario}, N={n}, {store_kind} (load average {accord.load:.2f}) ==", flush=True)
    print(
        f"{'app':8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'decide ms':>10} {'errors':>7} "
        f"{'RSS MiB':>8}"
    )
    for r in (accord, bare):
        decide = (
            f"{min(r.deciding) * 1000:.0f}-{max(r.deciding) * 1000:.0f}"
            if len(r.deciding) > 1
            else (f"{r.deciding[0] * 1000:.0f}")
        )
        print(
            f"{r.app:8} {r.pct(0.5):>8.0f} {r.pct(0.95):>8.0f} {r.pct(0.99):>8.0f} {r.pct(1.0):>8.0f} {decide:>10} "
            f"{r.errors:>7} {r.rss:>8.0f}"
        )
        for note in r.notes:
            print(f"  {r.app}: {note}")
    print(f"p99 ratio accord/bare: {ratio:.2f}x", flush=True)


def raise_open_files(n: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(12_000, 2 * n + 2_000)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,5000")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--scenarios", default="longpoll,sse,burst")
    parser.add_argument("--postgres", default=PG_ADMIN, help="an administrative URL ('' skips PostgreSQL)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    limit = raise_open_files(max(sizes))
    print(f"open-file limit {limit}; load average {os.getloadavg()[0]:.2f}", flush=True)
    stores = [s for s in args.stores.split(",") if s != "postgres" or args.postgres]
    for kind in stores:
        with store(kind, args.postgres) as url:
            accord = AccordTarget(url)
            size = accord.body_size()
            accord_port, bare_port = free_port(), free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
            bare_env = env | {"BARE_BODY_BYTES": str(size)}
            accord_argv = [ACCORD, "serve", "--port", str(accord_port)]
            bare_argv = [sys.executable, "-m", "uvicorn", "bare_fanout_app:app", "--port", str(bare_port)]
            try:
                with (
                    server(accord_argv, env | {"ACCORD_DATABASE_URL": url}, accord_port) as accord_proc,
                    server(bare_argv, bare_env, bare_port) as bare_proc,
                ):
                    accord.port, accord.pid = accord_port, accord_proc.pid
                    bare = BareTarget()
                    bare.port, bare.pid = bare_port, bare_proc.pid
                    for scenario in args.scenarios.split(","):
                        for n in sizes:
                            bare_result = asyncio.run(run(bare, scenario, n))
                            accord_result = asyncio.run(run(accord, scenario, n))
                            report(kind, scenario, n, accord_result, bare_result)
            finally:
                accord.services.close()


if __name__ == "__main__":
    main()
