"""What typed response bodies cost (SPEC §9 rev. 2): REST validates each answer against its result model on the
way out. Beside it, the peer: the same answer through `dict[str, Any]`, what FastAPI did before from `-> Json`.

Answers come from a real store (a proposal with votes, the vote itself); each figure is the best of 5 runs of
N validate-and-dump calls, in microseconds per answer.

    .venv/bin/python bench/response_models.py [--n 5000]
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import timeit
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from accord.api.models import Ballot, ProposalView
from accord.bootstrap import build_services, upgrade_store


def sample() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade_store(services)
            admin = services.identity.authenticate(services.identity.init_store()["token"])
            services.groups.create_group(admin, "g")
            tokens = [services.identity.create_member(admin, name)["token"] for name in ("a", "b", "c")]
            voters = [services.identity.authenticate(token) for token in tokens]
            for voter in voters:
                services.groups.add_member(admin, "g", voter.name)
            p = services.proposals.create(admin, _spec())
            for voter in voters[1:]:
                services.proposals.vote(voter, p["id"], "no", comment="not yet", confidence=0.5, evidence=None)
            ballot = services.proposals.vote(voters[0], p["id"], "yes", comment="fine", confidence=None, evidence=None)
            return {"cast_vote": ballot, "get_proposal": services.proposals.get(admin, p["id"])}
        finally:
            services.close()


def _spec() -> Any:
    from accord.domain.proposals import ProposalSpec

    return ProposalSpec(group="g", title="Ship?", description="")


def round_trip(adapter: TypeAdapter[Any], answer: dict[str, Any], **dump: Any) -> bytes:
    """What FastAPI does with a route's answer: validate it against the response model, dump it as JSON."""
    return adapter.dump_json(adapter.validate_python(answer), **dump)


def per_call(fn: Any, n: int) -> float:
    return min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    n = parser.parse_args().n
    answers = sample()
    untyped: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
    models: dict[str, type[BaseModel]] = {"cast_vote": Ballot, "get_proposal": ProposalView}
    print(f"load average {os.getloadavg()[0]:.2f}; microseconds per answer (best of 5 x {n})")
    for operation, model in models.items():
        answer = answers[operation]
        typed = TypeAdapter(model)
        ours = per_call(functools.partial(round_trip, typed, answer, exclude_unset=True), n)
        peer = per_call(functools.partial(round_trip, untyped, answer), n)
        print(f"{operation:14} typed {ours:7.1f}   dict[str, Any] {peer:7.1f}   ratio {ours / peer:.2f}")


if __name__ == "__main__":
    main()
