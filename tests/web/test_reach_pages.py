"""Sign-in links and the Notifications settings page on the web (SPEC §11)."""

from __future__ import annotations

from accord.clock import FixedClock
from tests.web.conftest import Site
from tests.web.server import csrf_in
from tests.web.test_accessibility import audit

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"


def link_token(site: Site, member: str, next_path: str) -> str:
    return site.services.signin_links.mint_now(member, next_path).rsplit("/", 1)[1]


def test_a_links_get_shows_a_button_and_consumes_nothing_its_post_signs_in_once(site: Site) -> None:
    gate = site.world.api("bob").gate_request("deploy", group="backend-team")
    token = link_token(site, "alice", f"/gates/{gate['request_id']}")
    client = site.client()
    for _ in range(2):  # a mail scanner's GET, then the human's
        shown = client.get(f"/signin/link/{token}")
        assert shown.status_code == 200
        assert "Sign in as alice</button>" in shown.text
    signed = client.post(f"/signin/link/{token}", data={"csrf": csrf_in(shown.text)})
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/gates/{gate['request_id']}"
    landed = client.get(signed.headers["location"])
    assert landed.status_code == 200 and "Signed in as <strong>alice</strong>" in landed.text
    again = site.client()
    refused = again.get(f"/signin/link/{token}")
    assert refused.status_code == 401
    assert "this sign-in link was already used at" in refused.text
    post = again.post(f"/signin/link/{token}", data={"csrf": csrf_in(again.get("/signin").text)})
    assert post.status_code == 401 and "Signed in as" not in post.text


def test_a_link_post_without_the_pages_csrf_token_signs_nobody_in_and_keeps_the_link(site: Site) -> None:
    token = link_token(site, "alice", "/")
    client = site.client()
    forged = client.post(f"/signin/link/{token}", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert site.services.signin_links.peek(token)["member"] == "alice"


def test_an_expired_or_forged_link_says_why(site: Site, clock: FixedClock) -> None:
    token = link_token(site, "alice", "/")
    clock.advance(15 * 60)
    client = site.client()
    assert "this sign-in link expired at" in client.get(f"/signin/link/{token}").text
    forged = client.get("/signin/link/not-a-link")
    assert forged.status_code == 401 and "this sign-in link is not valid" in forged.text


def test_the_notifications_page_adds_lists_masked_and_removes_channels_and_sets_the_time_zone(site: Site) -> None:
    client = site.client("alice")
    shown = client.get("/settings/notifications")
    assert shown.status_code == 200 and "No channels yet" in shown.text
    csrf = csrf_in(shown.text)
    added = client.post(
        "/settings/notifications/channels",
        data={"csrf": csrf, "url": SLACK, "events": ["vote.requested", "gate.decided"]},
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"]).text
    assert "The channel is added" in page
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in page and "slack://" in page
    assert "vote.requested, gate.decided" in page
    (channel,) = site.world.api("alice").list_channels("alice")["channels"]
    bad = client.post("/settings/notifications/channels", data={"csrf": csrf, "url": "windows://"})
    assert bad.status_code == 422 and "url scheme &#39;windows&#39; is not allowed" in bad.text
    zone = client.post("/settings/notifications/time-zone", data={"csrf": csrf, "time_zone": "Europe/Paris"})
    assert zone.status_code == 303
    assert site.world.api("alice").list_channels("alice")["time_zone"] == "Europe/Paris"
    wrong = client.post("/settings/notifications/time-zone", data={"csrf": csrf, "time_zone": "Mars/Base"})
    assert wrong.status_code == 422 and "is not an IANA time zone name" in wrong.text
    removed = client.post(f"/settings/notifications/channels/{channel['id']}/remove", data={"csrf": csrf})
    assert removed.status_code == 303
    assert site.world.api("alice").list_channels("alice")["channels"] == []


def test_the_reach_pages_label_their_fields_and_carry_no_inline_code(site: Site) -> None:
    site.world.api("alice").add_channel("alice", SLACK)
    client = site.client("alice")
    fields = {f["name"] for f in audit(client.get("/settings/notifications").text, "notifications").fields}
    assert {"url", "events", "time_zone"} <= fields
    anonymous = site.client()
    audit(anonymous.get(f"/signin/link/{link_token(site, 'alice', '/')}").text, "sign-in link")
    audit(anonymous.get("/signin/link/not-a-link").text, "refused sign-in link")
