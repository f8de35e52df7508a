"""What every HTTP request passes before any route reads it (SPEC §13): its body's size, and its address's
failed sign-ins. One ASGI layer for REST, MCP over HTTP and the web page alike."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.domain.errors import AccordError, PayloadTooLargeError, RateLimitedError
from accord.domain.limits import MAX_BODY_BYTES
from accord.entrypoints.throttle import SignInThrottle, client_address


class RequestGuard:
    """ASGI middleware: a body over 1 MiB answers 413 before the app reads a byte of it (by its Content-Length,
    or by counting a chunked body); a request carrying credentials from an address with no failed sign-ins left
    answers 429 with `Retry-After` before it is checked, and each 401 answered to one counts as a failure."""

    def __init__(self, app: ASGIApp, throttle: SignInThrottle, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.throttle = throttle
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        address = client_address(scope)
        credentialed = "authorization" in headers
        try:
            if credentialed:
                self.throttle.check(address)
            receive = await self._bounded(headers, receive)
        except AccordError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_status)
        if credentialed and status == 401:
            self.throttle.failed(address)

    async def _bounded(self, headers: Headers, receive: Receive) -> Receive:
        """`receive`, once the body is known to fit; PayloadTooLargeError otherwise."""
        length = headers.get("content-length")
        if length is not None:
            # Length first: a 1,000-digit Content-Length is refused without converting it.
            if len(length) > len(str(self.max_body)) or (length.isdigit() and int(length) > self.max_body):
                raise self._too_large()
            return receive
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            return receive
        messages: list[Message] = []
        size = 0
        while True:  # a chunked body has no length to check: read it, counting, up to the limit
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_body:
                raise self._too_large()
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"the request body is larger than {self.max_body} bytes (1 MiB), the most Accord reads",
            limit=self.max_body,
        )


def _refusal(exc: AccordError) -> JSONResponse:
    headers: dict[str, Any] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.details["retry_after"])
    body = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    return JSONResponse(body, status_code=exc.http_status, headers=headers)
