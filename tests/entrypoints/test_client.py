"""AccordClient against a real server: the same operations, results and errors as `accord.api.Api`."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from accord.api.core import CoreApi
from accord.api.deliberation import DeliberationApi
from accord.api.gates import GateApi
from accord.api.milestones import MilestoneApi
from accord.api.proof import ProofApi
from accord.client import AccordClient
from accord.clock import FixedClock
from accord.domain.errors import (
    AccordError,
    ConflictError,
    DeadlineError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from tests.entrypoints.test_client_harness import LiveServer
from tests.support import World


def public(cls: type) -> dict[str, inspect.Signature]:
    return {n: inspect.signature(f) for n, f in vars(cls).items() if inspect.isfunction(f) and not n.startswith("_")}


@pytest.mark.parametrize("mixin", [CoreApi, GateApi, MilestoneApi, DeliberationApi, ProofApi])
def test_the_client_offers_every_operation_with_the_same_arguments(mixin: type) -> None:
    for name, signature in public(mixin).items():
        assert hasattr(AccordClient, name), f"AccordClient lacks {name}"
        theirs = list(inspect.signature(getattr(AccordClient, name)).parameters.values())
        ours = [(p.name, p.default) for p in signature.parameters.values()]
        assert [(p.name, p.default) for p in theirs[: len(ours)]] == ours, name
        # The client may add trailing options of its own (verify_receipt's jwks: a key set checked offline).
        assert all(p.default is not p.empty for p in theirs[len(ours) :]), name


class Remote:
    """Members acting through the client on a live server, next to the same members acting locally."""

    def __init__(self, world: World, url: str) -> None:
        self.world = world
        self.url = url
        self.clients: dict[str, AccordClient] = {}

    def __call__(self, name: str) -> AccordClient:
        if name not in self.clients:
            self.clients[name] = AccordClient(self.url, self.world.tokens[name])
        return self.clients[name]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture
def remote(world: World) -> Iterator[Remote]:
    world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
    with LiveServer(world.services) as server:
        r = Remote(world, server.url)
        yield r
        r.close()


def test_gates_and_the_inbox_remotely_equal_locally(remote: Remote, world: World) -> None:
    g = remote("core").gate_request("commit-gate", {"branch": "feat/x"}, "swarm", 120)
    assert remote("qa").gate_tally("commit-gate") == world.api("qa").gate_tally("commit-gate")
    remote("qa").gate_vote(g["id"], "yes", "tests pass")
    voted = remote("sec").gate_vote(g["id"], "yes")
    assert voted["gate"]["status"] == "approved"
    assert remote("qa").gate_wait("commit-gate", 5)["status"] == "approved"
    closed = remote("core").gate_wait(g["id"], 5)
    assert (closed["status"], closed["closed"], closed["timed_out"]) == ("approved", True, False)
    assert remote("core").gate_close(g["id"]) == world.api("core").gate_close(g["id"])
    sent = remote("core").send_message("*", "task for all", "swarm", "TASK", "build", {"k": 1}, 600)
    assert remote("qa").peek_message(type="TASK") == world.api("qa").peek_message(type="TASK")
    got = remote("qa").recv_message(0, "TASK", "build")
    assert got is not None and got["id"] == sent["id"]
    assert remote("qa").check_inbox(None, True, 100) == world.api("qa").check_inbox(unread_only=True)
    assert remote("qa").claim_message(sent["id"], 60)["claimed_by"] == "qa"
    assert remote("qa").release_message(sent["id"])["status"] == "pending"
    remote("sec").claim_message(sent["id"])
    assert remote("sec").complete_message(sent["id"], "built")["status"] == "completed"
    answer = remote("core").recv_message(1, "RESPONSE")
    assert answer is not None and answer["content"] == "built"


def test_the_core_operations_remotely_equal_locally(remote: Remote, world: World, clock: FixedClock) -> None:
    admin = remote("admin")
    assert admin.create_member("eve", "human")["name"] == "eve"
    assert admin.issue_token("eve")["token"].startswith("acc_")
    assert admin.list_all_members() == world.api("admin").list_all_members()
    admin.create_group("side", "a side group")
    admin.add_group_member("side", "eve", "owner", 2, False, True, ["ops"])
    assert admin.list_members("side") == world.api("admin").list_members("side")
    assert admin.set_group_policy("side", "^ship", 60)["default_timeout_seconds"] == 60
    assert admin.remove_group_member("side", "eve")["removed"] is True
    assert remote("qa").list_groups() == world.api("qa").list_groups()
    assert remote("qa").whoami() == world.api("qa").whoami()
    p = remote("qa").create_proposal("swarm", "Lunch?", threshold_type="majority", deadline_hours=1)
    remote("core").cast_vote(p["id"], "yes", "hungry", 0.9, ["menu.pdf"])
    assert remote("qa").get_proposal(p["id"], True) == world.api("qa").get_proposal(p["id"], True)
    assert remote("qa").list_proposals("swarm", "open", 10) == world.api("qa").list_proposals("swarm", "open", 10)
    assert remote("qa").wait_proposal(p["id"], 0.1)["timed_out"] is True
    with pytest.raises(ConflictError, match="cannot be finalized yet: 2 of 3 eligible voters have not voted"):
        remote("qa").finalize_proposal(p["id"], "none needed")
    clock.advance(hours=1)  # closable after the deadline
    assert remote("qa").finalize_proposal(p["id"], "none needed")["status"] == "finalized"
    q = remote("qa").create_proposal("swarm", "Dinner?")
    assert remote("qa").cancel_proposal(q["id"])["status"] == "cancelled"
    assert admin.list_events(0, 0, 500) == world.api("admin").list_events(0, 0, 500)
    assert admin.audit(p["id"]) == world.api("admin").audit(p["id"])
    assert admin.revoke_tokens("eve")["revoked"] == 2


def refusal(target: Any, op: str, *args: Any) -> tuple[type[AccordError], str]:
    with pytest.raises(AccordError) as caught:
        getattr(target, op)(*args)
    return type(caught.value), caught.value.message


def test_refusals_come_back_as_the_same_errors(remote: Remote, world: World, clock: FixedClock) -> None:
    g = world.api("core").gate_request("deploy", None, "swarm", 60)
    world.api("core").send_message("qa", "note", "swarm")
    proposal = world.api("qa").create_proposal("swarm", "Q?", deadline_hours=1)
    cases: list[tuple[str, str, tuple[Any, ...], type[AccordError]]] = [
        ("qa", "gate_request", ("deploy", None, "swarm"), ConflictError),
        ("core", "gate_vote", (g["id"], "yes"), ForbiddenError),
        ("qa", "gate_vote", (g["id"], "maybe"), ValidationError),
        ("qa", "gate_close", (g["id"],), ForbiddenError),
        ("qa", "gate_tally", ("nothing",), NotFoundError),
        ("qa", "send_message", ("nobody", "hi", "swarm"), ValidationError),
        ("qa", "claim_message", ("msg_nothing",), NotFoundError),
        ("admin", "create_group", ("swarm",), ConflictError),
        ("qa", "create_member", ("x",), ForbiddenError),
    ]
    for member, op, args, error in cases:
        local = refusal(world.api(member), op, *args)
        assert local[0] is error
        assert refusal(remote(member), op, *args) == local, op
    clock.advance(hours=2)
    local = refusal(world.api("core"), "cast_vote", proposal["id"], "yes")
    assert local[0] is DeadlineError
    assert refusal(remote("core"), "cast_vote", proposal["id"], "yes") == local


def test_wait_for_consensus_is_fail_closed(remote: Remote, world: World, clock: FixedClock) -> None:
    core = remote("core")
    g = core.gate_request("commit-gate", None, "swarm", 30)
    pending = core.wait_for_consensus("commit-gate", 0.2, "swarm")
    assert (pending["status"], pending["reason"], pending["request_id"]) == ("rejected", "timeout", g["id"])
    remote("qa").gate_vote(g["id"], "yes")
    remote("sec").gate_vote(g["id"], "no", "bypass")
    vetoed = core.wait_for_consensus("commit-gate", 5)
    assert (vetoed["status"], vetoed["reason"]) == ("vetoed", "vetoed")
    remote("sec").gate_vote(g["id"], "yes")
    approved = core.wait_for_consensus(g["id"], 5)
    assert (approved["status"], approved["gate"]["closed"]) == ("approved", True)
    g2 = core.gate_request("commit-gate", None, "swarm", 30)
    clock.advance(30)
    assert core.wait_for_consensus(g2["id"], 5)["status"] == "rejected"
    assert core.wait_for_consensus(g2["id"], 5)["reason"] == "expired"
    g3 = core.gate_request("commit-gate", None, "swarm", 30)
    remote("qa").gate_vote(g3["id"], "no")
    remote("sec").gate_vote(g3["id"], "yes")
    assert core.wait_for_consensus("commit-gate", 5)["reason"] == "rejected"


def _agent(client: AccordClient, how: str) -> threading.Thread:
    def run() -> None:
        task = client.recv_message(10, "TASK")
        assert task is not None
        request_id = task["payload"]["request_id"]
        if how == "respond":
            client.send_message(
                task["from"], "42", task["group"], "RESPONSE", task["subject"], {"request_id": request_id, "answer": 42}
            )
        elif how == "complete":
            client.claim_message(task["id"])
            client.complete_message(task["id"], "done")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_fan_out_collects_every_answer_and_survives_failures(remote: Remote, world: World) -> None:
    world.member("stranger")
    agents = [_agent(remote("qa"), "respond"), _agent(remote("sec"), "complete"), _agent(remote("docs"), "ignore")]
    result = remote("core").fan_out("review", ["qa", "sec", "docs", "stranger"], {"pr": 7}, 2, "swarm")
    for thread in agents:
        thread.join(10)
    by_agent = {s["agent"]: s["result"] for s in result["succeeded"]}
    assert by_agent["qa"] == {"request_id": result["request_id"], "answer": 42}
    assert by_agent["sec"]["response"] == "done" and by_agent["sec"]["request_id"] == result["request_id"]
    assert sorted(result["failed"]) == [
        "docs timeout",
        "stranger: stranger is not a member of group swarm: send to one of its members, or '*' for all of them",
    ]
    assert result["quorum"] is False  # 2 of 4 is not more than half
    assert remote("core").gate_tally("review")["closed"] is True  # released even though not every agent answered
    remote("core").gate_request("review", None, "swarm")
