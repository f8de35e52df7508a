"""Benchmark SPEC §13's refusals: how long each input of issue 9 takes to be refused, beside a plain valid request.

Usage: python bench/input_limits.py [--repeat R] [--database-url URL]

Every request goes through the whole REST app (FastAPI's TestClient, a real SQLite file unless --database-url
names another store). For each refused input the script prints the median answer time, the median time of a valid
request of the same kind from the same run, and their ratio: a refusal should cost about as much as a valid
request, whatever its size (before SPEC §13, confidence "1e10000000" took ~10 s and `(a+)+$` ~53 s while holding
the store). It then prints the unbounded work those checks avoid, measured on smaller inputs with Python's own
`Fraction` and `re` (the peers), beside the bounded check of the same input.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from fastapi.testclient import TestClient

from accord.api import Api
from accord.bootstrap import build_services
from accord.domain import gates, limits
from accord.domain.errors import ValidationError
from accord.entrypoints.rest import create_app


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per measurement (median kept)")
    parser.add_argument("--database-url", default=None, help="store to use (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        services = build_services(url)
        try:
            return run(services, args.repeat)
        finally:
            services.close()


def run(services: Any, repeat: int) -> int:
    admin_token = services.identity.init_store()["token"]
    root = services.identity.authenticate(admin_token)
    tokens = {"admin": admin_token}
    services.groups.create_group(root, "team")
    for name in ("a1", "a2", "a3"):
        tokens[name] = services.identity.create_member(root, name)["token"]
        services.groups.add_member(root, "team", name, role="owner" if name == "a1" else "member")
    api = Api(services, services.identity.authenticate(tokens["a1"]))
    app = create_app(services, with_mcp=False, with_web=False, sweep_interval=0)
    client = TestClient(app)
    a1 = {"Authorization": f"Bearer {tokens['a1']}", "Content-Type": "application/json"}
    admin = {"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"}
    pid = api.create_proposal("team", "Bench")["id"]
    Api(services, root).set_group_policy("team", irreversible_pattern="(a+)+$")
    failures = 0

    def request(
        method: str, path: str, body: Any = None, headers: dict[str, str] = a1, expect: int = 422
    ) -> Callable[[], None]:
        content = None if body is None else json.dumps(body)

        def call() -> None:
            nonlocal failures
            response = client.request(method, path, content=content, headers=headers)
            if response.status_code != expect:
                failures += 1
                print(f"  unexpected {response.status_code} for {method} {path}: {response.text[:120]}")

        return call

    opened = iter(range(10**9))

    def gate_request(prefix: str) -> Callable[[], None]:
        """A new gate each time (a subject holds one open request): RE2 decides whether it is irreversible."""

        def call() -> None:
            nonlocal failures
            body = json.dumps({"subject": f"{prefix}{next(opened)}", "group": "team"})
            response = client.post("/v1/gates", content=body, headers=a1)
            if response.status_code != 201:
                failures += 1
                print(f"  unexpected {response.status_code} for a gate request: {response.text[:120]}")

        return call

    vote = f"/v1/proposals/{pid}/votes"
    valid = {
        "vote": request("POST", vote, {"vote": "yes", "confidence": "0.7"}, expect=201),
        "create": request("POST", "/v1/proposals", {"group": "team", "title": "Q", "description": "d"}, expect=201),
        "read": request("GET", "/v1/audit?after=0&limit=1", expect=200),
        "member": request("POST", "/v1/groups/team/members", {"member": "a3", "weight": "2"}, admin, 201),
        "policy": request("PUT", "/v1/groups/team/policy", {"default_timeout_seconds": 600}, admin, 200),
        "gate": gate_request("lint-"),
    }
    new = {"group": "team", "title": "Q"}
    refusals: list[tuple[str, str, Callable[[], None]]] = [
        ('confidence "1e10000000"', "vote", request("POST", vote, {"vote": "yes", "confidence": "1e10000000"})),
        ("confidence true", "vote", request("POST", vote, {"vote": "yes", "confidence": True})),
        ("comment with NUL", "vote", request("POST", vote, {"vote": "yes", "comment": "a\x00b"})),
        ("confidence of 1 MB of digits", "vote", request("POST", vote, {"vote": "yes", "confidence": "1" * 1_000_000})),
        ('title "x\\ud800y"', "create", request("POST", "/v1/proposals", {**new, "title": "x\ud800y"})),
        ("title with NUL", "create", request("POST", "/v1/proposals", {**new, "title": "x\x00y"})),
        ("deadline_hours 1e15", "create", request("POST", "/v1/proposals", {**new, "deadline_hours": 1e15})),
        ("deadline_hours true", "create", request("POST", "/v1/proposals", {**new, "deadline_hours": True})),
        ("min_votes 2^70", "create", request("POST", "/v1/proposals", {**new, "min_votes": 2**70})),
        ("max_rounds 2^70", "create", request("POST", "/v1/proposals", {**new, "max_rounds": 2**70})),
        ("audit after=2^65-1", "read", request("GET", "/v1/audit?after=36893488147419103231")),
        ("events after=2^70", "read", request("GET", f"/v1/events?after={2**70}")),
        (
            'weight "1e400"',
            "member",
            request("POST", "/v1/groups/team/members", {"member": "a2", "weight": "1e400"}, admin),
        ),
        (
            "default_timeout 2^70",
            "policy",
            request("PUT", "/v1/groups/team/policy", {"default_timeout_seconds": 2**70}, admin),
        ),
        (
            "pattern of 10,000 chars",
            "policy",
            request("PUT", "/v1/groups/team/policy", {"irreversible_pattern": "(a+)+" * 2000}, admin),
        ),
        (
            "gate on aaa…? under (a+)+$ (not refused)",
            "gate",
            gate_request("a" * 29 + "?"),
        ),
        (
            "body of 2 MiB (413)",
            "create",
            request("POST", "/v1/proposals", {**new, "description": "x" * (2 << 20)}, expect=413),
        ),
    ]
    times = {name: median_ms(fn, repeat) for name, fn in valid.items()}
    print(f"{'refused input (REST)':42} {'answer':>9} {'valid request':>22} {'ratio':>7}")
    for label, kind, fn in refusals:
        ours = median_ms(fn, repeat)
        print(
            f"{label:42} {ours:7.2f}ms {kind + ' ' + format(times[kind], '.2f') + 'ms':>22} {ours / times[kind]:6.2f}x"
        )

    bad = {"Authorization": "Bearer acc_not-a-token"}
    unauthorized = median_ms(request("GET", "/v1/me", headers=bad, expect=401), 10)  # the 10 failures allowed
    limited = median_ms(request("GET", "/v1/me", headers=bad, expect=429), repeat)
    me = median_ms(request("GET", "/v1/me", headers={"Authorization": "Bearer acc_x"}, expect=429), repeat)
    print(f"{'bad token, 1st-10th (401)':42} {unauthorized:7.2f}ms")
    print(
        f"{'bad token, 11th on (429)':42} {limited:7.2f}ms {'401 ' + format(unauthorized, '.2f') + 'ms':>22} "
        f"{limited / unauthorized:6.2f}x"
    )
    print(f"{'any token while held (429)':42} {me:7.2f}ms")

    print("\nthe work the bounded checks avoid (peers: Python's own Fraction and re, on smaller inputs)")
    print(f"{'input':42} {'bounded check':>14} {'unbounded peer':>16} {'ratio':>9}")
    for exponent in (10_000, 100_000, 1_000_000):
        text = f"1e{exponent}"
        ours = median_ms(lambda text=text: refuse(lambda: limits.decimal(text, "confidence")), 5)  # type: ignore[misc]
        peer = median_ms(lambda text=text: Fraction(text), 1)  # type: ignore[misc]
        print(f"{'Fraction(' + repr(text) + ')':42} {ours:12.4f}ms {peer:14.2f}ms {peer / ours:8.0f}x")
    for n in (18, 20, 22):
        subject = "a" * n + "?"
        ours = median_ms(lambda s=subject: gates.is_irreversible(s, "(a+)+$"), 5)  # type: ignore[misc]
        peer = median_ms(lambda s=subject: re.search("(a+)+$", s, re.IGNORECASE), 1)  # type: ignore[misc]
        print(f"{'(a+)+$ on ' + str(n) + ' a + ?':42} {ours:12.4f}ms {peer:14.2f}ms {peer / ours:8.0f}x")
    if failures:
        print(f"{failures} answers were not the expected status")
        return 1
    return 0


def refuse(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except ValidationError:
        return
    raise AssertionError("the bounded check accepted an input it must refuse")


if __name__ == "__main__":
    sys.exit(main())
