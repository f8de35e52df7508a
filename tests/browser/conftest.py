"""Browser tests: Playwright driving Debian's chromium (headless) against a real server on a temp store.

Nothing is downloaded: the tests use /usr/bin/chromium and skip, saying why, when it is absent, unless
ACCORD_REQUIRE_BROWSER=1 (CI), which makes them fail instead. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from accord.bootstrap import build_services
from tests.support import World
from tests.web.server import LiveServer, live_server

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("ACCORD_REQUIRE_BROWSER") == "1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")  # ends its event loop before other modules run asyncio
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE:
            pytest.fail(message + "; ACCORD_REQUIRE_BROWSER=1 makes the browser tests mandatory")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    """The test's own writer on the store: agents acting through the API, as another process would."""
    services = build_services(sqlite_url)
    yield World(services)
    services.close()


@pytest.fixture
def server(world: World, sqlite_url: str) -> Iterator[LiveServer]:
    with live_server(sqlite_url) as s:
        yield s


@pytest.fixture
def context(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (its own cookies) in New York's time zone, at a laptop's width."""
    ctx = browser.new_context(
        base_url=server.url, timezone_id="America/New_York", locale="en-US", viewport={"width": 1100, "height": 900}
    )
    ctx.set_default_timeout(5000)
    yield ctx
    ctx.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, token: str) -> None:
    page.goto("/")
    page.get_by_label("Member token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My queue").wait_for()
