"""In a real browser: a gate in the human's queue, voted on its page; the requester's close button on a live gate
page; and a milestone of a 1,200-checkpoint dependency chain."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import ARTIFACTS, shot, sign_in
from tests.support import World
from tests.web.server import LiveServer

pytestmark = pytest.mark.browser


def team(world: World) -> None:
    world.group(
        "platform-team",
        {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}, "deployer": {}},
    )


def test_a_gate_waits_in_the_queue_and_is_voted_on_its_page(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    team(world)
    gid = world.api("deployer").gate_request(
        "deploy api", {"version": "2.0", "env": "production"}, group="platform-team", timeout_seconds=5400
    )["id"]
    page = context.new_page()
    sign_in(page, world.tokens["alice"])
    waiting = page.locator("section", has=page.locator("#q-vote"))
    item = waiting.locator("li.gate-item")
    expect(item).to_have_count(1)
    expect(item.locator("a.title")).to_have_text("Gate on deploy api")
    expect(item).to_contain_text("requested by deployer")
    expect(item).to_contain_text('"env": "production"')
    expect(item.locator(".left")).to_have_text(re.compile(r"\(1 h (29|30) min left\)"))  # the real clock runs
    shot(page, "queue-with-gate")
    item.locator("a.title").click()
    expect(page).to_have_url(f"{server.url}/gates/{gid}")
    expect(page.get_by_test_id("payload")).to_contain_text('"version": "2.0"')
    page.get_by_label("yes: approve").check()
    page.get_by_label("Comment: your reason").fill("Staging is green")
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
    expect(page.locator("li.vote[data-voter=alice] blockquote")).to_have_text("Staging is green")
    assert world.api("deployer").gate_tally(gid)["tally"]["yes"] == 1
    page.goto("/")
    expect(page.locator("section", has=page.locator("#q-vote")).locator("li.gate-item")).to_have_count(0)


def test_the_requester_closes_an_approved_gate_from_its_live_page(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    team(world)
    gid = world.api("alice").gate_request("release notes", {"tag": "v2.0"}, group="platform-team")["id"]
    page = context.new_page()
    sign_in(page, world.tokens["alice"])
    page.goto(f"/gates/{gid}")
    expect(page.get_by_test_id("gate-status")).to_have_text("pending")
    expect(page.get_by_role("button", name="Vote")).to_have_count(0)  # the requester never votes
    close = page.get_by_role("button", name="Close the gate")
    expect(close).to_be_visible()
    for voter in ("bob", "carol"):
        world.api(voter).gate_vote(gid, "yes", comment=f"{voter} agrees")
    # The count follows the votes live, without a reload.
    expect(page.locator("#live .outcome .badge")).to_have_text("approved")
    expect(page.locator("li.vote[data-voter=carol] blockquote")).to_have_text("carol agrees")
    page.reload()
    expect(page.locator("#close")).to_contain_text("Closing freezes the result as it stands now: approved")
    page.get_by_role("button", name="Close the gate").click()
    expect(page.get_by_role("status")).to_contain_text("The gate is closed")
    expect(page.get_by_test_id("gate-status")).to_have_text("approved")
    expect(page.get_by_role("button", name="Close the gate")).to_have_count(0)
    shot(page, "gate-closed")
    closed = world.api("deployer").gate_tally(gid)
    assert (closed["status"], closed["closed"], closed["closed_by"]) == ("approved", True, "alice")


def test_a_1200_checkpoint_chain_renders_as_a_graph(world: World, server: LiveServer, context: BrowserContext) -> None:
    team(world)
    steps: list[dict[str, Any]] = [{"title": "Step 1"}]
    steps += [{"title": f"Step {i}", "depends_on": [i - 1]} for i in range(2, 1201)]
    ms = world.api("deployer").create_milestone("Long chain", group="platform-team", checkpoints=steps)["id"]
    page = context.new_page()
    context.set_default_timeout(20000)
    sign_in(page, world.tokens["alice"])
    response = page.goto(f"/milestones/{ms}")
    assert response is not None and response.status == 200
    nodes = page.locator("svg.graph .node")
    expect(nodes).to_have_count(1200)
    expect(page.locator("svg.graph path.edge")).to_have_count(1199)
    last = page.locator('svg.graph [aria-label="Step 1200: blocked"]')
    last.scroll_into_view_if_needed()
    expect(last).to_be_visible()
    first = page.locator('svg.graph [aria-label="Step 1: ready"]').bounding_box()
    end = last.bounding_box()
    assert first is not None and end is not None and end["y"] - first["y"] > 1000 * 58
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "long-chain-end.png"))  # the viewport: the whole page is 125,000 px tall
