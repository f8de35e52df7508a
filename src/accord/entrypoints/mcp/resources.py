"""MCP resources and prompts (SPEC §9 rev. 2).

Resources, read as the calling member, as JSON:
`accord://proposals/{id}` (get_proposal), `accord://milestones/{id}` (get_milestone),
`accord://gates/{group}/{subject}` (gate_tally; the subject percent-encoded; `none_open` when no request is
open) and `accord://inbox` (check_inbox). A client that opens `subscriptions/listen` with some of these URIs gets
`notifications/resources/updated` for each within a second of a change: one watcher per URI and stream sleeps on
the event hub (no polling), re-reads the resource as that stream's member, and announces it only when what that
member would read has changed; the stream carries nothing else, so nobody hears of what they cannot read.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.to_thread
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated
from mcp_types import SubscriptionsListenRequestParams, SubscriptionsListenResult

from accord.api import Api
from accord.domain.errors import AccordError
from accord.entrypoints.mcp.common import Caller, ContextualResources
from accord.services.context import Wakeup

log = logging.getLogger("accord.mcp")
JSON = "application/json"
WATCH_PERIOD = 30.0  # seconds a watcher sleeps on the hub before re-reading anyway (a missed wake-up heals)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# A resource URI -> (the event refs whose events may change it, or None for any event; how to read it).
Reader = Callable[[Api], Any]


def resolve(uri: str, api: Api) -> tuple[list[str] | None, Reader] | None:
    """What a subscribable URI watches and reads, or None when it is not one of Accord's resources."""
    if uri == "accord://inbox":
        return [f"inbox:{api.actor.name}"], lambda a: {"messages": a.check_inbox()}
    if m := re.fullmatch(r"accord://proposals/([^/]+)", uri):
        pid = unquote(m[1])
        return [pid], lambda a: a.get_proposal(pid)
    if m := re.fullmatch(r"accord://milestones/([^/]+)", uri):
        mid = unquote(m[1])
        return None, lambda a: a.get_milestone(mid)  # checkpoints' proposals and completion gates change it too
    if m := re.fullmatch(r"accord://gates/([^/]+)/(.+)", uri):
        group, subject = unquote(m[1]), unquote(m[2])
        return None, lambda a: a.gate_tally(subject, group)  # a new request on the subject has a new ref
    return None


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add the resources and prompts, and serve `subscriptions/listen` with watchers for Accord's resources."""

    async def read(ctx: Context[Any, Any], op: Reader) -> str:
        try:
            return _dump(await caller.run_plain(ctx.headers, op))
        except AccordError as exc:
            raise ResourceError(exc.message) from exc

    @server.resource("accord://proposals/{id}", name="proposal", title="A proposal", mime_type=JSON)
    async def proposal(id: str, ctx: Context[Any, Any]) -> str:
        """A proposal as get_proposal shows it: rules, voters, current votes, the running or final tally."""
        return await read(ctx, lambda api: api.get_proposal(id))

    @server.resource("accord://milestones/{id}", name="milestone", title="A milestone", mime_type=JSON)
    async def milestone(id: str, ctx: Context[Any, Any]) -> str:
        """A milestone as get_milestone shows it: status, progress, checkpoints with their state."""
        return await read(ctx, lambda api: api.get_milestone(id))

    @server.resource("accord://gates/{group}/{subject}", name="gate", title="A gate by subject", mime_type=JSON)
    async def gate(group: str, subject: str, ctx: Context[Any, Any]) -> str:
        """The gate on `subject` in `group` as gate_tally shows it (subject percent-encoded in the URI); with no
        request open: {"status": "none_open", "latest": ...}."""
        return await read(ctx, lambda api: api.gate_tally(subject, group))

    async def read_inbox(ctx: Context[Any, Any]) -> str:
        return await read(ctx, lambda api: {"messages": api.check_inbox()})

    @server.resource("accord://inbox", name="inbox", title="My inbox", mime_type=JSON)
    def inbox() -> str:
        """Your unexpired messages, newest first, as check_inbox lists them: {"messages": [...]}."""
        # The SDK gives a static resource no context, so no caller: AccordMCPServer reads it with one instead.
        raise ResourceError("accord://inbox is read as the calling member")

    if isinstance(server, ContextualResources):
        server.contextual["accord://inbox"] = read_inbox

    @server.prompt(name="review_my_queue", title="Review my queue")
    def review_my_queue() -> str:
        """Go through everything waiting for your vote: proposals, gates and completion gates."""
        return (
            "Review my Accord queue. 1) list_proposals with awaiting_me: true, gate_list with awaiting_me: true and "
            "list_completion_gates with awaiting_me: true. 2) For each item, read it (get_proposal, gate_tally, "
            "get_completion_gate), including every comment already cast. 3) Vote with cast_vote or gate_vote, always "
            "with a comment giving your reason and, for proposals, your confidence; signal_completion only for work "
            "you checked. 4) When unsure, vote abstain or leave it and say why. Finish with a short list of what you "
            "voted and why, and what you left for a human."
        )

    @server.prompt(name="request_approval", title="Request approval before acting")
    def request_approval(action: str, group: str = "", payload: str = "") -> str:
        """Ask the group for approval of `action` (a subject such as deploy:api) and act only on approval."""
        where = f" in group {group}" if group else ""
        body = f" with payload {payload}" if payload else ""
        return (
            f"Before you {action}, get approval from Accord{where}. 1) gate_request with subject {action!r}{body}. "
            "2) gate_wait on the returned request_id (repeat while timed_out is true). 3) Proceed only if the status "
            "is approved and actionable is true; then gate_verify the exact payload and redeem_receipt the receipt's "
            "jti right before acting. 4) Otherwise do not act: report the status, the reason and every voter's "
            "comment, and address the objections before requesting again."
        )

    handler = ResourceListen(caller)
    server._lowlevel_server.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, handler)


@dataclass
class Watch:
    """One subscribed URI on one stream: the member's operations, the hub subscription, the last reading."""

    uri: str
    api: Api
    reader: Reader
    sub: Wakeup
    last: str


class ResourceListen:
    """Serves `subscriptions/listen`: the SDK's stream, fed by one watcher per Accord resource it asks for."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], params: SubscriptionsListenRequestParams
    ) -> SubscriptionsListenResult:
        bus = InMemorySubscriptionBus()  # this stream's own: only its member's watchers publish on it
        stream = ListenHandler(bus)
        headers: Mapping[str, str] | None = getattr(ctx.request, "headers", None)
        # Every watcher subscribes and takes its first reading before the stream's acknowledgment goes out, so
        # a change the client makes right after `listen` returns is announced, never folded into that reading.
        watches: list[Watch] = []
        try:
            for uri in params.notifications.resource_subscriptions or []:
                if (started := await self.start(headers, uri)) is not None:
                    watches.append(started)
            async with anyio.create_task_group() as tasks:
                for watch in watches:
                    tasks.start_soon(self.watch, watch, bus)
                try:
                    result = await stream(ctx, params)
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            for watch in watches:
                watch.sub.close()
        return result

    async def start(self, headers: Mapping[str, str] | None, uri: str) -> Watch | None:
        """Subscribe to what may change `uri` and read it once, as the stream's member (None: not ours, or refused)."""
        try:
            api = await anyio.to_thread.run_sync(self.caller.api_for, headers)
        except AccordError as exc:
            log.info("not watching %s: %s", uri, exc.message)
            return None
        found = resolve(uri, api)
        if found is None:
            return None
        refs, reader = found
        sub = api.services.ctx.hub.subscribe(refs)  # before the first read, so no change falls in between
        return Watch(uri, api, reader, sub, await self._read(api, reader))

    async def watch(self, watch: Watch, bus: InMemorySubscriptionBus) -> None:
        """Announce the URI on `bus` each time what this member reads there changes."""
        while True:
            await watch.sub.wait_async(WATCH_PERIOD)
            now = await self._read(watch.api, watch.reader)
            if now != watch.last:
                watch.last = now
                await bus.publish(ResourceUpdated(uri=watch.uri))

    @staticmethod
    async def _read(api: Api, reader: Reader) -> str:
        try:
            return _dump(await anyio.to_thread.run_sync(reader, api))
        except AccordError as exc:
            return f"error: {exc.message}"  # e.g. gone or not visible: a change when it comes back
