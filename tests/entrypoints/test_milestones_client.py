"""AccordClient's milestone methods: the same operations over HTTP, with the same results and errors."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

from accord.api import Api
from accord.api.milestones import MilestoneApi
from accord.bootstrap import build_services
from accord.client import AccordClient
from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from accord.entrypoints.rest import create_app
from tests.support import World, live_server


@pytest.fixture
def remote(sqlite_url: str) -> Iterator[tuple[AccordClient, World]]:
    services = build_services(sqlite_url)
    world = World(services)
    world.group("team", ["a1"])
    with (
        live_server(create_app(services, with_mcp=False, with_web=False)) as url,
        AccordClient(url, world.tokens["a1"]) as client,
    ):
        yield client, world
    services.close()


def test_the_client_offers_every_milestone_operation_with_the_same_arguments() -> None:
    for name, op in inspect.getmembers(MilestoneApi, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = inspect.signature(op)
        theirs = inspect.signature(getattr(AccordClient, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == [p.default for p in theirs.parameters.values()]


def test_milestone_round_trip(remote: tuple[AccordClient, World]) -> None:
    client, world = remote
    m = client.create_milestone("Ship", ["Design", {"title": "Build", "depends_on": [1]}], project_id="p1")
    ms = m["id"]
    assert m["group"] == "team" and m["checkpoints"][1]["depends_on"] == [1]
    assert [x["id"] for x in client.list_milestones(project_id="p1", status="active")] == [ms]
    with pytest.raises(ConflictError, match=r"^depends on checkpoint 1 which is pending$"):
        client.complete_checkpoint(ms, 2)
    added = client.add_checkpoint(ms, "Review", position=2, depends_on=[1], requires_consensus=False)
    assert added["checkpoint"]["order"] == 2
    client.update_checkpoint(ms, 3, git_pr_url="https://github.com/o/r/pull/1", depends_on=[1, 2])
    with pytest.raises(ValidationError, match="cycle: 2 → 3 → 2"):
        client.update_checkpoint(ms, 2, depends_on=[3])
    assert client.delete_checkpoint(ms, 3)["deleted"]["title"] == "Build"
    client.complete_checkpoint(ms, 1)
    assert client.complete_checkpoint(ms, 2)["milestone_closed"] is True
    assert client.reopen_milestone(ms)["reopened"] is True
    with pytest.raises(NotFoundError, match="milestone ms_nope not found"):
        client.get_milestone("ms_nope")
    # The same view as the local operations give.
    local = Api(world.services, world.services.identity.authenticate(world.tokens["a1"]))
    assert client.get_milestone(ms) == local.get_milestone(ms)
