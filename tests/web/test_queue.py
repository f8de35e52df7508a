"""My queue: what waits for my vote, escalations, what is ready to finalize, the rest of the open work."""

from __future__ import annotations

from accord.clock import FixedClock
from tests.web.conftest import Site


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_the_queue_lists_what_waits_for_my_vote_soonest_deadline_first(site: Site, clock: FixedClock) -> None:
    api = site.world.api("bob")
    later = api.create_proposal("backend-team", "Later", deadline_hours=5)["id"]
    sooner = api.create_proposal("backend-team", "Sooner", deadline_hours=1)["id"]
    voted = api.create_proposal("backend-team", "Already voted")["id"]
    site.world.api("alice").cast_vote(voted, "yes")
    guarded = api.create_proposal("backend-team", "deploy api", subject="deploy api")["id"]
    html = site.client("alice").get("/").text
    waiting = section(html, "q-vote")
    assert waiting.index(sooner) < waiting.index(later)
    assert guarded in waiting and voted not in waiting
    assert "2026-01-01 13:00 UTC" in waiting and "(1 h left)" in waiting
    assert "0 of 3 voted" in waiting
    assert voted in section(html, "q-open")


def test_closed_votes_move_to_ready_to_finalize(site: Site, clock: FixedClock) -> None:
    pid = site.world.api("bob").create_proposal("backend-team", "Deadline passes", deadline_hours=1)["id"]
    clock.advance(hours=2)
    html = site.client("alice").get("/").text
    assert pid not in section(html, "q-vote")
    finalize = section(html, "q-fin")
    assert pid in finalize and "(closed 1 h ago)" in finalize


def test_escalations_wait_for_a_human_owner(site: Site) -> None:
    api = site.world.api("bob")
    pid = api.create_proposal(
        "backend-team", "Which DB?", voting_type="single", options=["Postgres", "Dynamo"], on_no_consensus=["escalate"]
    )["id"]
    api.cast_vote(pid, "Postgres")
    site.world.api("carol").cast_vote(pid, "Dynamo")
    site.world.api("alice").cast_vote(pid, "abstain")  # everyone voted: a tie
    assert api.finalize_proposal(pid)["status"] == "escalated"
    alice = section(site.client("alice").get("/").text, "q-esc")
    assert pid in alice and "you can resolve it" in alice
    carol = section(site.client("carol").get("/").text, "q-esc")
    assert pid in carol and "waiting for a human owner or admin" in carol


def test_an_empty_queue_says_so(site: Site) -> None:
    html = site.client("olga").get("/").text
    assert "Nothing waits for your vote." in html
    assert "No escalations in your groups." in html


def test_a_settled_vote_is_ready_to_finalize_before_everyone_voted(site: Site) -> None:
    """SPEC §2.5: 2 yes of 3 under majority cannot be overturned by the last voter."""
    pid = site.world.api("bob").create_proposal("backend-team", "Settled early")["id"]
    site.world.api("bob").cast_vote(pid, "yes")
    site.world.api("carol").cast_vote(pid, "yes")
    html = site.client("alice").get("/").text
    assert pid in section(html, "q-vote")  # alice may still vote
    carol = site.client("carol").get("/").text
    assert pid in section(carol, "q-fin")
    open_vote = site.world.api("bob").create_proposal("backend-team", "Still open")["id"]
    site.world.api("bob").cast_vote(open_vote, "yes")
    site.world.api("carol").cast_vote(open_vote, "no")
    assert open_vote in section(site.client("carol").get("/").text, "q-open")  # alice decides it
