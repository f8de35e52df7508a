"""SPEC §9 rev. 2 through the official MCP client: every tool has a title, annotations as the SPEC lists them, an
output schema its results follow, and a description (and where it applies an enum or range) for every parameter."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from accord.bootstrap import Services, build_services
from tests.entrypoints import mcp_tour
from tests.support import World

READ_ONLY = {"whoami", "gate_tally", "check_inbox", "peek_message", "gate_verify", "verify_receipt", "wait_proposal"}
# gate_list is a listing like list_*: the SPEC's list predates it (it is read-only; see the report).
READ_ONLY_TOO = {"gate_list"}
DESTRUCTIVE = {"cancel_proposal", "delete_checkpoint", "finalize_proposal", "gate_close"}
OPEN_WORLD = {"add_channel", "add_webhook"}


@pytest.fixture(scope="module")
def toured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Any], mcp_tour.Results]]:
    from accord.storage.migrate import upgrade

    path = tmp_path_factory.mktemp("tour") / "accord.db"
    services: Services = build_services(f"sqlite:///{path}")
    upgrade(services.ctx.engine)
    world = World(services)
    mcp_tour.seed(world)
    yield asyncio.run(mcp_tour.tour(services, world))
    services.close()


def test_every_tool_has_a_title_annotations_an_output_schema_and_described_parameters(
    toured: tuple[list[Any], mcp_tour.Results],
) -> None:
    tools, _ = toured
    problems = []
    for tool in tools:
        if not tool.title:
            problems.append(f"{tool.name}: no title")
        if tool.annotations is None or tool.annotations.title != tool.title:
            problems.append(f"{tool.name}: no annotations")
        schema = tool.output_schema
        if not schema or schema.get("type") != "object" or not schema.get("properties"):
            problems.append(f"{tool.name}: no output schema with properties")
        for name, parameter in tool.input_schema.get("properties", {}).items():
            if not parameter.get("description"):
                problems.append(f"{tool.name}.{name}: no description")
    assert problems == []


def test_annotations_are_exactly_the_specs(toured: tuple[list[Any], mcp_tour.Results]) -> None:
    tools, _ = toured
    for tool in tools:
        hints = tool.annotations
        assert hints is not None
        read_only = tool.name in READ_ONLY | READ_ONLY_TOO or tool.name.startswith(("get_", "list_"))
        assert hints.read_only_hint is read_only, tool.name
        assert hints.open_world_hint is (tool.name in OPEN_WORLD), tool.name
        if not read_only:
            assert hints.destructive_hint is (tool.name in DESTRUCTIVE), tool.name
            assert isinstance(hints.idempotent_hint, bool), tool.name
    by_name = {t.name: t.annotations for t in tools}
    assert by_name["complete_checkpoint"].idempotent_hint is True
    assert by_name["redeem_receipt"].idempotent_hint is False
    assert by_name["gate_wait"].read_only_hint is False  # it may close the gate
    assert by_name["recv_message"].read_only_hint is False  # it consumes


def test_inputs_carry_enums_and_ranges(toured: tuple[list[Any], mcp_tour.Results]) -> None:
    tools, _ = toured
    schema = {t.name: t.input_schema["properties"] for t in tools}
    assert schema["gate_vote"]["vote"]["enum"] == ["yes", "no", "abstain"]
    assert schema["list_proposals"]["limit"] == {**schema["list_proposals"]["limit"], "minimum": 1, "maximum": 500}
    assert schema["wait_proposal"]["timeout"]["maximum"] == 3600
    voting = [b for b in schema["create_proposal"]["voting_type"]["anyOf"] if b.get("type") == "string"]
    assert voting[0]["enum"] == ["yes_no", "single", "ranked", "verdict"]
    confidence = [b for b in schema["cast_vote"]["confidence"]["anyOf"] if b.get("type") == "number"]
    assert (confidence[0]["minimum"], confidence[0]["maximum"]) == (0, 1)


def test_every_tool_was_called_and_its_result_follows_its_output_schema(
    toured: tuple[list[Any], mcp_tour.Results],
) -> None:
    tools, results = toured
    assert {t.name for t in tools} == set(results), "the tour must call every tool"
    for tool in tools:
        for result in results[tool.name]:
            jsonschema_rs.validate(tool.output_schema, result)
