"""The milestones pages: progress, the server-drawn dependency graph, completing a checkpoint, visibility."""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

from accord.entrypoints.web.graph import NODE_H, NODE_W, layout
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
    assert external.key == f"{ms['id']}:1" and external.href == f"/milestones/{ms['id']}"
    assert external.title == "Code complete" and external.sub == "v2.0 Release #1"
    assert other.nodes[-1].y > external.y


def test_cross_milestone_checkpoints_are_named_by_title_only_for_those_who_may_see_them(site: Site) -> None:
    site.world.group("platform", {"bob": {}, "pat": {"kind": "human"}})
    ms = release(site)
    platform = site.world.api("bob").create_milestone(
        "Platform", group="platform", checkpoints=[{"title": "Cluster", "depends_on": [f"{ms['id']}:2"]}]
    )
    seen = site.world.api("bob").get_milestone(platform["id"])["external"]
    assert seen == [
        {
            "ref": f"{ms['id']}:2",
            "milestone_id": ms["id"],
            "order": 2,
            "completed": False,
            "title": "Tests passing",
            "milestone_title": "v2.0 Release",
        }
    ]
    hidden = site.world.api("pat").get_milestone(platform["id"])["external"]
    assert hidden[0]["title"] is None and hidden[0]["milestone_title"] is None
    page = site.client("pat").get(f"/milestones/{platform['id']}").text
    assert "Tests passing" not in page and "v2.0 Release" not in page and f"{ms['id']}:2" in page
    page = site.client("bob").get(f"/milestones/{platform['id']}").text
    assert 'aria-label="Tests passing (v2.0 Release, not completed): other milestone"' in page
    assert f'<a href="/milestones/{ms["id"]}">Tests passing</a> <span class="quiet">(v2.0 Release, #2)</span>' in page


def test_a_long_edge_is_routed_around_the_nodes_between(site: Site) -> None:
    ms = site.world.api("bob").create_milestone(
        "Skip",
        group="backend-team",
        checkpoints=[{"title": "A"}, {"title": "B", "depends_on": [1]}, {"title": "C", "depends_on": [1, 2]}],
    )
    graph = layout(site.world.api("bob").get_milestone(ms["id"]))
    b = next(n for n in graph.nodes if n.key == "2")
    long_edge = graph.edges[1].path  # 1 -> 3 (edges: 1->2, 1->3, 2->3) passes 2's layer through a bend beside it
    bends = [tuple(float(v) for v in p.split(",")) for p in long_edge.replace("M", " ").replace("C", " ").split()]
    beside = [(x, y) for x, y in bends if b.y <= y <= b.y + NODE_H]
    assert beside and all(not b.x <= x <= b.x + NODE_W for x, _ in beside)


def test_a_1200_checkpoint_chain_is_laid_out_without_recursion(site: Site) -> None:
    steps: list[dict[str, Any]] = [{"title": "Step 1"}]
    steps += [{"title": f"Step {i}", "depends_on": [i - 1]} for i in range(2, 1201)]
    ms = site.world.api("bob").create_milestone("Long chain", group="backend-team", checkpoints=steps)
    milestone = site.world.api("bob").get_milestone(ms["id"])
    drawn: list[Any] = []

    def lay_out() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(150)  # far below the chain's depth: any recursion on depth fails here
        try:
            drawn.append(layout(milestone))
        finally:
            sys.setrecursionlimit(limit)

    worker = threading.Thread(target=lay_out)
    worker.start()
    worker.join()
    graph = drawn[0]
    assert len(graph.nodes) == 1200 and len(graph.edges) == 1199
    ys = [n.y for n in sorted(graph.nodes, key=lambda n: int(n.key))]
    assert ys == sorted(ys) and len(set(ys)) == 1200  # each step one row below the one it depends on
    response = site.client("alice").get(f"/milestones/{ms['id']}")
    assert response.status_code == 200
    assert response.text.count('class="node ') == 1200 and 'aria-label="Step 1200: blocked"' in response.text


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
