"""A human in a real browser: sign in, find the proposal in the queue, vote with a comment, watch the
tally move when agents vote through the API, finalize, and read the decision record."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import shot, sign_in
from tests.support import World
from tests.web.server import LiveServer

pytestmark = pytest.mark.browser

TITLE = "Deploy v2.0 to production?"


def team(world: World) -> str:
    world.group(
        "backend-team",
        {"alice": {"kind": "human", "role": "owner"}, "bob": {}, "carol": {}, "dave": {}, "erin": {}},
    )
    proposal = world.api("bob").create_proposal(
        "backend-team",
        TITLE,
        "Staging has run v2.0 for two days with no errors.\nRollback: redeploy v1.9 from the release branch.",
        threshold_type="two_thirds",
        deadline_hours=2,
    )
    return str(proposal["id"])


def test_a_human_votes_sees_agents_votes_live_finalizes_and_reads_the_record(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    pid = team(world)
    page = context.new_page()
    sign_in(page, world.tokens["alice"])

    waiting = page.locator("section[aria-labelledby=q-vote]")
    expect(waiting.get_by_role("link", name=TITLE)).to_be_visible()
    deadline = waiting.locator("time[data-local]").first
    expect(deadline).not_to_contain_text("UTC")  # shown in the browser's time zone
    assert "America/New_York" in (deadline.get_attribute("title") or "")
    expect(waiting.locator("[data-left]").first).to_contain_text("left")
    shot(page, "queue")

    waiting.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    page.get_by_label("yes", exact=True).check()
    page.get_by_label("Comment: your reasoning").fill("Staging tests passed, metrics look good")
    page.get_by_label("Confidence, from 0 to 1").fill("0.9")
    page.get_by_role("button", name="Vote", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
    yes = page.locator('table.tally tr[data-option="yes"] [data-count]')
    no = page.locator('table.tally tr[data-option="no"] [data-count]')
    expect(yes).to_have_text("1")
    page.locator("#live[data-live]").wait_for()
    time.sleep(0.3)  # let the page's event stream connect before the agents vote

    latencies = []
    for agent, vote, comment, count, expected in [
        ("bob", "yes", "Error budget is healthy", yes, "2"),
        ("carol", "no", "Missing rollback drill", no, "1"),
        ("dave", "yes", "Canary looked clean", yes, "3"),
    ]:
        started = time.monotonic()
        world.api(agent).cast_vote(pid, vote, comment=comment, confidence=0.8)
        expect(count).to_have_text(expected, timeout=1000)  # live, without a reload, within a second
        expect(page.get_by_text(comment)).to_be_visible(timeout=1000)
        latencies.append(time.monotonic() - started)
    print(f"\nlive tally latency after an API vote: {', '.join(f'{t * 1000:.0f} ms' for t in latencies)}")
    expect(page.locator("#votes .count")).to_have_text("4")
    shot(page, "proposal")
    # 3 yes of 5 under two thirds: erin's no would reject it, so it is not settled yet (SPEC §2.5).
    expect(page.get_by_test_id("finalize-state")).to_contain_text("Not yet: 1 of 5 eligible voters")
    expect(page.get_by_role("button", name="Finalize", exact=True)).to_have_count(0)
    world.api("erin").cast_vote(pid, "yes", comment="Ship it")  # closable now: the page shows the button
    expect(page.get_by_test_id("finalize-state")).to_contain_text("Can be finalized now", timeout=3000)

    page.get_by_label("Mitigation (optional)").fill("Rollback drill on Thursday before the release")
    page.get_by_role("button", name="Finalize", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("The proposal is finalized.")
    record = page.locator("#decision")
    expect(record.get_by_role("heading", name="Decision record")).to_be_visible()
    expect(record.locator(".decision-text")).to_have_text("yes")
    expect(record).to_contain_text("Consensus: REACHED (66.7% threshold met)")
    expect(record).to_contain_text("carol preferred no (confidence 0.8): Missing rollback drill")
    expect(record).to_contain_text("Rollback drill on Thursday before the release")
    expect(page.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    shot(page, "decision")
    assert world.api("alice").get_proposal(pid)["outcome"] == "passed"

    receipt = world.api("alice").get_decision_record(pid)["receipt"]
    expect(record.get_by_label("Decision receipt")).to_have_value(receipt)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    record.get_by_role("button", name="Copy receipt").click()
    expect(record.locator(".copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == receipt

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"/proposals/{pid}")
    expect(page.get_by_label("Member token")).to_be_visible()


def test_the_page_follows_a_finalize_made_elsewhere(world: World, server: LiveServer, context: BrowserContext) -> None:
    pid = team(world)
    page = context.new_page()
    sign_in(page, world.tokens["alice"])
    page.goto(f"/proposals/{pid}")
    page.locator("#live[data-live]").wait_for()
    time.sleep(0.3)
    for agent in ("bob", "carol", "dave", "erin"):
        world.api(agent).cast_vote(pid, "yes")
    world.api("bob").finalize_proposal(pid)  # 4 yes of 5: settled, whatever alice says
    # A status change reloads the page: the vote form goes, the decision record comes.
    expect(page.locator("#decision .decision-text")).to_have_text("yes", timeout=3000)
    expect(page.get_by_role("button", name="Vote", exact=True)).to_have_count(0)


def test_forms_work_without_javascript(world: World, server: LiveServer, context: BrowserContext) -> None:
    pid = team(world)
    ctx = context.browser.new_context(base_url=server.url, java_script_enabled=False) if context.browser else None
    assert ctx is not None
    try:
        page = ctx.new_page()
        sign_in(page, world.tokens["alice"])
        page.goto(f"/proposals/{pid}")
        page.get_by_label("no", exact=True).check()
        page.get_by_label("Comment: your reasoning").fill("Without JavaScript")
        page.get_by_role("button", name="Vote", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
        expect(page.locator("time[data-local]").first).to_contain_text("UTC")  # the server-rendered fallback
        page.get_by_label("Rationale (required)").fill("Nobody else will vote before the release")
        page.get_by_role("button", name="Force finalize").click()  # an owner's force: fail-closed
        expect(page.get_by_role("status")).to_have_text("The proposal is finalized by force (fail-closed).")
        expect(page.locator("#decision .decision-text")).to_have_text("no")
    finally:
        ctx.close()
    ballot = world.api("alice").get_proposal(pid)["votes"][0]
    assert ballot["vote"] == "no" and ballot["comment"] == "Without JavaScript"


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_signing_in_and_voting_with_the_keyboard_only(
    world: World, server: LiveServer, context: BrowserContext
) -> None:
    pid = team(world)
    page = context.new_page()
    page.goto("/")
    shot(page, "signin")
    tab_to(page, "#token")
    page.keyboard.type(world.tokens["alice"])
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="My queue").wait_for()
    tab_to(page, f'a[href="/proposals/{pid}"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    tab_to(page, 'input[name="vote"]')
    page.keyboard.press("ArrowDown")  # within the radio group: yes -> no
    expect(page.get_by_label("no", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Rollback plan first")
    tab_to(page, "form.vote-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Your vote is recorded.")
    ballot = world.api("alice").get_proposal(pid)["votes"][0]
    assert ballot["vote"] == "no" and ballot["comment"] == "Rollback plan first"
