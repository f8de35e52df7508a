"""The human's queue with gates, escalations, consultations and completion gates; the gate, consultation,
completion-gate and inbox pages (SPEC §5, §6, §4.2, §7, §9)."""

from __future__ import annotations

import html
import re

from accord.clock import FixedClock
from tests.web.conftest import Site
from tests.web.server import csrf_in
from tests.web.test_accessibility import audit
from tests.web.test_queue import section


def errors_in(page: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'class="error" role="alert"[^>]*>([^<]+)<', page)]


def test_the_queue_lists_a_gate_waiting_for_my_vote_with_subject_requester_payload_and_time_left(
    site: Site, clock: FixedClock
) -> None:
    bob = site.world.api("bob")
    gid = bob.gate_request("deploy api", {"version": "2.0", "env": "prod"}, group="backend-team", timeout_seconds=5400)[
        "id"
    ]
    pid = bob.create_proposal("backend-team", "Later", deadline_hours=2)["id"]
    queue = site.client("alice").get("/").text
    audit(queue, "queue")
    waiting = section(queue, "q-vote")
    assert waiting.index(gid) < waiting.index(pid)  # the gate times out first
    assert f'href="/gates/{gid}">Gate on <code>deploy api</code>' in waiting
    assert "requested by <strong>bob</strong>" in waiting
    assert "{&#34;env&#34;: &#34;prod&#34;, &#34;version&#34;: &#34;2.0&#34;}" in waiting
    assert "(1 h 30 min left)" in waiting and "0 of 2 voted" in waiting
    # The requester sees its own request apart, and never as waiting for its own vote.
    mine = site.client("bob").get("/").text
    assert gid not in section(mine, "q-vote") and gid in section(mine, "q-mine")
    site.world.api("alice").gate_vote(gid, "yes")
    site.world.api("carol").gate_vote(gid, "yes")
    assert "close it to act" in section(site.client("bob").get("/").text, "q-mine")
    assert gid not in section(site.client("alice").get("/").text, "q-vote")
    listed = site.client("alice").get("/proposals").text
    assert f'<a href="/gates/{gid}">Gate on <code>deploy api</code></a>' in listed and "your vote is awaited" in listed
    clock.advance(seconds=5401)  # timed out: off every list of open work
    assert gid not in site.client("bob").get("/").text


def test_the_queue_lists_consultations_flagged_for_humans_and_completion_gates_waiting_for_me(site: Site) -> None:
    bob = site.world.api("bob")
    cid = bob.create_consultation("backend-team", "Storage", questions={"ARCH-001": "Which DB?"})["id"]
    for member, text in (("bob", "postgres"), ("carol", "dynamo")):
        item = {"question_id": "ARCH-001", "answer": text, "confidence": 0.9, "rationale": "load"}
        site.world.api(member).submit_contribution(cid, [item])
    cg = bob.create_completion_gate("backend-team", "Release notes", ["alice", "bob"], 2, 60, 30, 120)["id"]
    bob.signal_completion(cg, "complete")
    queue = site.client("alice").get("/").text
    consultations = section(queue, "q-cons")
    assert f'href="/consultations/{cid}">Storage</a>' in consultations and "flagged: ARCH-001" in consultations
    completions = section(queue, "q-done")
    assert (
        f'href="/completion-gates/{cg}">Release notes</a>' in completions and "1 of 2 completions (bob)" in completions
    )
    assert cg not in site.client("bob").get("/").text.split('id="q-done"')[1].split("<section")[0]
    unread = section(queue, "q-inbox")
    assert "Storage" in unread  # the consultation's REQUEST and the gate's NOTICE are in alice's inbox


def test_the_gate_page_takes_a_vote_and_offers_the_requester_its_close_button(site: Site) -> None:
    bob = site.world.api("bob")
    gid = bob.gate_request("deploy api", {"version": "2.0"}, group="backend-team")["id"]
    alice = site.client("alice")
    page = alice.get(f"/gates/{gid}").text
    audit(page, "gate")
    assert '<pre class="payload" data-testid="payload">{\n  &#34;version&#34;: &#34;2.0&#34;\n}</pre>' in page
    assert f'action="/gates/{gid}/vote"' in page and f'action="/gates/{gid}/close"' not in page
    assert f'data-live="/gates/{gid}/live"' in page
    voted = alice.post(f"/gates/{gid}/vote", data={"csrf": csrf_in(page), "vote": "yes", "comment": "tests pass"})
    assert (voted.status_code, voted.headers["location"]) == (303, f"/gates/{gid}?done=vote#votes")
    bad = alice.post(f"/gates/{gid}/vote", data={"csrf": csrf_in(page), "vote": "maybe"})
    assert bad.status_code == 422 and errors_in(bad.text) == [
        "vote 'maybe' is not allowed on a gate: use yes, no or abstain"
    ]
    not_mine = alice.post(f"/gates/{gid}/close", data={"csrf": csrf_in(page)})
    assert not_mine.status_code == 403
    assert errors_in(not_mine.text) == [f"alice may not close {gid}: only its requester bob may act on its approval"]
    requester = site.client("bob")
    mine = requester.get(f"/gates/{gid}").text
    assert f'action="/gates/{gid}/close"' in mine and f'action="/gates/{gid}/vote"' not in mine
    assert "Closing freezes the result as it stands now: <strong>rejected</strong>" in mine
    site.world.api("carol").gate_vote(gid, "yes")
    mine = requester.get(f"/gates/{gid}").text
    assert "Closing freezes the result as it stands now: <strong>approved</strong>" in mine
    closed = requester.post(f"/gates/{gid}/close", data={"csrf": csrf_in(mine)})
    assert (closed.status_code, closed.headers["location"]) == (303, f"/gates/{gid}?done=close")
    after = requester.get(closed.headers["location"]).text
    assert "The gate is closed" in after and f'action="/gates/{gid}/close"' not in after
    receipt = site.world.api("bob").gate_wait(gid, timeout=0)["receipt"]
    assert f'<textarea id="receipt" class="receipt" readonly rows="4">{receipt}</textarea>' in after
    assert 'data-copy="receipt">Copy receipt</button>' in after
    assert 'id="receipt"' not in alice.get(f"/gates/{gid}").text  # a voter does not get the requester's receipt
    audit(after, "closed gate")
    assert site.world.api("bob").gate_tally(gid)["closed"] is True
    assert site.client("olga").get(f"/gates/{gid}").status_code == 404
    listing = alice.get("/gates?status=closed").text
    audit(listing, "gates")
    assert f'href="/gates/{gid}"><code>deploy api</code>' in listing


def test_the_consultation_page_shows_the_synthesis_and_takes_an_answer(site: Site) -> None:
    bob = site.world.api("bob")
    cid = bob.create_consultation("backend-team", "Storage", questions={"ARCH-001": "Which DB?", "ARCH-002": "Cache?"})[
        "id"
    ]
    for member, text in (("bob", "postgres"), ("carol", "dynamo")):
        item = {"question_id": "ARCH-001", "answer": text, "confidence": 0.9, "rationale": f"{member} says"}
        site.world.api(member).submit_contribution(cid, [item])
    alice = site.client("alice")
    page = alice.get(f"/consultations/{cid}").text
    audit(page, "consultation")
    assert '<span class="badge consensus-split">split</span>' in page and "critical conflict" in page
    assert "escalated to humans" in page and "<strong>bob</strong> (0.9): bob says" in page
    assert "not answered yet: ARCH-002" in page
    form = {"csrf": csrf_in(page), "question_id": "ARCH-001", "answer": "postgres", "confidence": "1", "rationale": ""}
    refused = alice.post(f"/consultations/{cid}/answer", data=form)
    assert refused.status_code == 422 and errors_in(refused.text)
    answered = alice.post(f"/consultations/{cid}/answer", data={**form, "rationale": "we run it already"})
    assert answered.status_code == 303
    view = site.world.api("alice").get_consultation(cid)
    assert view["questions"][0]["answer"] == "postgres" and "alice" in view["contributed"]
    assert site.client("olga").get(f"/consultations/{cid}").status_code == 404


def test_the_completion_gate_page_takes_signals(site: Site) -> None:
    cg = site.world.api("bob").create_completion_gate("backend-team", "Notes", ["alice", "bob"], 2, 60, 30, 120)["id"]
    alice = site.client("alice")
    page = alice.get(f"/completion-gates/{cg}").text
    audit(page, "completion gate")
    assert "0 of 2</strong> completions" in page and 'value="needs_revision"' in page
    done = alice.post(f"/completion-gates/{cg}/signal", data={"csrf": csrf_in(page), "signal": "complete"})
    assert (done.status_code, done.headers["location"]) == (303, f"/completion-gates/{cg}?done=complete")
    bad = alice.post(f"/completion-gates/{cg}/signal", data={"csrf": csrf_in(page), "signal": "done"})
    assert bad.status_code == 422 and errors_in(bad.text)
    carol = site.client("carol")
    refused = carol.post(
        f"/completion-gates/{cg}/signal", data={"csrf": csrf_in(carol.get("/").text), "signal": "complete"}
    )
    assert refused.status_code == 403 and errors_in(refused.text)
    site.world.api("bob").signal_completion(cg, "complete")
    closed = alice.get(f"/completion-gates/{cg}").text
    assert "consensus complete" in closed and 'value="needs_revision"' not in closed


def test_the_inbox_page_links_each_message_to_its_item_and_offers_replies_and_task_actions(site: Site) -> None:
    bob = site.world.api("bob")
    gid = bob.gate_request("deploy api", group="backend-team")["id"]
    task = bob.send_message("alice", "Rotate the keys", "backend-team", type="TASK", subject="keys")["id"]
    alice = site.client("alice")
    page = alice.get("/inbox").text
    audit(page, "inbox")
    assert f'<a href="/gates/{gid}">Open the gate</a>' in page
    assert f'action="/inbox/{task}/claim"' in page
    assert site.world.api("alice").check_inbox(unread_only=True)  # reading the page consumed nothing
    gate_note = next(m for m in site.world.api("alice").check_inbox() if (m["payload"] or {}).get("request_id") == gid)
    read = alice.post(f"/inbox/{gate_note['id']}/read", data={"csrf": csrf_in(page)})
    assert read.status_code == 303
    assert gate_note["id"] not in [m["id"] for m in site.world.api("alice").check_inbox(unread_only=True)]
    claimed = alice.post(f"/inbox/{task}/claim", data={"csrf": csrf_in(page)})
    assert claimed.status_code == 303
    page = alice.get("/inbox").text
    completed = alice.post(f"/inbox/{task}/complete", data={"csrf": csrf_in(page), "response": "rotated"})
    assert completed.status_code == 303
    again = alice.post(f"/inbox/{task}/claim", data={"csrf": csrf_in(page)})
    assert again.status_code == 409 and errors_in(again.text)
    reply = {
        "csrf": csrf_in(page),
        "to": "bob",
        "group": "backend-team",
        "type": "RESPONSE",
        "content": "ok",
        "reply_to": task,
    }
    assert alice.post("/inbox/send", data=reply).status_code == 303
    got = site.world.api("bob").recv_message(type="RESPONSE", subject=None)
    assert got is not None and got["content"] == "rotated"  # the task's completion answered first
    second = site.world.api("bob").recv_message(type="RESPONSE")
    assert second is not None and second["content"] == "ok" and second["payload"] == {"request_id": task}
    nobody = alice.post("/inbox/send", data={**reply, "to": "zed"})
    assert nobody.status_code in (404, 422) and errors_in(nobody.text)
