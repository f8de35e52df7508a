"""Seed 003 (every section) and seed 000's milestone examples, through the MCP face, as agents would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from mcp import Client

from accord.bootstrap import Services
from accord.entrypoints.mcp import build_mcp
from tests.support import World

Json = dict[str, Any]
MILESTONE_TOOLS = {
    "create_milestone",
    "get_milestone",
    "list_milestones",
    "complete_checkpoint",
    "update_checkpoint",
    "add_checkpoint",
    "delete_checkpoint",
    "reopen_milestone",
}


class Agents:
    """One MCP client per member, each acting as that member (its token)."""

    def __init__(self, services: Services, world: World, stack: AsyncExitStack) -> None:
        self.services, self.world, self.stack = services, world, stack
        self.clients: dict[str, Client] = {}

    async def client(self, name: str) -> Client:
        if name not in self.clients:
            server = build_mcp(self.services, token=self.world.tokens[name])
            self.clients[name] = await self.stack.enter_async_context(Client(server))
        return self.clients[name]

    async def call(self, name: str, tool: str, **args: Any) -> Json:
        result = await (await self.client(name)).call_tool(tool, args)
        assert not result.is_error, result.content
        assert isinstance(result.structured_content, dict)
        return result.structured_content

    async def refused(self, name: str, tool: str, **args: Any) -> str:
        """The tool error's text, after checking the milestone named in `args` did not change."""
        ms = args.get("milestone_id")
        before = await self.call("admin", "get_milestone", milestone_id=ms) if ms else None
        result = await (await self.client(name)).call_tool(tool, args)
        assert result.is_error
        if ms:
            assert await self.call("admin", "get_milestone", milestone_id=ms) == before
        text = " ".join(getattr(c, "text", "") for c in result.content)
        prefix = f"Error executing tool {tool}: "  # the SDK's framing around our message
        return text.removeprefix(prefix)


def run(services: Services, world: World, scenario: Callable[[Agents], Awaitable[None]]) -> None:
    async def main() -> None:
        async with AsyncExitStack() as stack:
            await scenario(Agents(services, world, stack))

    asyncio.run(main())


def seq(*titles: str) -> list[Json]:
    return [{"title": t, **({"depends_on": [i]} if i else {})} for i, t in enumerate(titles)]


def test_the_milestone_tools_are_listed(services: Services, world: World) -> None:
    async def scenario(agents: Agents) -> None:
        tools = await (await agents.client("admin")).list_tools()
        assert MILESTONE_TOOLS <= {t.name for t in tools.tools}

    run(services, world, scenario)


def test_seed003_checkpoints_with_dependencies(services: Services, world: World) -> None:
    world.group("team", ["agent"])

    async def scenario(agents: Agents) -> None:
        m = await agents.call(
            "agent",
            "create_milestone",
            title="Ship Feature X",
            checkpoints=seq("Design approved", "Implementation complete", "Tests passing", "Deployed to production"),
        )
        ms = m["milestone_id"]
        assert await agents.refused("agent", "complete_checkpoint", milestone_id=ms, order=3) == (
            "depends on checkpoint 2 which is pending"
        )
        for order in (1, 2, 3):
            done = await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=order)
            assert done["milestone_closed"] is False
        last = await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=4)
        assert last["milestone_closed"] is True  # "Success, milestone auto-closes"
        assert (await agents.call("agent", "get_milestone", milestone_id=ms))["status"] == "closed"

    run(services, world, scenario)


def test_seed003_parallel_work(services: Services, world: World) -> None:
    world.group("team", ["designer", "backend", "frontend"])

    async def scenario(agents: Agents) -> None:
        m = await agents.call(
            "designer",
            "create_milestone",
            title="Parallel",
            checkpoints=[
                {"title": "Design approved"},
                {"title": "Backend implementation", "depends_on": [1]},
                {"title": "Frontend implementation", "depends_on": [1]},
                {"title": "Integration tests", "depends_on": [2, 3]},
                {"title": "Deploy", "depends_on": [4]},
            ],
        )
        ms = m["milestone_id"]
        done = await agents.call("designer", "complete_checkpoint", milestone_id=ms, order=1)
        assert done["unblocked"] == [2, 3]
        view = await agents.call("backend", "get_milestone", milestone_id=ms)
        assert view["ready"] == [2, 3]  # backend and frontend work simultaneously
        await agents.client("frontend")  # clients are opened in this task, then used concurrently
        await asyncio.gather(
            agents.call("backend", "complete_checkpoint", milestone_id=ms, order=2),
            agents.call("frontend", "complete_checkpoint", milestone_id=ms, order=3),
        )
        view = await agents.call("designer", "get_milestone", milestone_id=ms)
        assert view["ready"] == [4] and view["progress"] == {"completed": 3, "total": 5}
        await agents.call("backend", "complete_checkpoint", milestone_id=ms, order=4)
        assert (await agents.call("frontend", "complete_checkpoint", milestone_id=ms, order=5))["milestone_closed"]

    run(services, world, scenario)


def test_seed003_cross_milestone_dependencies(services: Services, world: World) -> None:
    world.group("backend-team", ["backend-agent", "frontend-agent"])
    world.group("frontend-team", ["frontend-agent"])

    async def scenario(agents: Agents) -> None:
        backend = await agents.call(
            "backend-agent",
            "create_milestone",
            group="backend-team",
            title="API v2",
            checkpoints=seq("Design API schema", "Implement endpoints", "Deploy to staging"),
        )
        ms_backend = backend["milestone_id"]
        frontend = await agents.call(
            "frontend-agent",
            "create_milestone",
            group="frontend-team",
            title="New Dashboard",
            checkpoints=[
                {"title": "Design mockups"},
                {"title": "Build components", "depends_on": [1]},
                {"title": "Integrate with API", "depends_on": [2, f"{ms_backend}:3"]},
                {"title": "Deploy", "depends_on": [3]},
            ],
        )
        ms_frontend = frontend["milestone_id"]
        for order in (1, 2):
            await agents.call("frontend-agent", "complete_checkpoint", milestone_id=ms_frontend, order=order)
        error = await agents.refused("frontend-agent", "complete_checkpoint", milestone_id=ms_frontend, order=3)
        assert error == f"depends on {ms_backend}:3 which is pending"
        for order in (1, 2, 3):
            await agents.call("backend-agent", "complete_checkpoint", milestone_id=ms_backend, order=order)
        done = await agents.call("frontend-agent", "complete_checkpoint", milestone_id=ms_frontend, order=3)
        assert done["checkpoint"]["depends_on"] == [2, f"{ms_backend}:3"] and done["unblocked"] == [4]

    run(services, world, scenario)


def test_seed003_git_references(services: Services, world: World) -> None:
    world.group("team", ["agent"])

    async def scenario(agents: Agents) -> None:
        ms = (await agents.call("agent", "create_milestone", title="Auth", checkpoints=seq("Design", "Auth")))["id"]
        await agents.call(
            "agent",
            "update_checkpoint",
            milestone_id=ms,
            order=2,
            git_branch_url="https://github.com/org/repo/tree/feature/auth",
            git_pr_url="https://github.com/org/repo/pull/42",
        )
        await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=1)
        await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=2)
        await agents.call(
            "agent",
            "update_checkpoint",
            milestone_id=ms,
            order=2,
            git_commit_url="https://github.com/org/repo/commit/abc123",
        )
        cp = (await agents.call("agent", "get_milestone", milestone_id=ms))["checkpoints"][1]
        assert cp["git_branch_url"] == "https://github.com/org/repo/tree/feature/auth"
        assert cp["git_pr_url"] == "https://github.com/org/repo/pull/42"
        assert cp["git_commit_url"] == "https://github.com/org/repo/commit/abc123"
        error = await agents.refused("agent", "update_checkpoint", milestone_id=ms, order=2, git_pr_url="file:///etc")
        assert error.startswith("git_pr_url 'file:///etc' is not allowed: use an http or https URL")

    run(services, world, scenario)


def test_seed003_modifying_in_progress_milestones(services: Services, world: World) -> None:
    world.group("team", ["agent"])

    async def scenario(agents: Agents) -> None:
        m = await agents.call(
            "agent", "create_milestone", title="M", checkpoints=seq("Design", "Build", "Tests", "Deploy")
        )
        ms = m["id"]
        added = await agents.call(
            "agent", "add_checkpoint", milestone_id=ms, title="Security review", position=3, depends_on=[2]
        )
        assert added["checkpoint"]["order"] == 3
        view = await agents.call("agent", "get_milestone", milestone_id=ms)
        assert [cp["title"] for cp in view["checkpoints"]] == ["Design", "Build", "Security review", "Tests", "Deploy"]
        assert [cp["depends_on"] for cp in view["checkpoints"]] == [[], [1], [2], [2], [4]]
        await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=1)
        # Constraints: cannot delete completed checkpoints, nor checkpoints others depend on.
        assert await agents.refused("agent", "delete_checkpoint", milestone_id=ms, order=1) == (
            "checkpoint 1 is completed; completed checkpoints cannot be deleted"
        )
        assert await agents.refused("agent", "delete_checkpoint", milestone_id=ms, order=4) == (
            "checkpoint 4 cannot be deleted: 5 depends on it"
        )
        deleted = await agents.call("agent", "delete_checkpoint", milestone_id=ms, order=3)
        assert deleted["deleted"]["title"] == "Security review"
        for order in (2, 3, 4):
            last = await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=order)
        assert last["milestone_closed"] is True
        reopened = await agents.call("agent", "reopen_milestone", milestone_id=ms)
        assert reopened["status"] == "active" and reopened["reopened"] is True
        more = await agents.call("agent", "add_checkpoint", milestone_id=ms, title="Fix", depends_on=[4])
        assert more["checkpoint"]["order"] == 5 and more["checkpoint"]["status"] == "ready"

    run(services, world, scenario)


def test_seed003_feature_development(services: Services, world: World) -> None:
    world.group("product-team", {"db-agent": {}, "api-agent": {}, "ui-agent": {}, "pm": {"kind": "human"}})

    async def scenario(agents: Agents) -> None:
        m = await agents.call(
            "db-agent",
            "create_milestone",
            group="product-team",
            project_id="proj_q1_roadmap",
            title="User Authentication",
            checkpoints=[
                {"title": "Database schema design"},
                {"title": "API endpoints", "depends_on": [1]},
                {"title": "Frontend components", "depends_on": [1]},
                {"title": "Integration tests", "depends_on": [2, 3]},
                {"title": "Security review", "depends_on": [4]},
                {"title": "Deploy to staging", "depends_on": [5]},
                {"title": "Deploy to production", "depends_on": [6], "requires_consensus": True},
            ],
        )
        ms = m["id"]
        listed = await agents.call("pm", "list_milestones", project_id="proj_q1_roadmap")
        assert [x["id"] for x in listed["milestones"]] == [ms]
        assert await agents.refused("ui-agent", "complete_checkpoint", milestone_id=ms, order=3) == (
            "depends on checkpoint 1 which is pending"
        )
        for agent, order in [("db-agent", 1), ("api-agent", 2), ("ui-agent", 3)] + [
            ("api-agent", o) for o in (4, 5, 6)
        ]:
            await agents.call(agent, "complete_checkpoint", milestone_id=ms, order=order)
        view = await agents.call("pm", "get_milestone", milestone_id=ms)
        assert view["progress"] == {"completed": 6, "total": 7}
        gate = view["checkpoints"][6]
        assert gate["status"] == "awaiting_consensus"
        pid = gate["proposal_id"]
        assert (await agents.refused("api-agent", "complete_checkpoint", milestone_id=ms, order=7)).startswith(
            f"consensus proposal {pid} is not yet approved"
        )
        for voter in ("pm", "api-agent", "ui-agent"):
            await agents.call(voter, "cast_vote", proposal_id=pid, vote="yes")
        assert (await agents.call("pm", "finalize_proposal", proposal_id=pid))["outcome"] == "passed"
        done = await agents.call("api-agent", "complete_checkpoint", milestone_id=ms, order=7)
        assert done["milestone_closed"] is True
        # Closed "until additional checkpoints are added or it is reopened".
        more = await agents.call("pm", "add_checkpoint", milestone_id=ms, title="Post-launch review", depends_on=[7])
        assert more["reopened"] is True and more["status"] == "active"

    run(services, world, scenario)


def test_seed000_human_in_the_loop_milestone_integration(services: Services, world: World) -> None:
    world.group("release-team", {"agent": {}, "alice": {"kind": "human"}, "bob": {"kind": "human"}})

    async def scenario(agents: Agents) -> None:
        m = await agents.call(
            "agent",
            "create_milestone",
            title="Release v2.0",
            checkpoints=[
                {"title": "Code complete"},
                {"title": "Tests passing", "depends_on": [1]},
                {"title": "Security review", "depends_on": [2]},
                {"title": "Deploy to production", "depends_on": [3], "requires_consensus": True},
            ],
        )
        ms, pid = m["id"], m["checkpoints"][3]["proposal_id"]
        proposal = await agents.call("alice", "get_proposal", proposal_id=pid)
        assert proposal["title"] == "Approve checkpoint: Deploy to production"
        assert (proposal["voting_type"], proposal["threshold_type"]) == ("yes_no", "majority")
        assert proposal["status"] == "open"
        for order in (1, 2, 3):  # 1. Agent completes checkpoints 1-3
            await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=order)
        error = await agents.refused("agent", "complete_checkpoint", milestone_id=ms, order=4)  # 2.
        assert error.startswith(f"consensus proposal {pid} is not yet approved")
        await agents.call("alice", "cast_vote", proposal_id=pid, vote="yes", comment="reviewed the diff")  # 3.
        await agents.call("bob", "cast_vote", proposal_id=pid, vote="yes")  # 4.
        finalized = await agents.call("bob", "finalize_proposal", proposal_id=pid)  # 5.
        assert finalized["threshold_met"] is True
        done = await agents.call("agent", "complete_checkpoint", milestone_id=ms, order=4)  # 6.
        assert done["milestone_closed"] is True and done["milestone_status"] == "closed"

    run(services, world, scenario)


def test_seed000_production_deployment(services: Services, world: World) -> None:
    world.group("platform-team", {"ci": {}, "deployer": {}, "alice": {"kind": "human"}, "bob": {"kind": "human"}})
    world.group("humans", {"alice": {"kind": "human"}, "bob": {"kind": "human"}, "ci": {}})

    async def scenario(agents: Agents) -> None:
        checkpoints = seq("Feature freeze", "QA signoff", "Deploy to staging", "Staging verification")
        checkpoints.append(
            {"title": "Deploy to production", "depends_on": [4], "requires_consensus": {"group": "humans"}}
        )
        m = await agents.call(
            "ci", "create_milestone", group="platform-team", title="v2.0 Release", checkpoints=checkpoints
        )
        ms, pid = m["id"], m["checkpoints"][4]["proposal_id"]
        assert m["checkpoints"][4]["consensus"]["group"] == "humans"
        for order in (1, 2, 3, 4):
            await agents.call("ci", "complete_checkpoint", milestone_id=ms, order=order)
        assert (await agents.refused("deployer", "complete_checkpoint", milestone_id=ms, order=5)).startswith(
            f"consensus proposal {pid} is not yet approved"
        )
        # The agent that asked for the step cannot approve it.
        assert "ci is not an eligible voter" in await agents.refused("ci", "cast_vote", proposal_id=pid, vote="yes")
        # Humans vote when staging looks good.
        await agents.call("alice", "cast_vote", proposal_id=pid, vote="yes", comment="staging looks good")
        await agents.call("bob", "cast_vote", proposal_id=pid, vote="yes")
        await agents.call("alice", "finalize_proposal", proposal_id=pid)
        done = await agents.call("deployer", "complete_checkpoint", milestone_id=ms, order=5)  # only now
        assert done["milestone_closed"] is True

    run(services, world, scenario)


def test_bad_arguments_are_tool_errors(services: Services, world: World) -> None:
    world.group("team", ["agent"])

    async def scenario(agents: Agents) -> None:
        client = await agents.client("agent")
        bad = await client.call_tool("create_milestone", {"title": "M", "checkpoints": [{"title": "a", "colour": "x"}]})
        assert bad.is_error and "colour" in " ".join(getattr(c, "text", "") for c in bad.content)
        missing = await client.call_tool("get_milestone", {"milestone_id": "ms_missing"})
        assert missing.is_error
        assert [getattr(c, "text", "") for c in missing.content] == ["milestone ms_missing not found"]
        assert (await agents.call("agent", "list_milestones"))["milestones"] == []

    run(services, world, scenario)
