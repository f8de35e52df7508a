"""MCP tools for gates and the inbox, with the seed system's names and arguments (SPEC §5, §7, §9)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add the gate and inbox tools to `server`."""

    @server.tool()
    async def gate_request(
        subject: str,
        ctx: Context[Any, Any],
        group: str | None = None,
        payload: Any = None,
        timeout_seconds: float | None = None,
    ) -> Json:
        """Ask your group for permission before an action (deploy, merge, commit-gate, ...). Opens a gate on
        `subject`; every other voter gets a REQUEST message. Refused while the subject already has an open
        request (the error names it). group: needed when you are in several groups. payload: JSON describing
        the action (at most 16 KiB, canonical JSON: no integer beyond 2^53); its digest (payload_digest) binds
        the approval to it (gate_verify). timeout_seconds: default the group's (3600); when it passes without
        approval the gate expires, which counts as rejected. Subjects matching the group's irreversible
        pattern (push|deploy|merge|release|publish) need >= 2/3 yes and a yes from every veto holder; others
        > 1/2. Returns the gate; `request_id` is what to vote on, wait for and close."""
        return await caller.run(ctx, lambda api: api.gate_request(subject, payload, group, timeout_seconds))

    @server.tool()
    async def gate_vote(request_id: str, vote: str, ctx: Context[Any, Any], comment: str | None = None) -> Json:
        """Vote on a gate: "yes", "no" or "abstain" (you may not vote on your own request). comment: your
        reason. If you hold a veto, "no" vetoes the gate at once and every member gets a VETO message; only
        you can lift it, by voting again. Returns your ballot and the gate's new status."""
        return await caller.run(ctx, lambda api: api.gate_vote(request_id, vote, comment))

    @server.tool()
    async def gate_tally(subject: str, ctx: Context[Any, Any], group: str | None = None) -> Json:
        """A gate's status now: approved, rejected, pending, vetoed or expired, with the reason, yes/no/abstain
        counts of the counted voters (advisory votes are shown, never counted), who vetoed, and who has not
        voted, and payload_digest. subject: a request id (prop_...), or a subject: only its open request counts;
        with none open the answer is {"status": "none_open", "latest": {...}} (request again to act again).
        Proceed only on "approved" with actionable: true (only the requester's close/wait gives that)."""
        return await caller.run(ctx, lambda api: api.gate_tally(subject, group))

    @server.tool()
    async def gate_wait(subject: str, ctx: Context[Any, Any], timeout: float = 300, group: str | None = None) -> Json:
        """Wait until a gate is decided: approved (closed for you if you requested it), vetoed, rejected or
        expired; or `timeout` seconds (at most 3600) pass, then `timed_out` is true and the status still
        pending: do not proceed. subject: a request id, or a subject whose open request is waited on (none
        open: "none_open" at once, do not proceed). Only the requester's wait closes an approved gate and gets
        actionable: true. Wakes on the deciding vote, not by polling."""
        shared = await caller.run_async(
            ctx, lambda api: api.services.gates.wait_shared(api.actor, subject, timeout, group)
        )
        result: Json = shared.view  # one read shared by every waiter on it (SPEC §8 rev. 2); never mutated
        return result

    @server.tool()
    async def gate_close(request_id: str, ctx: Context[Any, Any]) -> Json:
        """Close your own gate request: its result is frozen (approved, or vetoed, else rejected) and the
        subject is free for the next request. A veto cast before you close still wins. Closing twice
        returns the frozen result."""
        return await caller.run(ctx, lambda api: api.gate_close(request_id))

    @server.tool()
    async def gate_list(
        ctx: Context[Any, Any],
        status: str | None = None,
        group: str | None = None,
        awaiting_me: bool = False,
        limit: int = 100,
    ) -> Json:
        """List the gates of your groups, each with its subject, requester, payload, status (approved,
        rejected, pending, vetoed, expired), reason, count, timeout_at, and `voted` / `awaiting_me` for you.
        status: "open" (still taking votes; soonest timeout first) or "closed" (newest first); omitted: both.
        group: only this group. awaiting_me: only open gates waiting for your vote (vote on each with
        gate_vote). limit: 1-500. Returns {"gates": [...]}."""
        return {"gates": await caller.run(ctx, lambda api: api.gate_list(status, group, awaiting_me, limit))}

    @server.tool()
    async def gate_verify(request_id: str, ctx: Context[Any, Any], payload: Any = None) -> Json:
        """Check, before acting, that gate `request_id` was closed as approved for exactly this payload: its
        SHA-256 over the RFC 8785 canonical JSON must equal the digest stored when the gate was requested.
        Returns {"verified": true|false, "reason", "payload_digest", "given_digest", "status"}; reason is "gate
        <id> is not approved: <status>" or "gate <id> was approved for payload <d1>, not <d2>" when not."""
        return await caller.run(ctx, lambda api: api.gate_verify(request_id, payload))

    @server.tool()
    async def send_message(
        to: str,
        content: str,
        group: str,
        ctx: Context[Any, Any],
        type: str = "NOTICE",
        subject: str | None = None,
        payload: Any = None,
        ttl_seconds: int | None = None,
    ) -> Json:
        """Send a message to a member of `group`, or to "*" (every member but you). type: REQUEST, RESPONSE,
        NOTICE, TASK, BROADCAST or HEARTBEAT (TASKs can be claimed). content: at most 4096 characters.
        payload: JSON, at most 16 KiB; to answer a request put its id in payload.request_id and use type
        RESPONSE. ttl_seconds: expired messages are never delivered. Returns the message id and recipients."""
        return await caller.run(
            ctx, lambda api: api.send_message(to, content, group, type, subject, payload, ttl_seconds)
        )

    @server.tool()
    async def check_inbox(
        ctx: Context[Any, Any], since: str | None = None, unread_only: bool = False, limit: int = 100
    ) -> Json:
        """List your messages, newest first, without consuming them. since: ISO-8601 instant. unread_only:
        only those recv has not returned yet. limit: at most 100. Returns {"messages": [...]}."""
        return {"messages": await caller.run(ctx, lambda api: api.check_inbox(since, unread_only, limit))}

    @server.tool()
    async def recv_message(
        ctx: Context[Any, Any], wait: float = 0, type: str | None = None, subject: str | None = None
    ) -> Json:
        """Receive (consume) your oldest unread, unexpired message: each message reaches you once. wait:
        block up to that many seconds (at most 3600) for one to arrive. type/subject: only such messages.
        Returns {"message": {...}} or {"message": null} when there is none."""
        message = await caller.run_async(
            ctx, lambda api: api.services.inbox.recv_async(api.actor, wait, type=type, subject=subject)
        )
        return {"message": message}

    @server.tool()
    async def peek_message(ctx: Context[Any, Any], type: str | None = None, subject: str | None = None) -> Json:
        """The message recv_message would return next, without consuming it. Returns {"message": ... | null}."""
        return {"message": await caller.run(ctx, lambda api: api.peek_message(type, subject))}

    @server.tool()
    async def mark_message_read(message_id: str, ctx: Context[Any, Any]) -> Json:
        """Mark one of your messages read without receiving it: recv_message then skips it (for a message you
        have already dealt with, e.g. seen in check_inbox). Again on a read message: `already_read` is true."""
        return await caller.run(ctx, lambda api: api.mark_message_read(message_id))

    @server.tool()
    async def claim_message(message_id: str, ctx: Context[Any, Any], timeout_seconds: int = 300) -> Json:
        """Claim a TASK message so no one else works on it, for `timeout_seconds` (default 300; an expired
        claim returns the task to pending). Refused when someone else holds it, or the message expired."""
        return await caller.run(ctx, lambda api: api.claim_message(message_id, timeout_seconds))

    @server.tool()
    async def complete_message(message_id: str, ctx: Context[Any, Any], response: str | None = None) -> Json:
        """Complete a TASK you have claimed (claim it first). response: your result, at most 4096
        characters; the task's sender receives it as a RESPONSE message."""
        return await caller.run(ctx, lambda api: api.complete_message(message_id, response))

    @server.tool()
    async def release_message(message_id: str, ctx: Context[Any, Any]) -> Json:
        """Give back a TASK you have claimed; it returns to pending so someone else can claim it."""
        return await caller.run(ctx, lambda api: api.release_message(message_id))
