"""Benchmark the human's queue: "what waits for my vote" from one summary query, beside a read per proposal.

Usage: .venv/bin/python bench/awaiting.py [--open 500] [--rounds 5] [--chain 1200]

On a fresh SQLite store with one group of 8 members and `--open` open proposals (a tenth of them gates), it times
`list_proposals(awaiting_me=True)` (one query over the voter snapshot's (member, proposal) index) against the peer:
the way the web queue read it before, `list_proposals` then `get_proposal` for each open proposal to see whether
the member may vote and has voted. It also times `gate_list(awaiting_me=True)` (four queries) and the layout of a
`--chain`-deep milestone graph by grandalf (first and cached). Each figure is the median of `--rounds` rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from accord.api import Api
from accord.bootstrap import build_services
from accord.entrypoints.web.graph import _positions, layout
from accord.storage.migrate import upgrade


def timed(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def per_proposal(api: Api) -> list[str]:
    """The peer: the old queue's reading, one get_proposal per open proposal."""
    me = api.actor.name
    waiting = []
    for summary in api.list_proposals(status="open", limit=500):
        p = api.get_proposal(summary["id"])
        eligible = {v["member"] for v in p["eligible_voters"]}
        voted = {b["voter"] for b in p["votes"]}
        if me in eligible and me not in voted and not p["voting_closed"]:
            waiting.append(p["id"])
    return waiting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chain", type=int, default=1200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        services = build_services(url)
        upgrade(services.ctx.engine)
        admin = services.identity.authenticate(services.identity.init_store()["token"])
        services.groups.create_group(admin, "eng")
        members: dict[str, Api] = {}
        for i in range(8):
            token = services.identity.create_member(admin, f"m{i}", "human" if i == 0 else "agent")["token"]
            services.groups.add_member(admin, "eng", f"m{i}")
            members[f"m{i}"] = Api(services, services.identity.authenticate(token))
        for n in range(args.open):
            if n % 10 == 0:
                members["m1"].gate_request(f"deploy {n}", group="eng")
            else:
                pid = members["m1"].create_proposal("eng", f"Proposal {n}")["id"]
                if n % 3 == 0:
                    members["m0"].cast_vote(pid, "yes")
        alice = members["m0"]
        ours = sorted(p["id"] for p in alice.list_proposals(awaiting_me=True, limit=500))
        assert ours == sorted(per_proposal(alice)), "the two readings disagree"
        summary_ms = timed(lambda: alice.list_proposals(awaiting_me=True, limit=500), args.rounds)
        peer_ms = timed(lambda: per_proposal(alice), args.rounds)
        gates_ms = timed(lambda: alice.gate_list(awaiting_me=True, limit=500), args.rounds)
        services.close()
    steps: list[dict[str, Any]] = [{"order": 1, "title": "Step 1", "status": "ready", "depends_on": []}]
    steps += [
        {"order": i, "title": f"Step {i}", "status": "blocked", "depends_on": [i - 1]} for i in range(2, args.chain + 1)
    ]
    milestone = {"checkpoints": steps}
    _positions.cache_clear()
    start = time.perf_counter()
    layout(milestone)
    first_ms = (time.perf_counter() - start) * 1000
    cached_ms = timed(lambda: layout(milestone), args.rounds)
    load = os.getloadavg()
    print(f"awaiting me among {args.open} open proposals ({len(ours)} waiting), SQLite, median of {args.rounds}:")
    print(f"  one summary query (ours)      {summary_ms:9.1f} ms")
    print(f"  a read per proposal (before)  {peer_ms:9.1f} ms   ratio {peer_ms / summary_ms:5.1f}x")
    print(f"  gate_list(awaiting_me)        {gates_ms:9.1f} ms")
    print(f"layout of a {args.chain}-checkpoint chain (grandalf): first {first_ms:.0f} ms, cached {cached_ms:.1f} ms")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
