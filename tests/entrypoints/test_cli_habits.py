"""The CLI as people use it (SPEC §9, issue 9 item 5): --version, completion, --x/--no-x booleans, tables at 80
columns that never cut an id, no Python reprs, every instant-runoff round, CLI names in refusals, `gate wait`'s
note on a terminal, `add-checkpoint --title`, `audit --latest N`."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from accord.bootstrap import Services, build_services
from accord.entrypoints.cli import app
from tests.support import World

ACCORD = str(Path(sys.executable).with_name("accord"))
ID = re.compile(r"\b(?:prop|ms|msg|cg|cons)_[a-z0-9]+")
REPRS = ("True", "False", "None", "['", "{'", '["', '{"')


class People:
    """The real executable at 80 columns, and Typer's CliRunner, as any member of one seeded store."""

    def __init__(self, url: str, services: Services) -> None:
        self.url = url
        self.services = services
        self.world = World(services)
        self.world.group(
            "backend-team",
            {
                "ana": {"role": "owner"},
                "bo": {"weight": 2},
                "cy": {"kind": "human", "veto": True},
                "dee": {"advisory": True, "expertise": ["security", "ops"]},
            },
        )

    def env(self, member: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        return {**env, "ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[member], "COLUMNS": "80"}

    def run(self, member: str, *args: str, code: int = 0) -> str:
        done = subprocess.run([ACCORD, *args], env=self.env(member), capture_output=True, text=True, timeout=120)
        assert done.returncode == code, f"accord {' '.join(args)} exited {done.returncode}: {done.stderr}"
        return done.stdout

    def cli(self, member: str, *args: str) -> Result:
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[member], "ACCORD_URL": None}
        return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def people(sqlite_url: str) -> Iterator[People]:
    services = build_services(sqlite_url)
    yield People(sqlite_url, services)
    services.close()


def test_version_and_shell_completion(tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["--version"])
    assert (shown.exit_code, shown.stdout) == (0, f"accord {version('accord')}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    # Typer finds the shell from the parent process, as it would in a terminal ("; true": bash does not exec).
    script = subprocess.run(
        ["bash", "-c", f"{ACCORD} --show-completion; true"], env=env, capture_output=True, text=True
    )
    assert script.returncode == 0 and "_ACCORD_COMPLETE=complete_bash" in script.stdout
    words = {**env, "_ACCORD_COMPLETE": "complete_bash", "COMP_WORDS": "accord gate vo", "COMP_CWORD": "2"}
    completed = subprocess.run([ACCORD], env=words, capture_output=True, text=True, cwd=tmp_path)
    assert completed.stdout.split() == ["vote"]
    assert list(tmp_path.iterdir()) == []  # completing needs no store


def test_boolean_options_have_a_no_form(people: People) -> None:
    made = people.cli(
        "ana",
        *("proposal", "create", "--group", "backend-team", "--title", "Weights off"),
        *("--preset", "weighted", "--threshold", "0.6", "--no-weighted", "--no-allow-abstain", "--json"),
    )
    assert made.exit_code == 0, made.stderr
    p = json.loads(made.stdout)
    assert (p["weighted"], p["allow_abstain"]) == (False, False)  # the preset said weighted; --no-weighted wins
    on = people.cli("ana", "group", "add-member", "backend-team", "dee", "--veto", "--advisory", "--json")
    assert (json.loads(on.stdout)["veto"], json.loads(on.stdout)["advisory"]) == (True, True)
    off = people.cli("ana", "group", "add-member", "backend-team", "dee", "--no-veto", "--no-advisory", "--json")
    assert (json.loads(off.stdout)["veto"], json.loads(off.stdout)["advisory"]) == (False, False)
    for command, negative in (
        (["proposal", "create"], "--no-"),
        (["group", "add-member"], "--no-"),
        (["inbox", "list"], "--all"),
    ):
        assert negative in people.cli("ana", *command, "--help").stdout, command


def seed(people: People) -> dict[str, Any]:
    """Proposals, a milestone, a gate and messages with long titles, as a busy team has them."""
    ana, bo, cy = (people.world.api(n) for n in ("ana", "bo", "cy"))
    long_title = "Roll the payments service to version 2.0 in every region, after the canary has run a full day"
    vetoed = ana.create_proposal(group="backend-team", title=long_title, threshold_type="two_thirds")["id"]
    ana.cast_vote(vetoed, "yes", "Staging tests passed")
    bo.cast_vote(vetoed, "yes", "Metrics look good", "0.9")
    cy.cast_vote(vetoed, "no", "No rollback plan for the schema change")
    ranked = ana.create_proposal(
        group="backend-team",
        title="Next quarter's focus, ranked by everyone who will build it",
        voting_type="ranked",
        options=["Dark mode", "Mobile app", "API v2", "SSO"],
    )["id"]
    ana.cast_vote(ranked, "Dark mode,API v2")
    bo.cast_vote(ranked, "SSO,API v2")
    cy.cast_vote(ranked, "API v2,Mobile app")
    empty = ana.create_proposal(group="backend-team", title="Nobody has voted on this one yet")["id"]
    ms = ana.create_milestone(
        title="Ship the new checkout flow with every dependency in place",
        checkpoints=[{"title": "Design approved"}, {"title": "Implementation complete", "depends_on": [1]}],
        group="backend-team",
    )["id"]
    gate = ana.gate_request("deploy", {"version": "2.0"}, "backend-team", 600)["id"]
    msg = ana.send_message("bo", "Please review the migration before Friday's deploy window", "backend-team")["id"]
    return {"vetoed": vetoed, "ranked": ranked, "empty": empty, "ms": ms, "gate": gate, "msg": msg}


def test_tables_at_80_columns_never_cut_an_id_and_nothing_is_a_python_repr(people: People) -> None:
    ids = seed(people)
    outputs = {
        "proposal list": people.run("bo", "proposal", "list"),
        "milestone list": people.run("bo", "milestone", "list"),
        "milestone show": people.run("bo", "milestone", "show", ids["ms"]),
        "inbox list": people.run("bo", "inbox", "list"),
        "audit": people.run("admin", "audit", "--latest", "20"),
        "member list": people.run("admin", "member", "list"),
        "group members": people.run("bo", "group", "members", "backend-team"),
        "group add-member": people.run("admin", "group", "add-member", "backend-team", "dee", "--advisory"),
        "proposal show": people.run("bo", "proposal", "show", ids["vetoed"]),
        "gate tally": people.run("bo", "gate", "tally", ids["gate"], code=3),
    }
    listed = {p["id"] for p in json.loads(people.run("bo", "proposal", "list", "--json"))}
    assert {ids["vetoed"], ids["ranked"], ids["empty"]} <= listed
    for name, text in outputs.items():
        if name not in ("proposal show", "gate tally", "group add-member"):  # prose lines: the terminal wraps them
            for line in text.splitlines():
                assert len(line) <= 80, (name, line)
        for found in ID.findall(text):
            assert len(found.split("_", 1)[1]) == 12, (name, found)  # whole, never cut or wrapped
        for repr_ in REPRS:
            assert repr_ not in text, (name, repr_, text)
    assert all(i in outputs["proposal list"] for i in listed)
    assert ids["msg"] in outputs["inbox list"] and ids["ms"] in outputs["milestone list"]
    assert re.search(r"^admin\s+human\s+yes$", outputs["member list"], re.MULTILINE)
    assert "advisory: yes" in outputs["group add-member"] and "security, ops" in outputs["group members"]


def test_a_vetoed_proposal_says_who_vetoed_and_why_not_the_counts(people: People) -> None:
    ids = seed(people)
    shown = people.run("bo", "proposal", "show", ids["vetoed"])
    assert shown.splitlines()[1] == "vetoed by cy: No rollback plan for the schema change"
    assert "result" not in shown and "threshold_met" not in shown and "threshold met" not in shown
    empty = people.run("bo", "proposal", "show", ids["empty"])
    assert empty.splitlines()[1] == "no votes yet"
    assert "rejected" not in empty and "result" not in empty


def test_a_ranked_proposal_shows_every_round(people: People) -> None:
    ids = seed(people)
    view = json.loads(people.run("bo", "proposal", "show", ids["ranked"], "--json"))
    assert len(view["rounds"]) >= 2
    shown = people.run("bo", "proposal", "show", ids["ranked"])
    lines = [line.strip() for line in shown.splitlines() if line.strip().startswith("round ")]
    assert len(lines) == len(view["rounds"])
    for n, (line, r) in enumerate(zip(lines, view["rounds"], strict=True), 1):
        assert line.startswith(f"round {n}: ")
        if r["eliminated"]:
            assert line.endswith(f"eliminated {r['eliminated']}") or f"eliminated {r['eliminated']};" in line
    recorded = people.cli("dee", "proposal", "vote", ids["ranked"], "API v2,SSO,Dark mode")
    assert recorded.stdout == "recorded: API v2 > SSO > Dark mode\n"


def test_refusals_name_cli_commands_not_tool_names(people: People) -> None:
    ids = seed(people)
    refused = people.cli("bo", "proposal", "vote", ids["gate"], "yes")
    assert refused.exit_code == 75
    assert refused.stderr == (
        f"error: {ids['gate']} is a gate and is not voted on like a proposal: vote with accord gate vote; its "
        "requester closes it with accord gate close, or it expires at its timeout\n"
    )
    # MCP and REST keep the tool names (the message SPEC §9 shares between them).
    api = people.world.api("bo")
    with pytest.raises(Exception, match="vote with gate_vote; its requester closes it with gate_close"):
        api.cast_vote(ids["gate"], "yes")


def test_gate_wait_says_what_it_waits_for_only_on_a_terminal(people: People) -> None:
    ids = seed(people)
    env = people.env("ana")
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [ACCORD, "gate", "wait", ids["gate"], "--timeout", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=120,
        )
        os.close(follower)
        note = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            note += chunk
    finally:
        os.close(leader)
    assert done.returncode == 3
    said = note.decode().replace("\r\n", "\n")
    assert said.startswith(
        f"waiting up to 0.2s for {ids['gate']} (deploy in backend-team) to be approved, vetoed or rejected: now "
        "pending, 0 of 2 gate voters have voted; awaiting bo, cy"
    ), said
    assert "still pending after 0.2s: do not proceed" in said
    piped = subprocess.run(
        [ACCORD, "gate", "wait", ids["gate"], "--timeout", "0.2"], env=env, capture_output=True, text=True
    )
    assert (piped.returncode, piped.stderr) == (3, "still pending after 0.2s: do not proceed\n")


def test_add_checkpoint_takes_title_as_an_option_or_an_argument(people: People) -> None:
    ids = seed(people)
    by_option = people.cli("ana", "milestone", "add-checkpoint", ids["ms"], "--title", "Tests passing", "--json")
    assert by_option.exit_code == 0, by_option.stderr
    assert json.loads(by_option.stdout)["checkpoint"]["title"] == "Tests passing"
    positional = people.cli("ana", "milestone", "add-checkpoint", ids["ms"], "Deployed", "--json")
    assert json.loads(positional.stdout)["checkpoint"]["title"] == "Deployed"
    both = people.cli("ana", "milestone", "add-checkpoint", ids["ms"], "One", "--title", "Another")
    assert both.exit_code == 64 and "give the title once" in both.stderr
    neither = people.cli("ana", "milestone", "add-checkpoint", ids["ms"])
    assert neither.exit_code == 64 and "give --title" in neither.stderr


def test_audit_latest_is_the_tail_of_the_log(people: People) -> None:
    seed(people)
    everything = json.loads(people.cli("admin", "audit", "--limit", "500", "--json").stdout)
    tail = json.loads(people.cli("admin", "audit", "--latest", "3", "--json").stdout)
    assert [e["id"] for e in tail] == [e["id"] for e in everything[-3:]]
    bad = people.cli("admin", "audit", "--latest", "0")
    assert (bad.exit_code, bad.stderr) == (65, "error: latest must be a whole number from 1 to 500, got 0\n")
