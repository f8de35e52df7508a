"""The milestones pages: progress, the server-drawn dependency graph, completing a checkpoint, visibility."""

from __future__ import annotations

import re
from typing import Any

from accord.entrypoints.web.graph import NODE_H, layout
from tests.web.conftest import Site
from tests.web.server import csrf_in
from tests.web.test_accessibility import audit


def release(site: Site) -> dict[str, Any]:
    milestone: dict[str, Any] = site.world.api("bob").create_milestone(
        "v2.0 Release",
        group="backend-team",
        checkpoints=[
            {"title": "Code complete"},
            {"title": "Tests passing", "depends_on": [1]},
            {"title": "Docs", "depends_on": [1]},
            {"title": "Security review", "depends_on": [2, 3]},
            {"title": "Deploy to production", "depends_on": [4], "requires_consensus": True},
        ],
    )
    return milestone


def test_the_graph_puts_each_checkpoint_below_its_dependencies(site: Site) -> None:
    ms = release(site)
    backend = site.world.api("bob").create_milestone(
        "Backend", group="backend-team", checkpoints=[{"title": "API", "depends_on": [f"{ms['id']}:1"]}]
    )
    graph = layout(site.world.api("bob").get_milestone(ms["id"]))
    rows = {n.key: n.y for n in graph.nodes}
    assert rows["1"] < rows["2"] == rows["3"] < rows["4"] < rows["5"]
    assert len(graph.edges) == 5
    assert graph.height > 4 * NODE_H
    other = layout(site.world.api("bob").get_milestone(backend["id"]))
    external = next(n for n in other.nodes if n.status == "external")
    assert external.key == f"{ms['id']}:1" and external.href == ""
    assert other.nodes[-1].y > external.y


def test_the_milestone_page_shows_progress_graph_links_and_approval(site: Site) -> None:
    ms = release(site)
    api = site.world.api("bob")
    api.complete_checkpoint(ms["id"], 1)
    api.update_checkpoint(ms["id"], 2, git_branch_url="https://git.example/acme/app/tree/tests")
    client = site.client("alice")
    listing = client.get("/milestones").text
    assert "v2.0 Release" in listing and '<progress value="1" max="5"' in listing
    html = client.get(f"/milestones/{ms['id']}").text
    audit(html, "milestone")
    assert "1 of 5</strong> checkpoints completed" in html
    assert html.count('class="node ') == 5 and html.count('class="edge ') == 5
    assert 'class="node completed" aria-label="Code complete: completed"' in html
    assert 'aria-label="Tests passing: ready"' in html and 'aria-label="Security review: blocked"' in html
    assert '<a href="https://git.example/acme/app/tree/tests" rel="noopener noreferrer">branch</a>' in html
    approval = ms["checkpoints"][4]["proposal_id"]
    assert f'<a href="/proposals/{approval}">{approval}</a>: vote open' in html
    assert f'data-live="/milestones/{ms["id"]}/live"' in html
    assert html.count("Mark completed</button>") == 2  # checkpoints 2 and 3 are ready


def test_completing_a_checkpoint_by_form_and_the_refusal_when_it_is_blocked(site: Site) -> None:
    ms = release(site)
    client = site.client("alice")
    page = client.get(f"/milestones/{ms['id']}").text
    csrf = csrf_in(page)
    before = site.events()
    blocked = client.post(f"/milestones/{ms['id']}/checkpoints/4/complete", data={"csrf": csrf})
    assert blocked.status_code == 409
    assert re.findall(r'class="error" role="alert">([^<]+)<', blocked.text) == [
        "depends on checkpoint 2 which is pending (also pending: 3)"
    ]
    assert client.post(f"/milestones/{ms['id']}/checkpoints/2/complete", data={}).status_code == 403
    assert site.events() == before
    bad = client.post(f"/milestones/{ms['id']}/checkpoints/two/complete", data={"csrf": csrf})
    assert bad.status_code == 422 and "Input should be a valid integer" in bad.text
    done = client.post(f"/milestones/{ms['id']}/checkpoints/1/complete", data={"csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"/milestones/{ms['id']}?done=complete#checkpoint-1"
    assert "The checkpoint is completed." in client.get(done.headers["location"]).text
    assert site.world.api("bob").get_milestone(ms["id"])["checkpoints"][0]["completed_by"] == "alice"


def test_a_member_of_another_group_gets_404_for_a_milestone(site: Site) -> None:
    ms = release(site)
    olga = site.client("olga")
    for path in (f"/milestones/{ms['id']}", f"/milestones/{ms['id']}/live"):
        response = olga.get(path)
        assert response.status_code == 404
        assert "v2.0 Release" not in response.text
    response = olga.post(f"/milestones/{ms['id']}/checkpoints/1/complete", data={"csrf": csrf_in(olga.get("/").text)})
    assert response.status_code == 404
    assert "v2.0 Release" not in olga.get("/milestones").text
    assert site.world.api("bob").get_milestone(ms["id"])["progress"]["completed"] == 0
