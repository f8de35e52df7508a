"""Ranking by drag and by buttons at a phone's width, and seed 000's deployment approval from the human side."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accord.domain.errors import ConflictError
from tests.browser.conftest import shot, sign_in
from tests.support import World
from tests.web.server import LiveServer

pytestmark = pytest.mark.browser

OPTIONS = ["Dark mode", "Mobile app", "API v2", "SSO"]


def test_a_ranked_ballot_by_buttons_numbers_and_drag_at_phone_width(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    world.group("product", {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}, "dave": {}})
    pid = world.api("bob").create_proposal("product", "Q2 feature priority", voting_type="ranked", options=OPTIONS)[
        "id"
    ]
    world.api("bob").cast_vote(pid, "API v2,SSO,Dark mode,Mobile app")
    world.api("carol").cast_vote(pid, "SSO,API v2,Mobile app,Dark mode")
    world.api("dave").cast_vote(pid, "Dark mode,API v2,SSO,Mobile app")
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, world.tokens["alice"])
    page.goto(f"/proposals/{pid}")

    ranking = page.locator("[data-ranking]")
    page.get_by_role("button", name="Move API v2 up").click()
    page.get_by_role("button", name="Move API v2 up").click()
    expect(page.get_by_role("button", name="Move API v2 up")).to_be_focused()  # keyboard users stay in place
    expect(page.get_by_label("API v2", exact=True)).to_have_value("1")
    page.get_by_label("Dark mode", exact=True).fill("2")
    page.get_by_label("Dark mode", exact=True).press("Tab")  # a typed number re-sorts the list
    items = ranking.locator("li label")
    expect(items).to_have_text(["API v2", "Dark mode", "Mobile app", "SSO"])
    ranking.locator("li", has_text="SSO").drag_to(
        ranking.locator("li", has_text="Mobile app"), target_position={"x": 20, "y": 4}
    )
    expect(items).to_have_text(["API v2", "Dark mode", "SSO", "Mobile app"])
    expect(page.get_by_label("SSO", exact=True)).to_have_value("3")
    expect(page.get_by_label("Mobile app", exact=True)).to_have_value("")
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
    ballot = next(b for b in world.api("alice").get_proposal(pid)["votes"] if b["voter"] == "alice")
    assert ballot["vote"] == ["API v2", "Dark mode", "SSO"]

    rounds = page.locator("table.rounds")
    expect(rounds.locator("thead th").nth(0)).to_have_text("Option")
    assert rounds.locator("thead th").count() >= 3, "no first-round majority: the count runs several rounds"
    expect(rounds.locator("td.eliminated").first).to_contain_text("eliminated")
    expect(page.locator(".outcome .result")).to_have_text("API v2")
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the proposal page scrolls sideways at a phone's width"
    shot(page, "proposal-phone")


def milestone(world: World) -> tuple[str, str]:
    world.group(
        "platform-team",
        {"alice": {"kind": "human", "role": "owner"}, "hank": {"kind": "human"}, "deployer": {}},
    )
    created = world.api("deployer").create_milestone(
        "v2.0 Release",
        group="platform-team",
        checkpoints=[
            {"title": "Feature freeze"},
            {"title": "QA signoff", "depends_on": [1]},
            {"title": "Deploy to staging", "depends_on": [2]},
            {"title": "Staging verification", "depends_on": [3]},
            {"title": "Deploy to production", "depends_on": [4], "requires_consensus": True},
        ],
    )
    return created["id"], created["checkpoints"][4]["proposal_id"]


def vote_yes(page: Page, comment: str) -> None:
    page.get_by_label("yes", exact=True).check()
    page.get_by_label("Comment: your reasoning").fill(comment)
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")


def test_seed_000_humans_approve_the_production_deployment(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    ms, approval = milestone(world)
    agent = world.api("deployer")
    for order in (1, 2, 3):
        agent.complete_checkpoint(ms, order)
    agent.update_checkpoint(ms, 3, git_pr_url="https://git.example/acme/app/pull/42")

    alice = context.new_page()
    sign_in(alice, world.tokens["alice"])
    expect(alice.get_by_role("link", name="Approve checkpoint: Deploy to production")).to_be_visible()
    alice.get_by_role("link", name="Milestones").click()
    alice.get_by_role("link", name="v2.0 Release").click()
    expect(alice.locator(".progress-line")).to_contain_text("3 of 5")
    graph = alice.locator("svg.graph")
    expect(graph.locator("a.node")).to_have_count(5)
    expect(graph.locator("a.node.completed")).to_have_count(3)
    expect(graph.locator(".edge")).to_have_count(4)
    checkpoint4 = alice.locator("#checkpoint-4")
    expect(checkpoint4.locator(".badge")).to_have_text("ready")
    expect(alice.locator("#checkpoint-3").get_by_role("link", name="pull request")).to_have_attribute(
        "href", "https://git.example/acme/app/pull/42"
    )
    alice.locator("#checkpoint-3").wait_for()
    time.sleep(0.3)  # the page's event stream connects

    # The agent finishes step 4: the page shows it without a reload; step 5 now waits for the humans.
    agent.complete_checkpoint(ms, 4)
    expect(checkpoint4.locator(".badge")).to_have_text("completed", timeout=1000)
    checkpoint5 = alice.locator("#checkpoint-5")
    expect(checkpoint5.locator(".badge")).to_have_text("awaiting consensus")
    expect(graph.locator("a.node.awaiting_consensus")).to_have_count(1)
    with pytest.raises(ConflictError, match=f"consensus proposal {approval} is not yet approved"):
        agent.complete_checkpoint(ms, 5)
    shot(alice, "milestone")

    checkpoint5.get_by_role("link", name=approval).click()
    expect(alice.get_by_role("heading", name="Approve checkpoint: Deploy to production", level=1)).to_be_visible()
    vote_yes(alice, "Staging looks good")

    hank = context.browser.new_context(base_url=alice.url.split("/proposals")[0]) if context.browser else None
    assert hank is not None
    try:
        hank_page = hank.new_page()
        sign_in(hank_page, world.tokens["hank"])
        waiting = hank_page.locator("section[aria-labelledby=q-vote]")
        waiting.get_by_role("link", name="Approve checkpoint: Deploy to production").click()
        vote_yes(hank_page, "Metrics are green")
    finally:
        hank.close()

    expect(alice.locator('table.tally tr[data-option="yes"] [data-count]')).to_have_text("2", timeout=1000)
    expect(alice.get_by_test_id("finalize-state")).to_contain_text("Can be finalized now", timeout=3000)
    alice.get_by_role("button", name="Finalize", exact=True).click()
    expect(alice.locator("#decision .decision-text")).to_have_text("yes")
    expect(alice.locator("#decision")).to_contain_text("REACHED")

    alice.get_by_role("link", name="Milestones").click()
    alice.get_by_role("link", name="v2.0 Release").click()
    expect(alice.locator("#checkpoint-5 .badge")).to_have_text("ready")
    time.sleep(0.3)
    agent.complete_checkpoint(ms, 5)  # only after approval can the agent deploy
    expect(alice.locator("#checkpoint-5 .badge")).to_have_text("completed", timeout=1000)
    expect(alice.locator(".progress-line")).to_contain_text(re.compile(r"closed\s+5 of 5"))
    expect(graph.locator("a.node.completed")).to_have_count(5)
    shot(alice, "milestone-done")
