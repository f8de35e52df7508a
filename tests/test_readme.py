"""The README's tour, run as written (its bash block, by bash) on the store `make run` makes, then the web page as
the tour's human: so a new reader's first five minutes cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from accord.bootstrap import build_services
from accord.entrypoints.rest import create_app
from tests.web.server import sign_in

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN_LINE = re.compile(r"^export ACCORD_TOKEN=acc_…\s.*$", re.MULTILINE)


def tour() -> str:
    """The bash block of the README's tour section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A five-minute tour with the CLI", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the tour has one bash block"
    return str(blocks[0])


def make_run_init(where: Path, env: dict[str, str]) -> str:
    """What `make run` does first (`accord init` in the clone): returns the admin token it prints."""
    done = subprocess.run([str(BIN / "accord"), "init"], cwd=where, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    tokens = [line for line in done.stdout.splitlines() if line.startswith("acc_")]
    assert len(tokens) == 1, done.stdout
    return tokens[0]


def test_the_readme_tour_runs_as_written_and_the_web_page_shows_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "80"
    admin = make_run_init(tmp_path, env)
    script = tour()
    # The one line a reader fills in: the admin token `make run` printed.
    assert len(TOKEN_LINE.findall(script)) == 1, "the tour asks for the admin token once"
    script = TOKEN_LINE.sub(f"export ACCORD_TOKEN={admin}", script)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    out = done.stdout
    assert "vetoed by cy: Wait for the security review" in out
    assert "passed: yes 100%, ≥ 66.7% needed" in out
    assert "go ahead" in out and "deploying" in out
    assert "recorded: API v2 > SSO > Dark mode" in out
    # Every round; which of the tied last is eliminated is drawn by lot seeded with the proposal id (SPEC §2.4).
    assert "round 1: Dark mode 0, Mobile app 0, API v2 1, SSO 1; eliminated " in out and "round 3: " in out
    assert "True" not in out and "False" not in out and "['" not in out  # no Python reprs
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("accord.db-")) == ["accord.db"]
    cy = out.rsplit("cy's token, for the web page: ", 1)[1].strip()

    # The web section: `make run` serves the same ./accord.db; cy signs in with the tour's token.
    services = build_services(f"sqlite:///{tmp_path / 'accord.db'}", existing=True)
    try:
        with TestClient(create_app(services), follow_redirects=False) as web:
            sign_in(web, cy)
            queue = web.get("/")
            assert queue.status_code == 200
            assert "Next quarter&#39;s focus" in queue.text and "Waiting for your vote" in queue.text
            listed = web.get("/proposals")
            assert "Deploy v2.0 to production?" in listed.text
            pid = re.search(r'href="/proposals/(prop_[a-z0-9]+)">Deploy v2.0', listed.text)
            assert pid is not None
            page = web.get(f"/proposals/{pid.group(1)}")
            assert page.status_code == 200 and "Decision Record" in page.text
    finally:
        services.close()
