"""Make the screenshots in docs/ from a throwaway store: `.venv/bin/python docs/screenshots.py` (needs chromium)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accord.bootstrap import build_services  # noqa: E402
from accord.storage.engine import make_engine  # noqa: E402
from accord.storage.migrate import upgrade  # noqa: E402
from tests.browser.conftest import ARGS, CHROMIUM, sign_in  # noqa: E402
from tests.support import World  # noqa: E402
from tests.web.server import live_server  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/screens.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    services = build_services(url)
    w = World(services)
    people = {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}, "dave": {}, "erin": {}}
    w.group("backend-team", people)
    bob = w.api("bob")
    pid = bob.create_proposal(
        "backend-team",
        "Deploy v2.0 to production?",
        "Staging has run v2.0 for two days with no errors.\nRollback: redeploy v1.9 from the release branch.",
        threshold_type="two_thirds",
        deadline_hours=2,
    )["id"]
    for member, vote, comment, confidence in (
        ("bob", "yes", "Error budget is healthy", 0.8),
        ("carol", "no", "Missing rollback drill", 0.8),
        ("dave", "yes", "Canary looked clean", 0.8),
    ):
        w.api(member).cast_vote(pid, vote, comment, confidence)
    w.api("carol").gate_request(
        "deploy api", {"version": "2.0", "env": "production", "replicas": 6}, group="backend-team", timeout_seconds=2700
    )
    base = bob.create_milestone(
        "Backend v2", group="backend-team", checkpoints=[{"title": "Schema migration"}, {"title": "API endpoints", "depends_on": [1]}]
    )
    bob.complete_checkpoint(base["id"], 1)
    ms = bob.create_milestone(
        "v2.0 Release",
        group="backend-team",
        checkpoints=[
            {"title": "Code complete", "depends_on": [f"{base['id']}:2"]},
            {"title": "Tests passing", "depends_on": [1]},
            {"title": "Docs", "depends_on": [1]},
            {"title": "Security review", "depends_on": [2, 3]},
            {"title": "Load test", "depends_on": [2]},
            {"title": "Changelog", "depends_on": [3]},
            {"title": "Deploy to production", "depends_on": [1, 4, 5, 6], "requires_consensus": True},
        ],
    )
    with live_server(url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(
            base_url=server.url, timezone_id="America/New_York", locale="en-US", viewport={"width": 1100, "height": 900}
        )
        page: Page = context.new_page()
        sign_in(page, w.tokens["alice"])
        page.screenshot(path=str(DOCS / "queue.png"), full_page=True)
        page.goto(f"/proposals/{pid}")
        page.get_by_label("yes", exact=True).check()
        page.get_by_label("Comment: your reasoning").fill("Staging tests passed, metrics look good")
        page.get_by_label("Confidence, from 0 to 1").fill("0.9")
        page.get_by_role("button", name="Vote", exact=True).click()
        page.get_by_role("status").wait_for()
        page.screenshot(path=str(DOCS / "proposal-page.png"), full_page=True)
        page.goto(f"/milestones/{ms['id']}")
        page.locator("svg.graph").screenshot(path=str(DOCS / "milestone-graph.png"))
        browser.close()
    services.close()


if __name__ == "__main__":
    main()
