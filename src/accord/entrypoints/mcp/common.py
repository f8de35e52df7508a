"""What every MCP tool shares: who is calling, and Accord's errors as ToolErrors (the only kind shown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from accord.api import Api
from accord.bootstrap import Services
from accord.domain.errors import AccordError, AuthError
from accord.entrypoints.throttle import SignInThrottle, client_address

T = TypeVar("T")
Json = dict[str, Any]


class Caller:
    """Resolves the calling member: a fixed token (stdio, ACCORD_TOKEN) or the request's bearer token (HTTP)."""

    def __init__(self, services: Services, token: str | None, throttle: SignInThrottle | None = None) -> None:
        self.services = services
        self.token = token
        self.throttle = throttle  # over HTTP: a bad bearer token counts as a failed sign-in (SPEC §13)

    def api(self, ctx: Context[Any, Any] | None) -> Api:
        token = self.token
        if token is None and ctx is not None:
            headers = ctx.headers or {}
            auth = headers.get("authorization") or headers.get("Authorization") or ""
            scheme, _, value = auth.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        if token is None:
            raise AuthError("missing token: set ACCORD_TOKEN (stdio) or send 'Authorization: Bearer acc_…' (HTTP)")
        try:
            return Api(self.services, self.services.identity.authenticate(token))
        except AuthError:
            request = ctx.request_context.request if ctx is not None and self.token is None else None
            scope = getattr(request, "scope", None)
            if self.throttle is not None and scope is not None:
                self.throttle.failed(client_address(scope))
            raise

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
