"""Seed 004 (consensus voting skill, dual completion) through the MCP face, as agents would use it.

The weighted PostgreSQL/DynamoDB vote (57.8% / 23.3%, not reached at 0.6, weights denominator), the
microservices vote (66.7%, reached, scores denominator), the decision record, and every path of the
dual-completion pseudocode, with time driven by the fixed clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from accord.bootstrap import build_services
from accord.clock import FixedClock
from accord.entrypoints.mcp import build_mcp
from tests.support import World

NUDGE = "A team member has signaled completion. Please confirm if the task is done."


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    clock = FixedClock(datetime(2026, 1, 23, 9, 0, tzinfo=UTC))
    services = build_services(store_url, clock)
    yield World(services)
    services.close()


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def clients(world: World, names: list[str], stack: AsyncExitStack) -> dict[str, Client]:
    """One MCP client per member, each acting as that member (its token)."""
    return {n: await stack.enter_async_context(Client(build_mcp(world.services, token=world.tokens[n]))) for n in names}


def test_database_vote_not_reached_then_expert_override_and_the_record(world: World) -> None:
    world.group(
        "architects",
        {
            "database-architect": {"weight": 2.0, "expertise": ["databases"]},
            "security-architect": {"weight": 1.0},
            "devops": {"weight": 1.5},
        },
    )
    votes = [
        ("database-architect", "PostgreSQL", "Strong ACID guarantees, mature ecosystem", 0.9),
        ("security-architect", "PostgreSQL", "Better encryption at rest, audit logging", 0.8),
        ("devops", "DynamoDB", "Managed service, auto-scaling", 0.7),
    ]

    async def run() -> None:
        async with AsyncExitStack() as stack:
            agents = await clients(world, ["admin", *(v[0] for v in votes)], stack)
            p = await call(
                agents["admin"],
                "create_proposal",
                group="architects",
                title="Which database to use for the new service",
                voting_type="single",
                options=["PostgreSQL", "MongoDB", "DynamoDB"],
                min_votes=3,
                threshold_type="custom",
                threshold=0.6,
                weighted=True,
                domain="databases",
                on_no_consensus=["expert_override"],
            )
            for name, vote, rationale, confidence in votes:
                await call(
                    agents[name], "cast_vote", proposal_id=p["id"], vote=vote, comment=rationale, confidence=confidence
                )
            live = await call(agents["devops"], "get_proposal", proposal_id=p["id"])
            assert live["shares"] == {"PostgreSQL": 0.5778, "MongoDB": 0.0, "DynamoDB": 0.2333}
            assert (live["threshold_met"], live["outcome"], live["support"]["PostgreSQL"]) == (
                False,
                "no_consensus",
                2.6,
            )
            done = await call(
                agents["admin"],
                "finalize_proposal",
                proposal_id=p["id"],
                mitigation="Will use managed PostgreSQL (RDS) to reduce operational burden.",
            )
            assert (done["result"], done["outcome"], done["threshold_met"]) == ("PostgreSQL", "passed", False)
            assert done["resolution"] == {
                "method": "expert_override",
                "expert": "database-architect",
                "decision": "PostgreSQL",
            }
            record = await call(agents["devops"], "get_decision_record", proposal_id=p["id"])
            assert (
                "## Decision Record\n### Topic\nWhich database to use for the new service\n### Decision\nPostgreSQL\n"
            ) in record["markdown"]
            assert (
                "### Voting Summary\n- PostgreSQL: 57.8% (2 votes)\n- DynamoDB: 23.3% (1 vote)\n"
                "- Consensus: NOT REACHED (below 60% threshold)\n### Resolution Method\n"
                "Expert override - database-architect (domain expert)\nhad 0.9 confidence in PostgreSQL\n"
                "### Dissenting Opinion\ndevops preferred DynamoDB (confidence 0.7): Managed service, auto-scaling\n"
                "Mitigation: Will use managed PostgreSQL (RDS) to reduce operational burden.\n"
            ) in record["markdown"]
            assert record["markdown"].endswith("### Decision Date\n2026-01-23\n")
            assert {s["option"]: s["ballots"] for s in record["summary"]} == {
                "PostgreSQL": 2,
                "MongoDB": 0,
                "DynamoDB": 1,
            }

    asyncio.run(run())


def test_architecture_vote_reached_with_the_scores_denominator(world: World) -> None:
    world.group("council", {"architect": {"weight": 1.5}, "developer": {"weight": 1.0}, "devops": {"weight": 1.0}})

    async def run() -> None:
        async with AsyncExitStack() as stack:
            agents = await clients(world, ["architect", "developer", "devops"], stack)
            p = await call(
                agents["architect"],
                "create_proposal",
                group="council",
                title="Architecture Style",
                voting_type="single",
                options=["Microservices", "Monolith"],
                preset="weighted",
                threshold=0.6,
                weighted_denominator="scores",
            )
            for name, vote, confidence in (
                ("architect", "Microservices", 0.8),
                ("developer", "Monolith", 0.9),
                ("devops", "Microservices", 0.6),
            ):
                await call(agents[name], "cast_vote", proposal_id=p["id"], vote=vote, confidence=confidence)
            done = await call(
                agents["architect"],
                "finalize_proposal",
                proposal_id=p["id"],
                mitigation="Start with modular monolith, extract services incrementally",
            )
            assert (done["result"], done["threshold_met"], done["shares"]["Microservices"]) == (
                "Microservices",
                True,
                0.6667,
            )
            md = (await call(agents["developer"], "get_decision_record", proposal_id=p["id"]))["markdown"]
            assert "- architect: Microservices (weight 1.5, confidence 0.8)\n" in md
            assert "Microservices: (1.5 * 0.8) + (1.0 * 0.6) = 1.8\nMonolith: (1.0 * 0.9) = 0.9\n" in md
            assert "\nMicroservices: 66.7% → CONSENSUS REACHED\n" in md

    asyncio.run(run())


def completion_world(world: World) -> None:
    world.group("council", ["claude", "gpt", "gemini"])


def test_dual_completion_pseudocode_paths(world: World) -> None:
    completion_world(world)
    clock = world.services.ctx.clock
    assert isinstance(clock, FixedClock)

    async def run() -> None:
        async with AsyncExitStack() as stack:
            m = await clients(world, ["admin", "claude", "gpt", "gemini"], stack)

            async def gate(title: str) -> str:
                g = await call(m["claude"], "create_completion_gate", group="council", title=title,
                               participants=["claude", "gpt", "gemini"])  # fmt: skip
                assert (g["min_completions"], g["window_seconds"], g["nudge_after_seconds"], g["fallback_timeout"]) == (
                    2,
                    60,
                    30,
                    120,
                )
                return str(g["id"])

            # Two completions within the window: CLOSE_SESSION(status: "consensus_complete").
            g1 = await gate("Stage 3 synthesis")
            await call(m["claude"], "signal_completion", gate_id=g1)
            clock.advance(20)
            assert (await call(m["gpt"], "signal_completion", gate_id=g1))["status"] == "consensus_complete"

            # One completion: the nudge after 30 s, then the single-agent fallback after 120 s, with its warning.
            g2 = await gate("Second synthesis")
            await call(m["claude"], "signal_completion", gate_id=g2)
            clock.advance(30)
            assert (await call(m["admin"], "sweep"))["deliberation"]["nudged"] == 1  # sweep: administrators
            inbox = (await call(m["gemini"], "check_inbox"))["messages"]
            assert [x["content"] for x in inbox].count(NUDGE) == 1
            assert NUDGE not in [x["content"] for x in (await call(m["claude"], "check_inbox"))["messages"]]
            clock.advance(90)
            view = await call(m["gpt"], "get_completion_gate", gate_id=g2)
            assert (view["status"], view["warning"]) == ("single_agent_complete", "single_agent_completion")

            # needs_revision clears the completions and restarts the clock.
            g3 = await gate("Third synthesis")
            await call(m["claude"], "signal_completion", gate_id=g3)
            clock.advance(10)
            reset = await call(m["gpt"], "signal_completion", gate_id=g3, signal="needs_revision", note="missing refs")
            assert reset["completions"] == []
            clock.advance(300)
            assert (await call(m["gpt"], "get_completion_gate", gate_id=g3))["status"] == "open"

            # Completions further apart than the window: consensus at the fallback, with a warning.
            g4 = await gate("Fourth synthesis")
            await call(m["claude"], "signal_completion", gate_id=g4)
            clock.advance(61)
            assert (await call(m["gemini"], "signal_completion", gate_id=g4))["status"] == "open"
            clock.advance(59)
            view = await call(m["gpt"], "get_completion_gate", gate_id=g4)
            assert (view["status"], view["warning"]) == ("consensus_complete", "completions_outside_window")

    asyncio.run(run())
