"""Remote mode: the real `accord` executable against a real `accord serve`, with the same output and exit codes
as on the local store (ACCORD_URL + ACCORD_TOKEN instead of ACCORD_DATABASE_URL)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.bootstrap import build_services
from tests.entrypoints.test_client_harness import ACCORD, ServeProcess, free_port
from tests.support import World


@dataclass
class Run:
    code: int
    out: str
    err: str


class Shells:
    """The same command, locally and through the server, run side by side."""

    def __init__(self, store_url: str, server_url: str, tokens: dict[str, str], tmp: Path) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        self.local = {**base, "ACCORD_DATABASE_URL": store_url}
        # Remote mode must not touch a store: point the local one somewhere that does not exist.
        self.remote = {**base, "ACCORD_URL": server_url, "ACCORD_DATABASE_URL": f"sqlite:///{tmp / 'absent' / 'x.db'}"}
        self.tokens = tokens

    def start(self, env: dict[str, str], member: str, args: tuple[str, ...]) -> subprocess.Popen[str]:
        token = self.tokens.get(member, member)
        return subprocess.Popen(
            [ACCORD, *args],
            env={**env, "ACCORD_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def remote_run(self, member: str, *args: str) -> Run:
        return _finish(self.start(self.remote, member, args))

    def both(self, member: str, *args: str) -> Run:
        """Run locally and remotely at once; they must agree exactly (stdout, stderr, exit code)."""
        local, remote = self.start(self.local, member, args), self.start(self.remote, member, args)
        mine, theirs = _finish(local), _finish(remote)
        assert theirs == mine, f"accord {' '.join(args)}: local {mine} != remote {theirs}"
        return mine


def _finish(proc: subprocess.Popen[str]) -> Run:
    out, err = proc.communicate(timeout=120)
    return Run(proc.returncode, out, err)


@pytest.fixture
def shells(store_url: str, tmp_path: Path) -> Iterator[Shells]:
    services = build_services(store_url)
    try:
        world = World(services)
        world.group("swarm", {"core": {}, "sec": {"veto": True}, "qa": {}, "docs": {"advisory": True}})
        tokens = dict(world.tokens)
    finally:
        services.close()
    with ServeProcess(store_url) as server:
        yield Shells(store_url, server.url, tokens, tmp_path)


def test_the_cli_against_a_server_answers_as_it_does_locally(shells: Shells) -> None:
    opened = shells.remote_run("core", "gate", "request", "commit-gate", '{"branch": "feat/x"}', "--group", "swarm")
    assert opened.code == 0
    gid = opened.out.strip()
    locked = shells.both("qa", "gate", "request", "commit-gate", "--group", "swarm")
    assert (locked.code, locked.err.strip()) == (75, f"error: subject 'commit-gate' already has an open request {gid}")
    assert shells.both("qa", "gate", "tally", "commit-gate").code == 3
    assert shells.remote_run("qa", "gate", "vote", gid, "yes").out.strip() == "recorded: yes (gate pending)"
    vetoed = shells.remote_run("sec", "gate", "vote", gid, "no", "--comment", "gate bypass")
    assert vetoed.out.strip() == "recorded: no (gate vetoed)"
    assert shells.both("docs", "gate", "tally", "commit-gate").code == 2
    assert shells.both("core", "gate", "vote", gid, "yes").code == 77
    assert shells.both("qa", "gate", "tally", "prop_zzzzzzzzzzzz").code == 66
    pending = shells.remote_run("core", "gate", "wait", gid, "--timeout", "0.2")
    assert (pending.code, pending.err.strip()) == (2, "")  # vetoed is decided: no waiting
    shells.remote_run("sec", "gate", "vote", gid, "yes")
    assert shells.remote_run("core", "gate", "wait", "commit-gate", "--timeout", "10").code == 0
    assert shells.both("qa", "gate", "tally", gid, "--json").code == 0
    veto = shells.both("core", "inbox", "peek", "--type", "VETO")
    assert "VETO issued by sec on 'commit-gate': gate bypass" in veto.out
    assert shells.remote_run("core", "inbox", "recv", "--type", "VETO").out == veto.out
    assert shells.both("core", "inbox", "recv", "--type", "VETO", "--json").out.strip() == "null"
    assert shells.both("core", "inbox", "recv", "--type", "VETO") == Run(0, "", "")
    assert shells.both("acc_not_a_token", "gate", "tally", "commit-gate").code == 77
    assert shells.both("core", "gate", "request", "x", "{", "--group", "swarm").code == 65


def test_an_unreachable_server_exits_69(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_URL=url, ACCORD_TOKEN="acc_x")
    done = subprocess.run([ACCORD, "gate", "tally", "deploy"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 69
    assert done.stderr.startswith(f"error: the server at {url} is unavailable")
