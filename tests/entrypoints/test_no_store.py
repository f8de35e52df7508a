"""Where no store has been initialised, every command that needs one (and `serve`, `mcp`) exits 69 with one line,
"no Accord store at <url>: run `accord init` first (or set ACCORD_DATABASE_URL)", and leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from typer.testing import CliRunner

from accord.entrypoints.cli import app
from tests.conftest import PG_ADMIN_URL
from tests.web.server import live_server

ACCORD = str(Path(sys.executable).with_name("accord"))
HINT = "run `accord init` first (or set ACCORD_DATABASE_URL)"
# Commands that need no store: they make it, print text, or (mcp --print-config) only describe it.
NO_STORE_NEEDED = {"init", "instructions"}
# A valid dummy for each argument or required option that the type alone does not decide.
# Commands whose usage check is in the command itself (one of two forms must be given).
EXTRA: dict[tuple[str, ...], list[str]] = {
    ("milestone", "create"): ["--title", "x"],
    ("milestone", "add-checkpoint"): ["--title", "x"],
}
DUMMIES = {"payload": "{}", "vote": "yes", "signal": "complete", "participant": "ana", "order": "1"}


def message(url: str) -> str:
    return f"error: no Accord store at {url}: {HINT}"


def leaf_commands() -> list[list[str]]:
    """Every `accord` command that runs an operation, with arguments that pass the usage checks."""
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:  # Typer's own vendored click: duck-typed
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
            return
        if path[0] in NO_STORE_NEEDED:
            return
        args: list[str] = []
        for param in command.params:
            if not param.required:
                continue
            value = DUMMIES.get(param.name or "", "1" if str(param.bare_type()) in ("int", "float") else "x")
            if param.param_type_name == "option":
                args += [param.opts[0], value]
            else:
                args.append(value)
        found.append([*path, *args, *EXTRA.get(tuple(path), [])])

    walk(root, [])
    return found


COMMANDS = leaf_commands()


def test_every_command_is_covered() -> None:
    paths = [c[:2] for c in COMMANDS]
    for expected in (["serve"], ["mcp"], ["sweep"], ["audit"], ["proposal", "list"], ["gate", "wait"]):
        assert [c for c in COMMANDS if c[: len(expected)] == expected], expected
    assert ["init"] not in paths and ["instructions"] not in paths
    assert len(COMMANDS) > 40


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory where no store was ever made, as the working directory, with no ACCORD_* settings."""
    for key in [k for k in os.environ if k.startswith("ACCORD_")]:
        monkeypatch.delenv(key)
    where = tmp_path / "elsewhere"
    where.mkdir()
    monkeypatch.chdir(where)
    return where


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_command_without_a_store_exits_69_in_one_line(command: list[str], elsewhere: Path) -> None:
    result = CliRunner().invoke(app, command, env={"ACCORD_TOKEN": "acc_whatever"})
    assert (result.exit_code, result.stderr) == (69, message(f"sqlite:///{elsewhere / 'accord.db'}") + "\n")
    assert result.stdout == ""
    assert list(elsewhere.iterdir()) == []  # no empty accord.db left behind


def test_a_path_in_a_missing_folder_is_not_created(elsewhere: Path) -> None:
    url = f"sqlite:///{elsewhere / 'no' / 'such' / 'dir' / 'accord.db'}"
    result = CliRunner().invoke(app, ["group", "list"], env={"ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": "acc_x"})
    assert (result.exit_code, result.stderr) == (69, message(url) + "\n")
    assert list(elsewhere.iterdir()) == []


def test_an_empty_file_or_one_that_is_not_a_store_stays_as_it_was(elsewhere: Path) -> None:
    empty = elsewhere / "accord.db"
    empty.touch()
    result = CliRunner().invoke(app, ["proposal", "list"], env={"ACCORD_TOKEN": "acc_x"})
    assert (result.exit_code, result.stderr) == (69, message(f"sqlite:///{empty}") + "\n")
    assert empty.stat().st_size == 0 and sorted(p.name for p in elsewhere.iterdir()) == ["accord.db"]
    empty.write_text("not a database, but someone's file")
    result = CliRunner().invoke(app, ["proposal", "list"], env={"ACCORD_TOKEN": "acc_x"})
    assert (result.exit_code, result.stderr) == (
        69,
        f"error: the store at sqlite:///{empty} cannot be read: file is not a database\n",
    )
    assert empty.read_text() == "not a database, but someone's file"


def test_init_creates_the_store_and_its_folder_then_commands_work(elsewhere: Path) -> None:
    url = f"sqlite:///{elsewhere / 'new' / 'accord.db'}"
    runner = CliRunner()
    made = runner.invoke(app, ["init", "--json"], env={"ACCORD_DATABASE_URL": url})
    assert made.exit_code == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    listed = runner.invoke(app, ["group", "list", "--json"], env={"ACCORD_DATABASE_URL": url, "ACCORD_TOKEN": token})
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, [])


@pytest.fixture
def empty_pg_database() -> Iterator[str]:
    """A PostgreSQL database that exists and holds nothing (as `createdb` leaves it)."""
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        if os.environ.get("ACCORD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"accord_empty_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_an_empty_postgres_database_is_no_store_and_stays_empty(empty_pg_database: str, elsewhere: Path) -> None:
    env = {"ACCORD_DATABASE_URL": empty_pg_database, "ACCORD_TOKEN": "acc_x"}
    for command in (["proposal", "list"], ["serve"], ["mcp"], ["gate", "tally", "deploy"]):
        result = CliRunner().invoke(app, command, env=env)
        assert (result.exit_code, result.stderr) == (69, message(empty_pg_database) + "\n"), command
    with psycopg.connect(empty_pg_database) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)  # serve did not migrate a database nobody initialised


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return {**env, **settings}


@pytest.mark.parametrize("command", [["proposal", "list"], ["serve", "--port", "0"], ["mcp"], ["audit"]])
def test_the_executable_says_the_same_in_one_line(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [ACCORD, *command],
        cwd=tmp_path,
        env=clean_env(ACCORD_TOKEN="acc_x"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr, done.stdout) == (
        69,
        message(f"sqlite:///{tmp_path / 'accord.db'}") + "\n",
        "",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_mcp_client_over_stdio_is_told_why(tmp_path: Path) -> None:
    """The client's log (the server's stderr) carries the reason; the server exits 69 before serving."""
    errlog = tmp_path / "server.log"
    params = StdioServerParameters(command=ACCORD, args=["mcp"], env=clean_env(ACCORD_TOKEN="acc_x"), cwd=tmp_path)

    async def run() -> None:
        with errlog.open("w") as log:
            async with Client(stdio_client(params, errlog=log)) as client:
                await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the SDK's wording for a closed connection is not ours to pin
        asyncio.run(run())
    assert errlog.read_text() == message(f"sqlite:///{tmp_path / 'accord.db'}") + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.log"]


def test_commands_that_need_no_store_run_anywhere(elsewhere: Path) -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("accord ")
    assert runner.invoke(app, ["instructions"]).exit_code == 0
    printed = runner.invoke(app, ["mcp", "--print-config"], env={"ACCORD_TOKEN": "acc_mine"})
    assert printed.exit_code == 0
    server = json.loads(printed.stdout)["mcpServers"]["accord"]
    assert server["env"] == {"ACCORD_DATABASE_URL": f"sqlite:///{elsewhere / 'accord.db'}", "ACCORD_TOKEN": "acc_mine"}
    note = f"note: no Accord store at sqlite:///{elsewhere / 'accord.db'} yet: run `accord init` first\n"
    assert printed.stderr == note
    assert (server["command"], server["args"]) == (ACCORD, ["mcp"])  # absolute: works from the client's directory
    placeholder = json.loads(runner.invoke(app, ["mcp", "--print-config"]).stdout)
    assert placeholder["mcpServers"]["accord"]["env"]["ACCORD_TOKEN"] == "REPLACE_WITH_A_MEMBER_TOKEN"
    remote = runner.invoke(
        app, ["mcp", "--print-config"], env={"ACCORD_URL": "http://127.0.0.1:9/", "ACCORD_TOKEN": "acc_mine"}
    )
    assert json.loads(remote.stdout) == {
        "mcpServers": {
            "accord": {
                "type": "http",
                "url": "http://127.0.0.1:9/mcp",
                "headers": {"Authorization": "Bearer acc_mine"},
            }
        }
    }
    assert remote.stderr == ""
    assert list(elsewhere.iterdir()) == []


def test_against_a_server_no_local_store_is_needed(sqlite_url: str, elsewhere: Path) -> None:
    from accord.bootstrap import build_services

    services = build_services(sqlite_url)
    token = services.identity.init_store()["token"]
    services.close()
    with live_server(sqlite_url) as server:
        done = subprocess.run(
            [ACCORD, "member", "whoami", "--json"],
            cwd=elsewhere,
            env=clean_env(ACCORD_URL=server.url, ACCORD_TOKEN=token),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "admin"
    assert list(elsewhere.iterdir()) == []
