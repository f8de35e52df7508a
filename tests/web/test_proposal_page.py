"""The proposal page: what it shows, voting by form, refusals with the API's own words, finalize, cancel."""

from __future__ import annotations

import re
from typing import Any

from accord.clock import FixedClock
from tests.web.conftest import Site
from tests.web.server import csrf_in


def errors_in(html: str) -> list[str]:
    return re.findall(r'class="error" role="alert"[^>]*>([^<]+)<', html)


def deploy(site: Site, **spec: Any) -> str:
    fields: dict[str, Any] = {"threshold_type": "two_thirds", "description": "Staging is green.\nShip it?"}
    fields.update(spec)
    proposal: dict[str, Any] = site.world.api("bob").create_proposal("backend-team", "Deploy v2.0?", **fields)
    return str(proposal["id"])


def test_the_page_shows_the_question_its_rules_voters_and_votes(site: Site) -> None:
    pid = deploy(site, deadline_hours=2)
    site.world.api("carol").cast_vote(pid, "no", comment="Missing <rollback> plan", confidence=0.7)
    html = site.client("alice").get(f"/proposals/{pid}").text
    assert '<h1 id="p-title">Deploy v2.0?</h1>' in html
    assert "Staging is green.\nShip it?" in html
    assert "two thirds: ≥ 66.7%" in html
    assert "2026-01-01 14:00 UTC" in html and "(2 h left)" in html  # UTC fallback and time left
    for voter in ("alice", "bob", "carol"):
        assert f"<strong>{voter}</strong>" in html
    assert "Missing &lt;rollback&gt; plan" in html  # comments are escaped, never markup
    assert "confidence 0.7" in html
    assert 'data-live="/proposals/' + pid + '/live"' in html
    assert 'action="/proposals/' + pid + '/vote"' in html
    assert 'action="/proposals/' + pid + '/finalize"' in html  # alice owns the group


def test_voting_by_form_records_the_vote_comment_and_confidence(site: Site) -> None:
    pid = deploy(site)
    client = site.client("alice")
    csrf = csrf_in(client.get(f"/proposals/{pid}").text)
    response = client.post(
        f"/proposals/{pid}/vote",
        data={"csrf": csrf, "vote": "yes", "comment": "Metrics look good", "confidence": "0.8", "evidence": "a\n\nb"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/proposals/{pid}?done=vote#votes"
    ballot = site.world.api("alice").get_proposal(pid)["votes"][0]
    assert ballot["voter"] == "alice" and ballot["vote"] == "yes"
    assert ballot["comment"] == "Metrics look good" and ballot["confidence"] == 0.8
    assert ballot["evidence"] == ["a", "b"]
    page = client.get(response.headers["location"]).text
    assert "Your vote is recorded." in page
    assert "Change your vote" in page
    assert re.search(r'value="yes" checked', page)  # the form shows the current vote


def test_a_ranked_ballot_comes_from_the_rank_numbers(site: Site) -> None:
    options = ["Dark mode", "Mobile app", "API v2", "SSO"]
    pid = site.world.api("bob").create_proposal("backend-team", "Q2", voting_type="ranked", options=options)["id"]
    client = site.client("alice")
    csrf = csrf_in(client.get(f"/proposals/{pid}").text)
    data = {"csrf": csrf, "rank-0": "3", "rank-1": "", "rank-2": "1", "rank-3": " 2 "}
    assert client.post(f"/proposals/{pid}/vote", data=data).status_code == 303
    assert site.world.api("alice").get_proposal(pid)["votes"][0]["vote"] == ["API v2", "SSO", "Dark mode"]
    page = client.get(f"/proposals/{pid}").text
    assert re.search(r'id="rank-2" name="rank-2"[^>]*value="1"', page)
    assert "Instant runoff, round by round" in page


def test_bad_rank_numbers_are_refused_naming_the_problem_and_nothing_is_written(site: Site) -> None:
    pid = site.world.api("bob").create_proposal("backend-team", "Q2", voting_type="ranked", options=["A", "B", "C"])[
        "id"
    ]
    client = site.client("alice")
    csrf = csrf_in(client.get(f"/proposals/{pid}").text)
    before = site.events()
    cases = {
        "rank 1 is given to both A and B: give each option its own rank": {"rank-0": "1", "rank-1": "1"},
        "the rank of B must be a whole number from 1 to 3 (or blank), got '4'": {"rank-1": "4"},
        "the rank of C must be a whole number from 1 to 3 (or blank), got 'first'": {"rank-2": "first"},
        "a ranked vote must rank at least one option": {},
    }
    for message, ranks in cases.items():
        response = client.post(f"/proposals/{pid}/vote", data={"csrf": csrf, **ranks})
        assert response.status_code == 422
        assert errors_in(response.text) == [message.replace("'", "&#39;")]
        assert 'value="' + ranks.get("rank-2", "") + '"' in response.text  # what was typed is kept
    assert site.events() == before
    assert site.world.api("alice").get_proposal(pid)["votes"] == []


def test_refusals_show_the_api_message_and_write_nothing(site: Site, clock: FixedClock) -> None:
    unanimous = site.world.api("bob").create_proposal("backend-team", "Migrate?", threshold_type="unanimous")["id"]
    late = deploy(site, deadline_hours=1)
    client = site.client("alice")
    csrf = csrf_in(client.get(f"/proposals/{unanimous}").text)
    before = site.events()
    cases = [
        ({"vote": "abstain"}, 422, "abstain is not allowed under unanimous"),
        ({"vote": "maybe"}, 422, "unknown option &#39;maybe&#39;: allowed options are yes, no"),
        ({"vote": ""}, 422, "vote must be one of yes, no"),
        ({"vote": "yes", "confidence": "1.5"}, 422, "confidence"),
        ({"vote": "yes", "comment": "x" * 5000}, 422, "comment is 5000 characters; at most 4096 allowed"),
        # SPEC §13: bounded before any conversion, and no NUL in any text
        ({"vote": "yes", "confidence": "1e10000000"}, 422, "confidence must be a decimal number of at most 32"),
        ({"vote": "yes", "comment": "a\x00b"}, 422, "comment must be valid Unicode text without NUL characters"),
    ]
    for data, status, message in cases:
        response = client.post(f"/proposals/{unanimous}/vote", data={"csrf": csrf, **data})
        assert response.status_code == status
        [shown] = errors_in(response.text)
        assert message in shown
    clock.advance(hours=2)
    response = client.post(f"/proposals/{late}/vote", data={"csrf": csrf, "vote": "yes"})
    assert response.status_code == 409
    assert errors_in(response.text) == ["voting closed at 2026-01-01T13:00:00+00:00"]
    assert 'action="/proposals/' + late + '/vote"' not in response.text  # no vote form after the deadline
    assert site.events() == before
    assert site.world.api("alice").get_proposal(unanimous)["votes"] == []


def test_a_vote_without_the_csrf_token_is_refused_and_nothing_is_written(site: Site) -> None:
    pid = deploy(site)
    client = site.client("alice")
    before = site.events()
    for data in ({"vote": "yes"}, {"vote": "yes", "csrf": "forged"}):
        response = client.post(f"/proposals/{pid}/vote", data=data)
        assert response.status_code == 403
        assert "CSRF check failed" in response.text
    assert site.events() == before
    assert site.world.api("alice").get_proposal(pid)["votes"] == []


def test_a_member_of_another_group_gets_404_everywhere(site: Site) -> None:
    pid = deploy(site)
    olga = site.client("olga")
    csrf = csrf_in(olga.get("/").text)
    before = site.events()
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/live"):
        response = olga.get(path)
        assert response.status_code == 404
        assert f"proposal {pid} not found" in response.text
        assert "Deploy v2.0?" not in response.text
    for action in ("vote", "finalize", "cancel"):
        response = olga.post(f"/proposals/{pid}/{action}", data={"csrf": csrf, "vote": "yes"})
        assert response.status_code == 404
        assert f"proposal {pid} not found" in response.text
    assert site.events() == before
    assert olga.get("/proposals?group=backend-team").status_code == 404
    assert "Deploy v2.0?" not in olga.get("/proposals").text
    assert "Deploy v2.0?" not in olga.get("/").text


def test_finalizing_shows_the_decision_with_dissent_and_mitigation(site: Site) -> None:
    pid = deploy(site)
    site.world.api("bob").cast_vote(pid, "yes", comment="Staging passed")
    site.world.api("carol").cast_vote(pid, "no", comment="Missing rollback plan", confidence=0.6)
    client = site.client("alice")
    csrf = csrf_in(client.get(f"/proposals/{pid}").text)
    client.post(f"/proposals/{pid}/vote", data={"csrf": csrf, "vote": "yes"})
    response = client.post(f"/proposals/{pid}/finalize", data={"csrf": csrf, "mitigation": "Rollback doc by Friday"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/proposals/{pid}?done=finalize"
    page = client.get(response.headers["location"]).text
    assert "The proposal is finalized." in page
    decision = page[page.index('id="decision"') : page.index('id="live"')]
    assert 'class="badge outcome-passed">passed<' in decision
    assert 'Decision: <strong class="decision-text">yes</strong>' in decision
    assert "Consensus: REACHED (66.7% threshold met)" in decision
    assert "<strong>carol</strong> preferred no (confidence 0.6): Missing rollback plan" in decision
    assert '<dt>Mitigation</dt><dd class="text">Rollback doc by Friday</dd>' in decision
    assert "## Decision Record" in decision  # the Markdown, to copy
    assert "Final tally" in page
    assert 'action="/proposals/' + pid + '/vote"' not in page
    assert 'action="/proposals/' + pid + '/finalize"' not in page


def test_a_voter_who_may_not_finalize_yet_sees_no_button_and_gets_the_api_refusal(site: Site) -> None:
    pid = deploy(site)
    client = site.client("carol")
    page = client.get(f"/proposals/{pid}").text
    assert 'action="/proposals/' + pid + '/finalize"' not in page
    assert "Not yet: 3 of 3 eligible voters have not voted and could change the outcome" in page
    before = site.events()
    response = client.post(f"/proposals/{pid}/finalize", data={"csrf": csrf_in(page)})
    assert response.status_code == 409
    assert errors_in(response.text) == [
        f"proposal {pid} cannot be finalized yet: 3 of 3 eligible voters have not voted and could change the "
        "outcome; it can be finalized when they have voted, after the deadline, or once the outcome is settled"
    ]
    assert site.events() == before


def test_a_settled_vote_gives_every_voter_the_finalize_button(site: Site) -> None:
    pid = deploy(site)
    site.world.api("bob").cast_vote(pid, "yes")
    site.world.api("alice").cast_vote(pid, "yes")  # 2 of 3 under two thirds: carol's no cannot change it
    client = site.client("carol")
    page = client.get(f"/proposals/{pid}").text
    assert "Can be finalized now: settled as passed (yes)" in page
    response = client.post(f"/proposals/{pid}/finalize", data={"csrf": csrf_in(page)})
    assert response.status_code == 303
    assert site.world.api("carol").get_proposal(pid)["outcome"] == "passed"


def test_an_owner_forces_with_a_rationale_and_it_fails_closed(site: Site) -> None:
    pid = deploy(site)
    site.world.api("bob").cast_vote(pid, "yes")
    owner = site.client("alice")
    page = owner.get(f"/proposals/{pid}").text
    assert 'class="card force-form"' in page and "Force finalize" in page
    assert 'class="card force-form"' not in site.client("bob").get(f"/proposals/{pid}").text  # the creator may not
    before = site.events()
    missing = owner.post(f"/proposals/{pid}/finalize", data={"csrf": csrf_in(page), "force": "yes", "rationale": " "})
    assert missing.status_code == 422
    assert errors_in(missing.text) == ["rationale is required with force"]
    bob = site.client("bob")
    forbidden = bob.post(
        f"/proposals/{pid}/finalize", data={"csrf": csrf_in(bob.get("/").text), "force": "yes", "rationale": "now"}
    )
    assert forbidden.status_code == 403
    assert errors_in(forbidden.text) == [f"bob may not force {pid}: only group owners/admins may"]
    assert site.events() == before
    data = {"csrf": csrf_in(page), "force": "yes", "rationale": "The release window closes tonight"}
    response = owner.post(f"/proposals/{pid}/finalize", data=data)
    assert response.status_code == 303 and response.headers["location"] == f"/proposals/{pid}?done=force"
    done = owner.get(response.headers["location"]).text
    assert "The proposal is finalized by force (fail-closed)." in done
    assert 'class="badge outcome-rejected">rejected<' in done  # 1 yes of 3 is not settled: it cannot pass
    assert "Forced - alice\nThe release window closes tonight" in done
    assert "<dt>Forced</dt>" in done


def test_cancel_by_the_creator(site: Site) -> None:
    pid = deploy(site)
    client = site.client("bob")
    page = client.get(f"/proposals/{pid}").text
    response = client.post(f"/proposals/{pid}/cancel", data={"csrf": csrf_in(page)})
    assert response.status_code == 303
    assert site.world.api("bob").get_proposal(pid)["status"] == "cancelled"
    assert "The proposal is cancelled." in client.get(response.headers["location"]).text


def test_the_proposals_list_filters_by_group_and_status(site: Site) -> None:
    pid = deploy(site)
    other = site.world.api("bob").create_proposal(
        "backend-team", "Which cache?", voting_type="single", options=["Redis", "Valkey"]
    )
    site.world.api("bob").cancel_proposal(other["id"])
    client = site.client("alice")
    everything = client.get("/proposals").text
    assert "Deploy v2.0?" in everything and "Which cache?" in everything
    open_only = client.get("/proposals?status=open&group=backend-team").text
    assert f'href="/proposals/{pid}"' in open_only and "Which cache?" not in open_only
    bad = client.get("/proposals?status=closed")
    assert bad.status_code == 422
    assert "status &#39;closed&#39; is not allowed: use open, escalated, finalized or cancelled" in bad.text


def escalated(site: Site) -> str:
    api = site.world.api("bob")
    pid: str = api.create_proposal(
        "backend-team", "Which DB?", voting_type="single", options=["Postgres", "Dynamo"], on_no_consensus=["escalate"]
    )["id"]
    api.cast_vote(pid, "Postgres", comment="Joins")
    site.world.api("carol").cast_vote(pid, "Dynamo", comment="Scale")
    site.world.api("alice").cast_vote(pid, "abstain")  # everyone voted: a tie
    assert api.finalize_proposal(pid)["status"] == "escalated"
    return pid


def test_a_human_owner_resolves_an_escalation_and_reads_the_record(site: Site) -> None:
    pid = escalated(site)
    client = site.client("alice")
    page = client.get(f"/proposals/{pid}").text
    assert "Escalated to humans" in page
    assert 'action="/proposals/' + pid + '/resolve"' in page
    csrf = csrf_in(page)
    before = site.events()
    missing = client.post(f"/proposals/{pid}/resolve", data={"csrf": csrf, "decision": "Postgres", "rationale": " "})
    assert missing.status_code == 422
    assert errors_in(missing.text) == ["CONS-002: rationale is required: say why the humans decided this"]
    assert "Postgres" in missing.text and 'value="Postgres" checked' in missing.text
    assert site.events() == before
    data = {"csrf": csrf, "decision": "Postgres", "rationale": "We know it well", "mitigation": "Shard later"}
    response = client.post(f"/proposals/{pid}/resolve", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/proposals/{pid}?done=resolve#decision"
    record = client.get(response.headers["location"]).text
    assert "Your decision is recorded." in record
    assert "Human decision - alice\nWe know it well" in record
    assert "<strong>carol</strong> preferred Dynamo (confidence 1): Scale" in record


def test_only_a_human_owner_of_the_group_sees_and_may_use_the_resolve_form(site: Site) -> None:
    pid = escalated(site)
    for name in ("carol", "bob"):
        page = site.client(name).get(f"/proposals/{pid}").text
        assert 'action="/proposals/' + pid + '/resolve"' not in page
    carol = site.client("carol")
    response = carol.post(
        f"/proposals/{pid}/resolve",
        data={"csrf": csrf_in(carol.get("/").text), "decision": "Dynamo", "rationale": "mine"},
    )
    assert response.status_code == 403
    assert errors_in(response.text) == [
        f"carol may not resolve {pid}: only a human owner/admin of group backend-team may"
    ]
    assert site.world.api("carol").get_proposal(pid)["status"] == "escalated"


def test_a_gate_at_its_proposal_address_goes_to_its_own_page(site: Site) -> None:
    gate = site.world.api("bob").gate_request("deploy api", {"version": "2.0"}, group="backend-team")
    gid = gate["request_id"]
    client = site.client("alice")
    moved = client.get(f"/proposals/{gid}")
    assert (moved.status_code, moved.headers["location"]) == (303, f"/gates/{gid}")
    page = client.get(f"/gates/{gid}").text
    assert "Gate on <code>deploy api</code>" in page and "pending" in page
    assert 'name="confidence"' not in page  # a gate ballot is yes, no or abstain with a comment
    assert "/finalize" not in page
    # The old vote address still takes a gate ballot by the gate's rules, and lands on the gate's page.
    response = client.post(f"/proposals/{gid}/vote", data={"csrf": csrf_in(page), "vote": "yes", "comment": "Go"})
    assert (response.status_code, response.headers["location"]) == (303, f"/gates/{gid}?done=vote#votes")
    assert site.world.api("alice").gate_tally(gid)["tally"]["yes"] == 1
    bob = site.client("bob")
    refused = bob.post(f"/proposals/{gid}/vote", data={"csrf": csrf_in(bob.get("/").text), "vote": "yes"})
    assert refused.status_code == 403
    assert "the requester may not vote on its own gate" in refused.text


def test_the_decision_record_shows_the_signed_receipt_with_a_copy_button(site: Site) -> None:
    pid = deploy(site)
    for voter in ("alice", "bob", "carol"):
        site.world.api(voter).cast_vote(pid, "yes")
    receipt = site.world.api("alice").finalize_proposal(pid)["receipt"]
    html = site.client("carol").get(f"/proposals/{pid}").text
    assert '<label for="receipt">Decision receipt</label>' in html
    assert f'<textarea id="receipt" class="receipt" readonly rows="4">{receipt}</textarea>' in html
    assert '<button type="button" class="copy" data-copy="receipt">Copy receipt</button>' in html
    assert 'href="/.well-known/jwks.json"' in html
