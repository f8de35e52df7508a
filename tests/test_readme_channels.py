"""README 'Getting told': the member-channel commands run as written, and show secrets only masked."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from accord.bootstrap import build_services
from accord.entrypoints.cli import app as cli_app
from tests.support import World

README = Path(__file__).resolve().parent.parent / "README.md"


def channel_commands() -> list[list[str]]:
    section = README.read_text().split("### Mail, chat and push: member channels", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    lines = [line.split("   #", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("accord ") and "ch_…" not in line]


def test_the_readme_channel_commands_run_as_written(sqlite_url: str) -> None:
    services = build_services(sqlite_url)
    world = World(services)
    world.member("alice", "human")
    services.close()
    commands = channel_commands()
    assert [c[:3] for c in commands] == [
        ["member", "channel", "add"],
        ["member", "channel", "add"],
        ["member", "time-zone", "alice"],
        ["member", "channel", "list"],
    ]
    # The README's hosts are examples: resolving them is not what this checks.
    env = {"ACCORD_DATABASE_URL": sqlite_url, "ACCORD_TOKEN": world.tokens["alice"], "ACCORD_URL": ""}
    env["ACCORD_ALLOW_PRIVATE_TARGETS"] = "1"
    runner = CliRunner()
    outputs = []
    for argv in commands:
        result = runner.invoke(cli_app, argv, env=env)
        assert result.exit_code == 0, (argv, result.stderr)
        outputs.append(result.stdout)
    assert "app-password" not in "".join(outputs) and "TIiajkdnlazkcOXrIdevi7FQ" not in "".join(outputs)
    assert outputs[1].split()[1] == "slack://T...2/A...D/T...Q/%23approvals/"
