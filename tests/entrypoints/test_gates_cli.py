"""`accord gate` and `accord inbox` through Typer's CliRunner: output, --json, and the exit codes of SPEC §5."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from accord.bootstrap import build_services
from accord.entrypoints.cli import app
from tests.support import World


class Cli:
    def __init__(self, url: str, world: World) -> None:
        self.url = url
        self.world = world
        self.runner = CliRunner()

    def __call__(self, member: str, *args: str) -> Result:
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[member], "ACCORD_URL": ""}
        return self.runner.invoke(app, list(args), env=env)


@pytest.fixture
def cli(sqlite_url: str) -> Iterator[Cli]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
    yield Cli(sqlite_url, world)
    services.close()


def test_gate_commands_and_their_exit_codes(cli: Cli) -> None:
    opened = cli("core", "gate", "request", "commit-gate", '{"branch": "feat/x"}', "--group", "swarm")
    assert opened.exit_code == 0
    gid = opened.stdout.strip()
    assert gid.startswith("prop_") and "\n" not in gid
    locked = cli("qa", "gate", "request", "commit-gate", "--group", "swarm")
    assert (locked.exit_code, locked.stderr.strip()) == (
        75,
        f"error: subject 'commit-gate' already has an open request {gid}",
    )
    pending = cli("qa", "gate", "tally", "commit-gate")
    assert pending.exit_code == 3 and pending.stdout.startswith(f"{gid}  commit-gate: pending")
    waited = cli("core", "gate", "wait", gid, "--timeout", "0.1")
    assert (waited.exit_code, waited.stderr.strip()) == (3, "still pending after 0.1s: do not proceed")
    assert (
        cli("qa", "gate", "vote", gid, "yes", "--comment", "tests pass").stdout.strip()
        == "recorded: yes (gate pending)"
    )
    assert cli("docs", "gate", "vote", gid, "no").stdout.strip() == "recorded: no (gate pending)"
    assert cli("sec", "gate", "vote", gid, "no", "--comment", "bypass").stdout.strip() == "recorded: no (gate vetoed)"
    vetoed = cli("core", "gate", "tally", "commit-gate", "--json")
    assert (vetoed.exit_code, json.loads(vetoed.stdout)["vetoed_by"]) == (2, ["sec"])
    assert cli("sec", "gate", "vote", gid, "yes").stdout.strip() == "replaced: yes (gate approved)"
    approved = cli("qa", "gate", "tally", gid)
    assert approved.exit_code == 0
    assert "docs no (advisory, not counted)" in approved.stdout
    assert cli("core", "gate", "wait", "commit-gate").exit_code == 0  # the requester's wait closes it
    assert cli("core", "gate", "close", gid).stdout.strip() == f"{gid} closed: approved"
    again = cli("core", "gate", "request", "commit-gate", "--group", "swarm", "--timeout", "30")
    rejected_id = again.stdout.strip()
    cli("qa", "gate", "vote", rejected_id, "no")
    cli("sec", "gate", "vote", rejected_id, "yes")
    assert cli("core", "gate", "wait", "commit-gate", "--timeout", "5").exit_code == 1
    assert cli("core", "gate", "close", rejected_id, "--json").exit_code == 0


def test_gate_refusals_exit_with_their_codes(cli: Cli) -> None:
    bad_json = cli("core", "gate", "request", "deploy", "{not json", "--group", "swarm")
    assert (bad_json.exit_code, bad_json.stderr.strip()) == (
        65,
        "error: payload is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
    )
    gid = cli("core", "gate", "request", "deploy", "--group", "swarm").stdout.strip()
    assert cli("core", "gate", "vote", gid, "yes").exit_code == 77
    bad_vote = cli("qa", "gate", "vote", gid, "maybe")
    assert (bad_vote.exit_code, bad_vote.stderr.strip()) == (
        65,
        "error: vote 'maybe' is not allowed on a gate: use yes, no or abstain",
    )
    assert cli("qa", "gate", "tally", "nothing").exit_code == 66
    assert cli("qa", "gate", "close", gid).exit_code == 77
    assert cli("qa", "gate", "vote", gid).exit_code == 64  # usage errors are 64, never click's 2 ("vetoed")
    assert cli("qa", "gate", "wait", gid, "--timeout", "soon").exit_code == 64


def test_inbox_commands(cli: Cli) -> None:
    empty = cli("qa", "inbox", "recv")
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert cli("qa", "inbox", "recv", "--json").stdout.strip() == "null"
    assert cli("qa", "inbox", "peek", "--json").stdout.strip() == "null"
    mid = cli(
        "core",
        "inbox",
        "send",
        "qa",
        "please review",
        "--group",
        "swarm",
        "--type",
        "TASK",
        "--subject",
        "pr-7",
        "--payload",
        '{"pr": 7}',
        "--ttl",
        "600",
    ).stdout.strip()
    assert mid.startswith("msg_")
    assert cli("qa", "inbox", "peek").stdout.splitlines() == [
        f"{mid}  TASK from core [pr-7] (pending)",
        "please review",
        '{"pr": 7}',
    ]
    assert mid in cli("qa", "inbox", "list", "--unread").stdout
    got = json.loads(cli("qa", "inbox", "recv", "--wait", "1", "--json").stdout)
    assert (got["id"], got["payload"]) == (mid, {"pr": 7})
    assert cli("qa", "inbox", "recv").stdout == ""
    assert cli("qa", "inbox", "claim", mid, "--timeout", "60").stdout.startswith(f"{mid} claimed until ")
    assert cli("sec", "inbox", "claim", mid).exit_code == 66  # not a recipient: not found
    assert cli("qa", "inbox", "release", mid).stdout.strip() == f"{mid} released"
    unclaimed = cli("qa", "inbox", "complete", mid, "--response", "lgtm")
    assert unclaimed.exit_code == 75 and "complete needs your claim" in unclaimed.stderr
    cli("qa", "inbox", "claim", mid)
    assert cli("qa", "inbox", "complete", mid, "--response", "lgtm").stdout.strip() == f"{mid} completed"
    answer = json.loads(cli("core", "inbox", "recv", "--json").stdout)
    assert (answer["type"], answer["content"]) == ("RESPONSE", "lgtm")
    outsider = cli("core", "inbox", "send", "nobody", "hi", "--group", "swarm")
    assert (outsider.exit_code, outsider.stderr.strip()) == (
        65,
        "error: nobody is not a member of group swarm: send to one of its members, or '*' for all of them",
    )
    assert cli("core", "inbox", "send", "qa", "x", "--group", "swarm", "--payload", "[").exit_code == 65
