"""AccordClient's deliberation methods: the same operations over HTTP, with the same results and errors."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

from accord.api.deliberation import DeliberationApi
from accord.bootstrap import build_services
from accord.client import AccordClient
from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ForbiddenError, ValidationError
from accord.entrypoints.rest import create_app
from tests.support import World, live_server


@pytest.fixture
def remote(sqlite_url: str, clock: FixedClock) -> Iterator[tuple[dict[str, AccordClient], World]]:
    services = build_services(sqlite_url, clock)
    world = World(services)
    world.group("team", {"a1": {}, "a2": {}, "lead": {"kind": "human", "role": "owner", "advisory": True}})
    with live_server(create_app(services, with_mcp=False, with_web=False, sweep_interval=0)) as url:
        clients = {name: AccordClient(url, world.tokens[name]) for name in ("admin", "a1", "a2", "lead")}
        yield clients, world
        for client in clients.values():
            client.close()
    services.close()


def test_the_client_offers_every_deliberation_operation_with_the_same_arguments() -> None:
    for name, op in inspect.getmembers(DeliberationApi, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = [(p.name, p.default) for p in inspect.signature(op).parameters.values()]
        theirs = [(p.name, p.default) for p in inspect.signature(getattr(AccordClient, name)).parameters.values()]
        assert theirs == ours, name


def test_deliberation_round_trip(remote: tuple[dict[str, AccordClient], World], clock: FixedClock) -> None:
    c, world = remote
    pid = c["a1"].create_proposal(
        "team", "A or B?", voting_type="single", options=["A", "B"], on_no_consensus=["escalate"]
    )["id"]
    c["a1"].cast_vote(pid, "A")
    c["a2"].cast_vote(pid, "B")
    assert c["a1"].finalize_proposal(pid)["status"] == "escalated"
    with pytest.raises(ForbiddenError, match="a1 may not resolve"):
        c["a1"].resolve_proposal(pid, "A", "mine")
    done = c["lead"].resolve_proposal(pid, "B", "B is reversible", mitigation="Revisit in Q3")
    assert done["resolution"]["method"] == "human_decision"
    assert c["a2"].get_decision_record(pid) == world.api("a2").get_decision_record(pid)
    with pytest.raises(ConflictError, match="is finalized, not escalated"):
        c["lead"].resolve_proposal(pid, "A", "again")

    cid = c["a1"].create_consultation("team", "Map", questions={"ARCH-001": "Repo?"})["id"]
    item = {"question_id": "ARCH-001", "answer": "Monorepo", "confidence": 0.9, "rationale": "one CI"}
    assert c["a1"].submit_contribution(cid, [item])["questions"][0]["status"] == "unanimous"
    with pytest.raises(ValidationError, match="CONS-001: question_id 'arch-1'"):
        c["a2"].submit_contribution(cid, [{**item, "question_id": "arch-1"}])
    assert c["a2"].get_consultation(cid) == world.api("a2").get_consultation(cid)

    gid = c["a1"].create_completion_gate("team", "Done?", ["a1", "a2"])["id"]
    c["a1"].signal_completion(gid)
    clock.advance(30)
    assert c["admin"].sweep()["deliberation"]["nudged"] == 1  # sweep is for administrators
    assert c["a2"].signal_completion(gid, "complete")["status"] == "consensus_complete"
    assert c["a1"].get_completion_gate(gid)["done"] is True
