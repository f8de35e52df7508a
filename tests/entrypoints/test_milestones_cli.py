"""`accord milestone ...`: create from a seed-shaped file or options, show, list, change, complete, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from accord.bootstrap import build_services
from accord.entrypoints.cli import app
from tests.support import World

SEED_BLOCK = """\
create_milestone:
  group: "product-team"
  project_id: "proj_q1_roadmap"
  title: "User Authentication"
  checkpoints:
    - title: "Database schema design"
    - title: "API endpoints"
      depends_on: [1]
    - title: "Frontend components"
      depends_on: [1]
    - title: "Integration tests"
      depends_on: [2, 3]
    - title: "Deploy to production"
      depends_on: [4]
      requires_consensus: true
"""


class Cli:
    def __init__(self, url: str, world: World) -> None:
        self.url, self.world, self.runner = url, world, CliRunner()

    def __call__(self, who: str, *argv: str, code: int = 0) -> Result:
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": self.world.tokens[who], "ACCORD_URL": ""}
        result = self.runner.invoke(app, ["milestone", *argv], env=env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    def json(self, who: str, *argv: str) -> Any:
        return json.loads(self(who, *argv, "--json").stdout)


@pytest.fixture
def cli(sqlite_url: str) -> Iterator[Cli]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("product-team", ["dev", "qa"])
    yield Cli(sqlite_url, world)
    services.close()


def test_create_from_the_seed_shaped_yaml_file(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "milestone.yaml"
    spec.write_text(SEED_BLOCK)
    ms = cli("dev", "create", "--file", str(spec)).stdout.strip()
    assert ms.startswith("ms_")
    view = cli.json("qa", "show", ms)
    assert view["project_id"] == "proj_q1_roadmap" and view["group"] == "product-team"
    assert [cp["depends_on"] for cp in view["checkpoints"]] == [[], [1], [1], [2, 3], [4]]
    assert view["checkpoints"][4]["proposal_id"].startswith("prop_")
    shown = cli("qa", "show", ms).stdout
    assert "User Authentication" in shown and "0 of 5 completed" in shown and "awaiting" not in shown

    result = cli("dev", "complete", ms, "2", code=75)
    assert result.stderr.strip() == "error: depends on checkpoint 1 which is pending"
    assert "unblocked: 2, 3" in cli("dev", "complete", ms, "1").stdout
    assert cli.json("dev", "complete", ms, "1")["already_completed"] is True
    assert [m["id"] for m in cli.json("qa", "list", "--project", "proj_q1_roadmap")] == [ms]
    assert "1/5" in cli("qa", "list", "--project", "proj_q1_roadmap").stdout


def test_create_from_json_and_options(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "m.json"
    spec.write_text(
        json.dumps({"title": "From JSON", "checkpoints": [{"title": "a"}, {"title": "b", "depends_on": [1]}]})
    )
    m = cli.json("dev", "create", "--file", str(spec), "--title", "Renamed")
    assert m["title"] == "Renamed" and m["group"] == "product-team" and len(m["checkpoints"]) == 2
    seq = cli.json("dev", "create", "--title", "Seq", "--checkpoint", "one", "--checkpoint", "two", "--sequential")
    assert [cp["depends_on"] for cp in seq["checkpoints"]] == [[], [1]]


def test_change_commands(cli: Cli) -> None:
    ms = cli("dev", "create", "--title", "M", "--checkpoint", "a", "--checkpoint", "b", "--sequential").stdout.strip()
    added = cli.json("dev", "add-checkpoint", ms, "Review", "--position", "2", "--depends-on", "1")
    assert added["checkpoint"]["order"] == 2 and added["checkpoint"]["depends_on"] == [1]
    cli("dev", "update", ms, "3", "--depends-on", "1,2", "--git-pr-url", "https://github.com/o/r/pull/7")
    cp = cli.json("dev", "show", ms)["checkpoints"][2]
    assert cp["depends_on"] == [1, 2] and cp["git_pr_url"] == "https://github.com/o/r/pull/7"
    assert cli("dev", "delete-checkpoint", ms, "2", code=75).stderr.strip() == (
        "error: checkpoint 2 cannot be deleted: 3 depends on it"
    )
    cli("dev", "update", ms, "3", "--no-depends-on")
    assert "deleted checkpoint 2: Review" in cli("dev", "delete-checkpoint", ms, "2").stdout
    cli("dev", "complete", ms, "1")
    assert "milestone closed" in cli("dev", "complete", ms, "2").stdout
    assert "active" in cli("qa", "reopen", ms).stdout
    gated = cli.json("qa", "add-checkpoint", ms, "Ship", "--requires-consensus")
    assert gated["checkpoint"]["status"] == "awaiting_consensus"


def test_bad_input_exit_codes(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("create_milestone: [unclosed")
    assert "is not valid YAML" in cli("dev", "create", "--file", str(broken), code=65).stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"title": "x", "steps": []}))
    assert "unknown: steps" in cli("dev", "create", "--file", str(wrong), code=65).stderr
    assert "cannot read" in cli("dev", "create", "--file", str(tmp_path / "none.yaml"), code=65).stderr
    assert cli("dev", "create", code=64).exit_code == 64  # no title anywhere: a usage error
    ms = cli("dev", "create", "--title", "M", "--checkpoint", "a").stdout.strip()
    assert "checkpoint 1 cannot depend on itself" in cli("dev", "update", ms, "1", "--depends-on", "1", code=65).stderr
    assert "not found" in cli("dev", "show", "ms_missing", code=66).stderr
    assert "use an http or https URL" in cli("dev", "update", ms, "1", "--git-branch-url", "x", code=65).stderr
