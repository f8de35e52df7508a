"""What every MCP tool shares: who is calling, and Accord's errors as ToolErrors (the only kind shown)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from accord.api import Api
from accord.bootstrap import Services
from accord.domain.errors import AccordError, AuthError

T = TypeVar("T")
Json = dict[str, Any]


class ContextualResources:
    """A server whose static resources named in `contextual` are read with the request's context (the caller)."""

    contextual: dict[str, Callable[[Context[Any, Any]], Awaitable[str]]]


class Caller:
    """Resolves the calling member: a fixed token (stdio, ACCORD_TOKEN) or the request's bearer token (HTTP)."""

    def __init__(self, services: Services, token: str | None) -> None:
        self.services = services
        self.token = token

    def api(self, ctx: Context[Any, Any] | None) -> Api:
        return self.api_for(ctx.headers if ctx is not None else None)

    def api_for(self, headers: Mapping[str, str] | None) -> Api:
        """The operations as the fixed token's member, or as the bearer token's in `headers` (AuthError if none)."""
        token = self.token
        if token is None and headers is not None:
            auth = headers.get("authorization") or headers.get("Authorization") or ""
            scheme, _, value = auth.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        if token is None:
            raise AuthError("missing token: set ACCORD_TOKEN (stdio) or send 'Authorization: Bearer acc_…' (HTTP)")
        # Over HTTP a bad token never gets here: the transport's token verifier answers 401, which the request
        # guard counts as a failed sign-in of the client's address (SPEC §13).
        return Api(self.services, self.services.identity.authenticate(token))

    async def run_plain(self, headers: Mapping[str, str] | None, op: Callable[[Api], T]) -> T:
        """Run one operation off the event loop, its AccordErrors left as they are (resources map their own)."""
        api = await anyio.to_thread.run_sync(self.api_for, headers)
        return await anyio.to_thread.run_sync(op, api)

    async def run(self, ctx: Context[Any, Any] | None, op: Callable[[Api], T]) -> T:
        """Run one operation off the event loop; Accord's refusals reach the client as tool errors."""
        try:
            api = await anyio.to_thread.run_sync(self.api, ctx)
            return await anyio.to_thread.run_sync(op, api)
        except AccordError as exc:
            raise ToolError(exc.message) from exc

    async def run_async(self, ctx: Context[Any, Any] | None, op: Callable[[Api], Any]) -> Any:
        """Run an awaitable operation (the waits), mapping errors the same way."""
        try:
            api = await anyio.to_thread.run_sync(self.api, ctx)
            return await op(api)
        except AccordError as exc:
            raise ToolError(exc.message) from exc
