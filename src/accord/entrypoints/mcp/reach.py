"""MCP tools for member channels (SPEC §9, §11)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from accord.entrypoints.mcp.common import Caller, Json


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add the channel tools to `server`."""

    @server.tool(
        title="Add a notification channel",
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=True),
    )
    async def add_channel(
        member: Annotated[str, Field(description="The member to tell: yourself, or anyone for an administrator.")],
        url: Annotated[
            str,
            Field(description="An Apprise URL: mailto://, slack://, ntfy://, json://, ... (allow-listed schemes)."),
        ],
        ctx: Context[Any, Any],
        events: Annotated[
            list[str] | None,
            Field(description="Notice types or patterns (vote.*); none: every notice but checkpoint.ready."),
        ] = None,
    ) -> Json:
        """Register where a member is told (SPEC §11), as an Apprise URL. Notices: vote.requested,
        vote.reminder, proposal.escalated, proposal.decided, gate.decided, checkpoint.ready (opt-in). Returns
        {id, member, scheme, url, events, created_at, created_by}; `url` is masked and its secrets are never
        shown again. Refused: a scheme off the allow-list (mail, chat, push, json/xml/form over http(s)), a URL
        Apprise cannot read, a host on a loopback/private/link-local address (unless the server allows private
        targets), an unknown notice type, or another member's channels."""
        return await caller.run(ctx, lambda api: api.add_channel(member, url, events))

    @server.tool(
        title="List notification channels",
        annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False),
    )
    async def list_channels(
        member: Annotated[str, Field(description="Whose channels: yourself, or anyone for an administrator.")],
        ctx: Context[Any, Any],
    ) -> Json:
        """A member's channels with URLs masked, and its time zone: {member, time_zone, channels: [{id, scheme,
        url, events, created_at, created_by}]}. Read-only."""
        return await caller.run(ctx, lambda api: api.list_channels(member))

    @server.tool(
        title="Remove a notification channel",
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False),
    )
    async def remove_channel(
        member: Annotated[str, Field(description="Whose channel.")],
        channel_id: Annotated[str, Field(description="The channel's id (ch_…) from list_channels.")],
        ctx: Context[Any, Any],
    ) -> Json:
        """Stop telling a member on one channel. Fails with "channel <id> of <member> not found"."""
        return await caller.run(ctx, lambda api: api.remove_channel(member, channel_id))
