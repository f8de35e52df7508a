"""Every MCP tool called once, with a real outcome, through the official client (SPEC §9 rev. 2).

`tour(services, world)` returns each tool's structured result (and the tool list), so the contract test can
check every result against the tool's declared output schema.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from mcp import Client

from accord.bootstrap import Services
from accord.entrypoints.mcp import build_mcp
from tests.support import World

GROUP = "tour"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#approvals"
Results = dict[str, list[dict[str, Any]]]


def seed(world: World) -> None:
    world.group(
        GROUP,
        {
            "ana": {"role": "owner"},
            "ben": {},
            "cy": {},
            "hal": {"kind": "human", "role": "owner"},
        },
    )


async def tour(services: Services, world: World) -> tuple[list[Any], Results]:
    """Call every tool at least once; returns (tools as listed, results by tool name)."""
    results: Results = {}
    async with AsyncExitStack() as stack:
        c = {
            name: await stack.enter_async_context(Client(build_mcp(services, token=world.tokens[name])))
            for name in ("ana", "ben", "cy", "hal", "admin")
        }
        tools = (await c["ana"].list_tools()).tools

        async def call(who: str, tool: str, **args: Any) -> dict[str, Any]:
            result = await c[who].call_tool(tool, args)
            assert not result.is_error, (tool, result.content)
            assert isinstance(result.structured_content, dict), tool
            results.setdefault(tool, []).append(result.structured_content)
            return result.structured_content

        await call("ana", "whoami")
        await call("ana", "list_groups")
        await call("ana", "list_members", group=GROUP)

        # a proposal decided by vote, one cancelled, one escalated and resolved by a human
        p = await call("ana", "create_proposal", group=GROUP, title="Ship it?")
        for who, vote in (("ana", "yes"), ("ben", "yes"), ("cy", "no"), ("hal", "yes")):
            await call(who, "cast_vote", proposal_id=p["id"], vote=vote, comment=f"{who} thinks {vote}")
        await call("ana", "get_proposal", proposal_id=p["id"], history=True)
        await call("ana", "list_proposals", group=GROUP)
        await call("ana", "finalize_proposal", proposal_id=p["id"], mitigation="watch the dashboards")
        await call("ana", "wait_proposal", proposal_id=p["id"], timeout=0)
        await call("ana", "get_decision_record", proposal_id=p["id"])
        gone = await call("ana", "create_proposal", group=GROUP, title="Drop it?")
        await call("ana", "cancel_proposal", proposal_id=gone["id"])
        tie = await call(
            "ana",
            "create_proposal",
            group=GROUP,
            title="Tabs?",
            on_no_consensus=["escalate"],
            threshold_type="unanimous",
        )
        for who, vote in (("ana", "yes"), ("ben", "no"), ("cy", "yes"), ("hal", "no")):
            await call(who, "cast_vote", proposal_id=tie["id"], vote=vote)
        await call("ana", "finalize_proposal", proposal_id=tie["id"])
        await call("hal", "resolve_proposal", proposal_id=tie["id"], decision="no", rationale="spaces win")

        # consultations and completion gates
        cons = await call("ana", "create_consultation", group=GROUP, title="Stack", questions={"ARCH-001": "Mono?"})
        cid = cons["id"]
        decision = {"question_id": "ARCH-001", "answer": "mono", "confidence": 0.8, "rationale": "one repo"}
        await call("ben", "submit_contribution", consultation_id=cid, decisions=[decision])
        await call("ana", "get_consultation", consultation_id=cid)
        await call("ana", "list_consultations", group=GROUP)
        cg = await call("ana", "create_completion_gate", group=GROUP, title="Docs done", participants=["ben", "cy"])
        await call("ben", "signal_completion", gate_id=cg["id"], note="written")
        await call("ana", "get_completion_gate", gate_id=cg["id"])
        await call("ana", "list_completion_gates", group=GROUP)
        await call("admin", "sweep")

        # a gate, approved, verified, its receipt redeemed
        payload = {"version": "2.0"}
        gate = await call("ana", "gate_request", subject="deploy:api", group=GROUP, payload=payload)
        rid = gate["request_id"]
        for who in ("ben", "cy", "hal"):
            await call(who, "gate_vote", request_id=rid, vote="yes", comment="green")
        await call("ben", "gate_tally", subject="deploy:api", group=GROUP)
        await call("ben", "gate_list", group=GROUP)
        waited = await call("ana", "gate_wait", subject=rid, timeout=1)
        closed = await call("ana", "gate_close", request_id=rid)
        await call("ana", "gate_verify", request_id=rid, payload=payload)
        receipt = closed.get("receipt") or waited.get("receipt")
        assert isinstance(receipt, str), closed
        check = await call("ana", "verify_receipt", receipt=receipt, payload=payload)
        await call("ana", "redeem_receipt", jti=check["claims"]["jti"])

        # the inbox
        await call("ana", "send_message", to="ben", content="hello", group=GROUP, subject="hi")
        await call("ben", "check_inbox")
        await call("ben", "peek_message")
        await call("ben", "recv_message")
        task = await call("ana", "send_message", to="ben", content="write docs", group=GROUP, type="TASK")
        task_id = task.get("message_id") or task["id"]
        await call("ben", "mark_message_read", message_id=task_id)
        await call("ben", "claim_message", message_id=task_id)
        await call("ben", "release_message", message_id=task_id)
        await call("ben", "claim_message", message_id=task_id)
        await call("ben", "complete_message", message_id=task_id, response="done")

        # milestones
        ms = await call(
            "ana",
            "create_milestone",
            title="v2",
            group=GROUP,
            checkpoints=[{"title": "build"}, {"title": "test", "depends_on": [1]}],
        )
        mid = ms["milestone_id"]
        await call("ana", "get_milestone", milestone_id=mid)
        await call("ana", "list_milestones", group=GROUP)
        await call("ana", "add_checkpoint", milestone_id=mid, title="review", requires_consensus=True)
        await call("ana", "update_checkpoint", milestone_id=mid, order=2, description="all suites")
        await call("ana", "complete_checkpoint", milestone_id=mid, order=1)
        review = (await call("ana", "get_milestone", milestone_id=mid))["checkpoints"][2]
        for who in ("ben", "cy", "hal"):
            await call(who, "cast_vote", proposal_id=review["proposal_id"], vote="no")
        await call("ana", "finalize_proposal", proposal_id=review["proposal_id"])
        await call("ana", "request_checkpoint_approval", milestone_id=mid, order=3)
        await call("ana", "delete_checkpoint", milestone_id=mid, order=3)
        await call("ana", "complete_checkpoint", milestone_id=mid, order=2)
        await call("ana", "reopen_milestone", milestone_id=mid)

        # tokens, channels and webhooks (SPEC §1, §11): no worker runs here, so nothing is sent
        await call("ben", "list_tokens", member="ben")
        channel = await call("hal", "add_channel", member="hal", url=SLACK, events=["vote.*"])
        await call("hal", "list_channels", member="hal")
        await call("hal", "remove_channel", member="hal", channel_id=channel["id"])
        services.ctx.allow_private_targets = True  # the hook's host is this machine
        hook = await call("ana", "add_webhook", group=GROUP, url="http://127.0.0.1:9/accord", events=["proposal.*"])
        await call("ana", "create_proposal", group=GROUP, title="Tell the hook")  # a delivery to list and redo
        await call("ana", "list_webhooks", group=GROUP)
        deliveries = await call("ana", "list_deliveries", webhook_id=hook["id"])
        await call("ana", "redeliver", delivery_id=deliveries["deliveries"][0]["id"])
        await call("ana", "remove_webhook", webhook_id=hook["id"])
        await call("admin", "revoke_token", member="cy")  # last: cy's calls are done
    return tools, results
