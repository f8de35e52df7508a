"""Issue 12's path in a real browser: an agent requests a gate, the human's SMTP mailbox receives the notice, its
sign-in link lands the human signed in on the gate page, the yes vote lets the agent's `accord gate wait` exit 0,
and the used link is refused a second time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import shot
from tests.reach_receivers import mailbox
from tests.support import World, free_port
from tests.web.server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def reaching_server(world: World, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """`accord serve` with its outbox worker, telling people at its own address, allowed to mail 127.0.0.1."""
    port = free_port()
    monkeypatch.setenv("ACCORD_PUBLIC_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ACCORD_ALLOW_PRIVATE_TARGETS", "1")
    with live_server(sqlite_url, port) as server:
        yield server


def accord(server: LiveServer, token: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ACCORD_URL": server.url, "ACCORD_TOKEN": token}
    return subprocess.Popen(
        [sys.executable, "-m", "accord", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_the_mailed_sign_in_link_lets_the_human_approve_the_agents_gate_once(
    world: World, reaching_server: LiveServer, browser: Browser
) -> None:
    world.group("platform-team", {"alice": {"kind": "human", "role": "owner"}, "deployer": {}})
    with mailbox() as box:
        world.services.ctx.allow_private_targets = True
        world.api("alice").add_channel("alice", box.url("alice@example.com"))
        request = accord(reaching_server, world.tokens["deployer"], "gate", "request", "deploy api", '{"v": "2.0"}')
        out, err = request.communicate(timeout=60)
        assert request.returncode == 0, err
        request_id = out.strip().split()[-1]
        waiting = accord(reaching_server, world.tokens["deployer"], "gate", "wait", "deploy api", "--timeout", "120")
        try:
            (mail,) = box.wait_for(1, timeout=60)
            assert mail.subject == "[Accord] Your vote is requested: gate: deploy api"
            link = mail.signin_link
            assert link.startswith(f"{reaching_server.url}/signin/link/")
            context = browser.new_context(timezone_id="Europe/Paris", viewport={"width": 1100, "height": 900})
            context.set_default_timeout(10000)
            page = context.new_page()
            page.goto(link)
            button = page.get_by_role("button", name="Sign in as alice")
            expect(button).to_be_visible()
            shot(page, "signin-link")
            button.click()
            expect(page).to_have_url(f"{reaching_server.url}/gates/{request_id}")
            expect(page.locator("header.top")).to_contain_text("Signed in as alice")
            page.get_by_label("yes: approve").check()
            page.get_by_role("button", name="Vote", exact=True).click()
            expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
            out, err = waiting.communicate(timeout=60)
            assert waiting.returncode == 0, (out, err)
            again = browser.new_context()
            second = again.new_page()
            second.goto(link)
            expect(second.get_by_role("alert")).to_contain_text("this sign-in link was already used at")
            expect(second.get_by_role("button", name="Sign in as alice")).to_have_count(0)
            again.close()
            context.close()
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.communicate()
