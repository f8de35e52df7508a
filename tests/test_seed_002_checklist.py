"""Seed 002's anti-fake-pass checklist, one test per line, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from accord.client import AccordClient
from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ForbiddenError
from accord.entrypoints.cli import app
from tests.entrypoints.test_client_harness import LiveServer
from tests.support import World

MEMBERS = ("core-development", "security-team", "qa-team", "docs-team")


@pytest.fixture
def swarm(world: World) -> World:
    world.group(
        "swarm",
        {"core-development": {}, "security-team": {"veto": True}, "qa-team": {}, "docs-team": {"advisory": True}},
    )
    return world


@pytest.fixture
def server(swarm: World) -> Iterator[LiveServer]:
    with LiveServer(swarm.services) as live:
        yield live


def client(world: World, server: LiveServer, member: str) -> AccordClient:
    return AccordClient(server.url, world.tokens[member])


def approved_gate(world: World, subject: str = "commit-gate") -> str:
    gid = str(world.api("core-development").gate_request(subject, None, "swarm", 600)["id"])
    world.api("qa-team").gate_vote(gid, "yes")
    world.api("security-team").gate_vote(gid, "yes")
    return gid


def test_consensus_never_proceeds_without_checking_for_a_veto(swarm: World, server: LiveServer) -> None:
    """❌ Consensus proceeds without checking for veto messages (veto ignored)"""
    gid = approved_gate(swarm)
    swarm.api("security-team").gate_vote(gid, "no", "gate bypass")
    assert swarm.api("qa-team").gate_tally("commit-gate")["status"] == "vetoed"
    with client(swarm, server, "core-development") as core:
        assert core.wait_for_consensus("commit-gate", 5)["status"] == "vetoed"
    assert swarm.api("core-development").gate_close(gid)["status"] == "vetoed"  # closing cannot approve it
    for member in MEMBERS:
        assert [m["type"] for m in swarm.api(member).check_inbox()].count("VETO") == 1


def test_timeout_is_rejection_never_approval(swarm: World, server: LiveServer, clock: FixedClock) -> None:
    """❌ Timeout treated as approval instead of rejection (fail-open consensus)"""
    core = swarm.api("core-development")
    gid = core.gate_request("commit-gate", None, "swarm", 60)["id"]
    swarm.api("qa-team").gate_vote(gid, "yes")
    with client(swarm, server, "core-development") as remote:
        waited = remote.wait_for_consensus("commit-gate", 0.2)
        assert (waited["status"], waited["reason"]) == ("rejected", "timeout")
        assert core.gate_wait(gid, 0.1)["timed_out"] is True
        clock.advance(60)
        expired = remote.wait_for_consensus(gid, 5)
        assert (expired["status"], expired["reason"]) == ("rejected", "expired")
    assert core.gate_tally(gid)["status"] == "expired"


def test_advisory_votes_are_never_counted_as_blocking_votes(swarm: World) -> None:
    """❌ Advisory votes (Tier 4) counted as blocking votes"""
    swarm.services.groups.add_member(swarm.admin, "swarm", "docs-team", advisory=True, veto=True)
    gid = approved_gate(swarm)
    tally = swarm.api("docs-team").gate_vote(gid, "no", "docs missing")["gate"]
    assert (tally["status"], tally["vetoed_by"], tally["tally"]["no"]) == ("approved", [], 0)
    gid2 = swarm.api("core-development").gate_request("other", None, "swarm")["id"]
    alone = swarm.api("docs-team").gate_vote(gid2, "yes")["gate"]
    assert (alone["status"], alone["ballots"]) == ("pending", 0)  # nor do they carry a gate


def test_one_subject_never_has_two_open_requests(swarm: World) -> None:
    """❌ Same subject has two open requests simultaneously (split-brain)"""
    results: list[str] = []
    start = threading.Barrier(len(MEMBERS))

    def request(member: str) -> None:
        api = swarm.api(member)
        start.wait()
        try:
            results.append(api.gate_request("commit-gate", None, "swarm")["id"])
        except ConflictError as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=request, args=(m,)) for m in MEMBERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [r for r in results if r.startswith("prop_")]
    assert len(winners) == 1
    assert sorted(results) == sorted(
        [*winners, *[f"subject 'commit-gate' already has an open request {winners[0]}"] * 3]
    )


def test_a_veto_is_lifted_by_its_holder_only(swarm: World) -> None:
    """❌ Veto lifted by a lower-tier agent (only security-team can lift its own veto)"""
    swarm.group("ops", {"req": {}, "sec-a": {"veto": True}, "sec-b": {"veto": True}, "dev": {}})
    gid = swarm.api("req").gate_request("commit", None, "ops")["id"]
    swarm.api("sec-a").gate_vote(gid, "no")
    swarm.api("sec-b").gate_vote(gid, "yes")  # another veto holder's yes does not lift sec-a's veto
    swarm.api("dev").gate_vote(gid, "yes")
    with pytest.raises(ForbiddenError):
        swarm.api("req").gate_vote(gid, "yes")
    assert swarm.api("req").gate_tally(gid)["vetoed_by"] == ["sec-a"]
    assert swarm.api("sec-a").gate_vote(gid, "yes")["gate"]["status"] == "approved"


def _answer(agent: AccordClient, fail: bool) -> threading.Thread:
    def run() -> None:
        task = agent.recv_message(10, "TASK")
        assert task is not None
        if not fail:
            body = {"request_id": task["payload"]["request_id"], "ok": True}
            agent.send_message(task["from"], "ok", task["group"], "RESPONSE", task["subject"], body)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_fan_out_settles_every_agent_like_all_settled(swarm: World, server: LiveServer) -> None:
    """❌ Fan-out uses Promise.all() instead of allSettled() (one failure aborts all results)"""
    swarm.group("fleet", ["lead", "a1", "a2", "a3", "a4"])
    agents = [client(swarm, server, n) for n in ("a1", "a2", "a3", "a4")]
    threads = [_answer(a, fail=(i == 3)) for i, a in enumerate(agents)]
    with client(swarm, server, "lead") as lead:
        result = lead.fan_out("lint", ["a1", "a2", "a3", "a4", "ghost"], {"path": "core/"}, 2, "fleet")
    for thread in threads:
        thread.join(10)
    for agent in agents:
        agent.close()
    assert sorted(s["agent"] for s in result["succeeded"]) == ["a1", "a2", "a3"]
    assert result["failed"] == [
        "ghost: ghost is not a member of group fleet: send to one of its members, or '*' for all of them",
        "a4 timeout",
    ]
    assert result["quorum"] is True  # 3 of 5 answered: more than half


def test_the_subject_lock_is_released_on_every_ending(swarm: World, server: LiveServer, clock: FixedClock) -> None:
    """❌ Lock not released in finally block (deadlock on next request for same subject)"""
    core = swarm.api("core-development")
    core.gate_close(approved_gate(swarm))  # approved, closed
    gid = core.gate_request("commit-gate", None, "swarm")["id"]
    swarm.api("security-team").gate_vote(gid, "no")
    core.gate_close(gid)  # vetoed, closed
    core.gate_close(core.gate_request("commit-gate", None, "swarm")["id"])  # closed early: rejected
    core.gate_request("commit-gate", None, "swarm", 5)
    clock.advance(5)  # expired: the timeout released it without anyone closing
    with client(swarm, server, "core-development") as remote:
        result = remote.fan_out("commit-gate", ["qa-team"], None, 0.2, "swarm")  # nobody answers
        assert result["failed"] == ["qa-team timeout"]
    core.gate_request("commit-gate", None, "swarm")


@pytest.mark.parametrize(
    ("votes", "advance", "code"),
    [
        ({"qa-team": "yes", "security-team": "yes"}, 0, 0),
        ({"qa-team": "no", "security-team": "yes"}, 0, 1),
        ({"qa-team": "yes"}, 600, 1),
        ({"qa-team": "yes", "security-team": "no"}, 0, 2),
        ({"qa-team": "yes"}, 0, 3),
    ],
)
def test_exit_codes_keep_approved_rejected_vetoed_and_pending_apart(
    swarm: World, server: LiveServer, clock: FixedClock, votes: dict[str, str], advance: int, code: int
) -> None:
    """❌ swarm-orchestrator.sh exit code not checked (approved/rejected/vetoed conflated)"""
    gid = swarm.api("core-development").gate_request("commit-gate", None, "swarm", 600)["id"]
    for member, vote in votes.items():
        swarm.api(member).gate_vote(gid, vote)
    clock.advance(advance)
    env = {"ACCORD_URL": server.url, "ACCORD_TOKEN": swarm.tokens["qa-team"]}
    runner = CliRunner()
    assert runner.invoke(app, ["gate", "tally", "commit-gate"], env=env).exit_code == code
    assert runner.invoke(app, ["gate", "wait", gid, "--timeout", "0.1"], env=env).exit_code == code
