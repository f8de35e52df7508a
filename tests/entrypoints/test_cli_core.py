"""The `accord` executable as a script uses it: the README tour, --json, wait exit codes, cross-process waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from accord.bootstrap import build_services
from tests.support import World

ACCORD = str(Path(sys.executable).with_name("accord"))


class Shell:
    """Runs `accord` in a subprocess against one store, as whichever token it is given."""

    def __init__(self, url: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        self.env["ACCORD_DATABASE_URL"] = url

    def run(self, *args: str, token: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "ACCORD_TOKEN": token or ""}
        done = subprocess.run([ACCORD, *args], env=env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"accord {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def json(self, *args: str, token: str | None = None) -> Any:
        return json.loads(self.run(*args, "--json", token=token).stdout)

    def popen(self, *args: str, token: str) -> subprocess.Popen[str]:
        env = {**self.env, "ACCORD_TOKEN": token}
        return subprocess.Popen([ACCORD, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(f"sqlite:///{tmp_path / 'accord.db'}")


def test_readme_tour(shell: Shell) -> None:
    admin = shell.json("init")["token"]
    tokens = {name: shell.json("member", "add", name, token=admin)["token"] for name in ("ana", "bo", "cy")}
    assert shell.run("member", "add", "dee", "--kind", "human", token=admin).stdout.strip().startswith("acc_")
    shell.run("group", "create", "backend-team", token=admin)
    for name in tokens:
        shell.run("group", "add-member", "backend-team", name, token=admin)
    pid = shell.run(
        "proposal",
        "create",
        "--group",
        "backend-team",
        "--title",
        "Deploy v2.0 to production?",
        "--threshold-type",
        "two_thirds",
        token=tokens["ana"],
    ).stdout.strip()
    assert pid.startswith("prop_")
    for name, vote in (("ana", "yes"), ("bo", "yes"), ("cy", "no")):
        shell.run("proposal", "vote", pid, vote, "--comment", f"{name} says {vote}", token=tokens[name])
    shown = shell.run("proposal", "show", pid, token=tokens["bo"]).stdout
    assert "provisional" in shown and "bo says yes" in shown
    final = shell.json("proposal", "finalize", pid, token=tokens["ana"])
    assert (final["result"], final["threshold_met"], final["tally"]) == ("yes", True, {"yes": 2, "no": 1})
    assert shell.run("proposal", "wait", pid, "--timeout", "1", token=tokens["cy"]).returncode == 0
    listed = shell.json("proposal", "list", token=tokens["cy"])
    assert [p["id"] for p in listed] == [pid] and listed[0]["voted"] is True
    audit = shell.json("audit", "--ref", pid, token=admin)
    assert audit[0]["type"] == "proposal.created"


def test_usage_errors_exit_64_and_domain_errors_their_codes(shell: Shell) -> None:
    admin = shell.json("init")["token"]
    assert shell.run("proposal", "create", "--bogus", token=admin, check=False).returncode == 64
    assert shell.run("proposal", "show", token=admin, check=False).returncode == 64
    missing = shell.run("proposal", "show", "prop_nope", token=admin, check=False)
    assert (missing.returncode, missing.stderr.strip()) == (66, "error: proposal prop_nope not found")
    assert shell.run("group", "list", token="acc_wrong", check=False).returncode == 77
    assert shell.run("init", check=False).returncode == 75


def _setup(shell: Shell) -> dict[str, str]:
    """Seed the store in-process (quick); the behaviour under test then runs through the executable."""
    services = build_services(shell.env["ACCORD_DATABASE_URL"])
    world = World(services)
    world.group("team", {"ana": {}, "bo": {}, "sec": {"veto": True}})
    services.close()
    return world.tokens


@pytest.mark.parametrize(
    ("votes", "code"),
    [({"bo": "yes", "sec": "yes"}, 0), ({"bo": "yes", "sec": "no"}, 2), ({"ana": "no", "bo": "no", "sec": "yes"}, 1)],
)
def test_wait_exit_codes(shell: Shell, votes: dict[str, str], code: int) -> None:
    tokens = _setup(shell)
    pid = shell.run("proposal", "create", "--group", "team", "--title", "Go?", token=tokens["ana"]).stdout.strip()
    assert shell.run("proposal", "wait", pid, "--timeout", "0.2", token=tokens["bo"], check=False).returncode == 3
    shell.run("proposal", "vote", pid, "yes", token=tokens["ana"])
    for name, vote in votes.items():
        shell.run("proposal", "vote", pid, vote, token=tokens[name])
    shell.run("proposal", "finalize", pid, token=tokens["ana"])
    assert shell.run("proposal", "wait", pid, "--timeout", "1", token=tokens["bo"], check=False).returncode == code


def test_a_waiting_process_wakes_when_another_process_decides(shell: Shell) -> None:
    tokens = _setup(shell)
    pid = shell.run("proposal", "create", "--group", "team", "--title", "Wake?", token=tokens["ana"]).stdout.strip()
    waiter = shell.popen("proposal", "wait", pid, "--timeout", "60", "--json", token=tokens["bo"])
    time.sleep(1.5)  # let the waiter subscribe (a real process start-up, not a clock)
    assert waiter.poll() is None
    for name in ("ana", "bo", "sec"):  # everyone votes: then it may be finalized
        shell.run("proposal", "vote", pid, "yes", token=tokens[name])
    decided = time.monotonic()
    shell.run("proposal", "finalize", pid, token=tokens["ana"])
    stdout, _ = waiter.communicate(timeout=30)
    woke_after = time.monotonic() - decided
    assert waiter.returncode == 0 and json.loads(stdout)["status"] == "finalized"
    assert woke_after < 10  # it woke on the event, far before its 60 s timeout


def test_an_unreachable_store_exits_69(tmp_path: Path) -> None:
    shell = Shell("postgresql://postgres@127.0.0.1:1/nowhere")
    done = shell.run("group", "list", token="acc_x", check=False)
    assert done.returncode == 69 and done.stderr.startswith("error: the store is unavailable")
