"""Gates under concurrency, on SQLite and PostgreSQL: one open request per subject; a veto beats a close."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from accord.bootstrap import build_services
from accord.domain.errors import AccordError, ConflictError
from tests.support import World

ACCORD = str(Path(sys.executable).with_name("accord"))
RACERS = 20


def _racing_world(store_url: str) -> dict[str, str]:
    """A group of RACERS requesters and two voters; returns every member's token."""
    services = build_services(store_url)
    try:
        world = World(services)
        world.group("ops", [f"agent-{i:02d}" for i in range(RACERS)] + ["sec"])
        return dict(world.tokens)
    finally:
        services.close()


def _request(url: str, token: str, barrier: Any, results: Any) -> None:
    services = build_services(url)
    try:
        actor = services.identity.authenticate(token)
        barrier.wait(timeout=240)
        try:
            results.put(("ok", services.gates.request(actor, "deploy", {"by": actor.name}, "ops")["id"]))
        except ConflictError as exc:
            results.put(("conflict", exc.message))
        except AccordError as exc:  # anything else is a failure the parent reports
            results.put(("error", exc.message))
    except BaseException as exc:  # a crash is reported, never left for the parent to time out on
        results.put(("crash", repr(exc)))
    finally:
        services.close()


def test_twenty_processes_racing_for_one_subject_exactly_one_wins(store_url: str) -> None:
    tokens = _racing_world(store_url)
    # spawn, not fork: forking a process whose other threads hold locks can hang the child.
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(RACERS), ctx.Queue()
    procs = [
        ctx.Process(target=_request, args=(store_url, tokens[f"agent-{i:02d}"], barrier, results))
        for i in range(RACERS)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(30)
    winners = [value for kind, value in outcomes if kind == "ok"]
    assert len(winners) == 1, outcomes
    losers = [value for kind, value in outcomes if kind == "conflict"]
    assert losers == [f"subject 'deploy' already has an open request {winners[0]}"] * (RACERS - 1)


def test_twenty_accord_processes_racing_exit_75_naming_the_open_request(store_url: str) -> None:
    tokens = _racing_world(store_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_DATABASE_URL"] = store_url
    procs = [
        subprocess.Popen(
            [ACCORD, "gate", "request", "deploy", json.dumps({"n": i}), "--group", "ops"],
            env={**env, "ACCORD_TOKEN": tokens[f"agent-{i:02d}"]},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(RACERS)
    ]
    done = [(p.wait(280), *p.communicate()) for p in procs]
    winners = [out.strip() for code, out, _ in done if code == 0]
    assert len(winners) == 1 and winners[0].startswith("prop_"), done
    refusals = [(code, err.strip()) for code, _, err in done if code != 0]
    assert refusals == [(75, f"error: subject 'deploy' already has an open request {winners[0]}")] * (RACERS - 1)


def test_a_veto_racing_the_requesters_close_never_leaves_an_approval_after_a_veto(store_url: str) -> None:
    services = build_services(store_url)
    try:
        world = World(services)
        world.group("ops", {"req": {}, "a": {}, "b": {}, "sec": {"veto": True}})
        req, a, b, sec = (world.api(n) for n in ("req", "a", "b", "sec"))
        seen = set()
        for round_ in range(12):
            g = req.gate_request(f"commit-{round_}", None, "ops")
            a.gate_vote(g["id"], "yes")
            b.gate_vote(g["id"], "yes")  # approved, and not yet closed
            barrier = threading.Barrier(2)
            outcome: dict[str, Any] = {}

            def veto(gate_id: str = g["id"], into: dict[str, Any] = outcome, gate: threading.Barrier = barrier) -> None:
                gate.wait()
                try:
                    into["veto"] = sec.gate_vote(gate_id, "no", "found a bypass")["gate"]["status"]
                except ConflictError as exc:
                    into["veto"] = exc.message

            def close(
                gate_id: str = g["id"], into: dict[str, Any] = outcome, gate: threading.Barrier = barrier
            ) -> None:
                gate.wait()
                into["close"] = req.gate_close(gate_id)["status"]

            threads = [threading.Thread(target=veto), threading.Thread(target=close)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            final = req.gate_tally(g["id"])
            sec_vote = [v["vote"] for v in final["votes"] if v["voter"] == "sec"]
            if outcome["veto"] == "vetoed":  # the veto committed first: the close froze it
                assert (outcome["close"], final["status"], sec_vote) == ("vetoed", "vetoed", ["no"])
            else:  # the close committed first: the approval is frozen and the veto was refused
                assert outcome["veto"] == f"proposal {g['id']} is finalized"
                assert (outcome["close"], final["status"], sec_vote) == ("approved", "approved", [])
            seen.add(final["status"])
        assert seen <= {"approved", "vetoed"}
    finally:
        services.close()
