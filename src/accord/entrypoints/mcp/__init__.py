"""The MCP server: stdio (`accord mcp`, identity from ACCORD_TOKEN) and streamable HTTP at /mcp."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from pydantic import AnyHttpUrl, AnyUrl

from accord.bootstrap import Services
from accord.domain.errors import AccordError
from accord.entrypoints.inputs import refuse_booleans
from accord.entrypoints.mcp import conventions, core, deliberation, gates, milestones, proof, reach, resources, webhooks
from accord.entrypoints.mcp.common import Caller, ContextualResources
from accord.settings import Settings

INSTRUCTIONS = (
    "Accord gates critical actions behind votes of agents and humans. Create proposals, cast votes with a "
    "comment (your rationale) and confidence, and wait for decisions. A proposal may be finalized once every "
    "eligible voter has voted, its deadline has passed, or its outcome is settled; before that finalize is "
    "refused: wait_proposal instead. Escalations and human approvals belong to humans. Complete milestone "
    "checkpoints only when their dependencies and consensus proposals allow (request_checkpoint_approval asks "
    "again after a rejection). Act on a gate only when your own gate_wait answers approved with actionable: "
    "true, and gate_verify the payload before acting."
)


class AccordMCPServer(MCPServer[Any], ContextualResources):
    """Tools raise ToolError; a refusal of Accord's reaches the client with exactly the REST message.

    The SDK prefixes a ToolError's text with "Error executing tool <name>: "; SPEC §9 wants the same text
    as REST, so an error caused by an AccordError becomes an is_error result carrying its own message (and,
    as structured content, the REST error object)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.contextual = {}

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        reader = self.contextual.get(str(uri))
        if reader is None or context is None:
            return await super().read_resource(uri, context)
        return [ReadResourceContents(content=await reader(context), mime_type="application/json")]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            schema = self._tool_input_schema(name)
            if schema is not None and isinstance(arguments, dict):
                refuse_booleans(arguments, schema)  # SPEC §13: before the SDK's model reads `true` as 1
            return await super().call_tool(name, arguments, context)
        except AccordError as exc:
            return _refusal(exc)
        except ToolError as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, AccordError):
                cause = cause.__cause__
            if cause is None:
                raise
            return _refusal(cause)


def _refusal(exc: AccordError) -> CallToolResult:
    """An Accord refusal as a tool error: REST's message as text, REST's error object as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=exc.message)],
        structured_content={"error": {"code": exc.code, "message": exc.message}},
        is_error=True,
    )


class MemberTokenVerifier:
    """The SDK's token verifier for streamable HTTP: a member's live token (acc_…) or nothing, so a missing or bad
    bearer token gets 401 with `WWW-Authenticate: Bearer` at the transport, before `initialize` (SPEC §9)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            member = await anyio.to_thread.run_sync(self.services.identity.authenticate, token)
        except AccordError:
            return None
        return AccessToken(token=token, client_id=member.name, scopes=[], subject=member.name)


def build_mcp(services: Services, token: str | None = None) -> MCPServer[Any]:
    """An MCP server over `services`; with `token` every call acts as that member (stdio, in process); without
    one each request acts as its bearer token's member, checked at the HTTP transport by `MemberTokenVerifier`.
    Over HTTP each 401 counts as a failed sign-in of the client's address (the REST app's request guard, SPEC §13)."""
    auth: dict[str, Any] = {}
    if token is None:
        issuer = AnyHttpUrl(Settings().public_url)
        auth = {
            "token_verifier": MemberTokenVerifier(services),
            "auth": AuthSettings(issuer_url=issuer, resource_server_url=None),
        }
    server: MCPServer[Any] = AccordMCPServer(name="accord", instructions=INSTRUCTIONS, version="0.1.0", **auth)
    caller = Caller(services, token)
    for module in (core, milestones, gates, deliberation, proof, reach, webhooks, resources):
        module.register(server, caller)
    conventions.apply(server)
    return server
