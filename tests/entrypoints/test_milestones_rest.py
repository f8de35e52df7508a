"""The milestone routes over HTTP: status codes, bodies, and the error shape for every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.bootstrap import build_services
from accord.entrypoints.rest import create_app
from tests.support import World


class Http:
    def __init__(self, client: TestClient, world: World) -> None:
        self.client, self.world = client, world

    def __call__(self, who: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.world.tokens[who]}"}
        response = self.client.request(method, f"/v1{path}", json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def error(self, who: str, method: str, path: str, body: Any = None, status: int = 409) -> str:
        data = self(who, method, path, body, status)
        assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "details"}
        message: str = data["error"]["message"]
        return message


@pytest.fixture
def http(sqlite_url: str) -> Iterator[Http]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("team", ["a1", "a2"])
    world.group("humans", {"alice": {"kind": "human"}, "a1": {}})
    yield Http(TestClient(create_app(services, with_web=False)), world)
    services.close()


def test_create_read_change_and_complete(http: Http) -> None:
    body = {
        "group": "team",
        "title": "Ship Feature X",
        "project_id": "proj_q1",
        "checkpoints": [
            {"title": "Design"},
            {"title": "Build", "depends_on": [1], "git_branch_url": "https://github.com/org/repo/tree/x"},
            {"title": "Deploy", "depends_on": ["2"], "requires_consensus": {"group": "humans"}},
        ],
    }
    m = http("a1", "POST", "/milestones", body, status=201)
    ms = m["id"]
    assert [cp["status"] for cp in m["checkpoints"]] == ["ready", "blocked", "blocked"]
    assert m["checkpoints"][2]["consensus"]["group"] == "humans" and m["checkpoints"][2]["depends_on"] == [2]
    assert [x["id"] for x in http("a2", "GET", "/milestones?project_id=proj_q1&status=active")] == [ms]
    assert http("a2", "GET", "/milestones?group=team&status=closed") == []
    assert http("a2", "GET", f"/milestones/{ms}")["checkpoints"][1]["git_branch_url"].endswith("/tree/x")

    added = http(
        "a2", "POST", f"/milestones/{ms}/checkpoints", {"title": "Review", "position": 3, "depends_on": [2]}, 201
    )
    assert added["checkpoint"]["order"] == 3 and added["progress"]["total"] == 4
    patched = http("a1", "PATCH", f"/milestones/{ms}/checkpoints/3", {"git_pr_url": "https://github.com/o/r/pull/1"})
    assert patched["checkpoint"]["git_pr_url"] == "https://github.com/o/r/pull/1"
    assert http("a1", "DELETE", f"/milestones/{ms}/checkpoints/3")["deleted"]["title"] == "Review"

    assert http("a1", "POST", f"/milestones/{ms}/checkpoints/1/complete")["unblocked"] == [2]
    message = http.error("a1", "POST", f"/milestones/{ms}/checkpoints/3/complete")
    assert message == "depends on checkpoint 2 which is pending"
    http("a2", "POST", f"/milestones/{ms}/checkpoints/2/complete")
    pid = m["checkpoints"][2]["proposal_id"]
    assert http.error("a1", "POST", f"/milestones/{ms}/checkpoints/3/complete").startswith(
        f"consensus proposal {pid} is not yet approved"
    )
    http("alice", "POST", f"/proposals/{pid}/votes", {"vote": "yes"}, 201)
    http("alice", "POST", f"/proposals/{pid}/finalize")
    done = http("a2", "POST", f"/milestones/{ms}/checkpoints/3/complete")
    assert done["milestone_closed"] is True
    again = http("a2", "POST", f"/milestones/{ms}/checkpoints/3/complete")
    assert again["already_completed"] is True
    reopened = http("a1", "POST", f"/milestones/{ms}/reopen")
    assert reopened["status"] == "active" and reopened["reopened"] is True


def test_refusals_have_the_error_shape_and_status(http: Http) -> None:
    ms = http("a1", "POST", "/milestones", {"group": "team", "title": "M", "checkpoints": [{"title": "a"}]}, 201)["id"]
    cases: list[tuple[str, str, Any, int, str]] = [
        (
            "POST",
            "/milestones",
            {"title": "M", "group": "team", "checkpoints": [{"title": "a", "depends_on": [1]}]},
            422,
            "checkpoint 1 cannot depend on itself",
        ),
        (
            "POST",
            "/milestones",
            {"title": "M", "group": "team", "checkpoints": [{"title": "a", "colour": "x"}]},
            422,
            "colour",
        ),
        ("POST", "/milestones", {"title": "M", "group": "nope", "checkpoints": []}, 404, "group nope not found"),
        ("GET", "/milestones/ms_nope", None, 404, "milestone ms_nope not found"),
        ("GET", "/milestones?status=done", None, 422, "status 'done' is not allowed"),
        ("POST", f"/milestones/{ms}/checkpoints", {"title": "b", "position": 9}, 422, "position 9 is out of range"),
        ("PATCH", f"/milestones/{ms}/checkpoints/1", {"git_pr_url": "ftp://x"}, 422, "use an http or https URL"),
        ("PATCH", f"/milestones/{ms}/checkpoints/1", {"depends_on": [1]}, 422, "cannot depend on itself"),
        ("PATCH", f"/milestones/{ms}/checkpoints/x", {"title": "t"}, 422, "order"),
        ("DELETE", f"/milestones/{ms}/checkpoints/2", None, 404, f"checkpoint 2 not found in {ms}"),
        ("POST", f"/milestones/{ms}/checkpoints/7/complete", None, 404, "checkpoint 7 not found"),
    ]
    for method, path, body, status, text in cases:
        assert text in http.error("a1", method, path, body, status), (method, path)
    assert http.error("alice", "GET", f"/milestones/{ms}", status=404) == f"milestone {ms} not found"
    assert http.client.get(f"/v1/milestones/{ms}").status_code == 401
    assert http("a1", "GET", f"/milestones/{ms}")["progress"] == {"completed": 0, "total": 1}
