"""The peer for bench/fanout.py: a bare Starlette + sse-starlette broadcast app, no store, no auth.

One event set per key; `POST /decide/{key}` sets it and every waiter on that key gets the same bytes:
`GET /wait/{key}` (a long-poll answered with them) or `GET /stream/{key}` (an SSE stream sending them as one
message). BARE_BODY_BYTES sets the size of the answer (Accord's decided proposal, measured by the benchmark).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SIZE = int(os.environ.get("BARE_BODY_BYTES", "2000"))
BODY = (b'{"status":"finalized","pad":"' + b"x" * max(0, SIZE - 32) + b'"}')[:SIZE]
MESSAGE = ServerSentEvent(BODY.decode(), event="proposal.finalized").encode()
decided: dict[str, asyncio.Event] = {}


def event(key: str) -> asyncio.Event:
    return decided.setdefault(key, asyncio.Event())


async def wait(request: Request) -> Response:
    await event(request.path_params["key"]).wait()
    return Response(BODY, media_type="application/json")


async def stream(request: Request) -> EventSourceResponse:
    flag = event(request.path_params["key"])

    async def messages() -> AsyncIterator[bytes]:
        await flag.wait()
        yield MESSAGE

    return EventSourceResponse(messages(), ping=10)


async def decide(request: Request) -> Response:
    event(request.path_params["key"]).set()
    return Response(b'{"decided":true}', media_type="application/json")


app = Starlette(
    routes=[
        Route("/wait/{key}", wait),
        Route("/stream/{key}", stream),
        Route("/decide/{key}", decide, methods=["POST"]),
    ]
)
