"""Server-sent events: pages that follow a proposal or the queue live, and the raw event feed (SPEC §8).

A page stream subscribes to the event hub *before* rendering, then sends the freshly rendered fragment
each time a matching event commits (in this process at once, from other processes within the hub's poll
interval), so a vote cast anywhere shows on every open page well within a second.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from accord.domain.errors import AccordError
from accord.entrypoints.rest.common import Caller, services_of
from accord.entrypoints.web import views
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, secure
from accord.storage.notify import Subscription

KEEPALIVE_SECONDS = 10.0
SETTLE_SECONDS = 0.05  # let a burst of events (a vote and its veto) land before rendering once

router = APIRouter(route_class=WebRoute, include_in_schema=False)
feed_router = APIRouter(prefix="/v1")


def sse(event: str, data: str, event_id: int | None = None) -> str:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def _stream(request: Request, sub: Subscription, render: Callable[[], str], first: str) -> AsyncIterator[str]:
    async def events() -> AsyncIterator[str]:
        try:
            last = first
            yield sse("fragment", first)
            while not await request.is_disconnected():
                if not await sub.wait_async(KEEPALIVE_SECONDS):
                    yield ": keep-alive\n\n"
                    continue
                await asyncio.sleep(SETTLE_SECONDS)
                try:
                    html = await asyncio.to_thread(render)
                except AccordError as exc:  # e.g. the member left the group: the page reloads and says why
                    yield sse("gone", exc.message)
                    return
                if html != last:
                    last = html
                    yield sse("fragment", html)
        finally:
            sub.close()

    return events()


def live_response(v: Visitor, refs: Iterable[str] | None, template: str, build: Callable[[], Any]) -> Response:
    sub = v.services.ctx.hub.subscribe(refs)  # before the first read: no event is missed
    try:

        def render() -> str:
            return v.web.env.get_template(template).render(
                me=v.member, csrf=v.csrf, now=v.services.ctx.now(), **build()
            )

        first = render()  # raises NotFoundError for a proposal the member may not see (404 page)
    except BaseException:
        sub.close()
        raise
    stream = _stream(v.request, sub, render, first)
    headers = {"X-Accel-Buffering": "no"}
    return secure(StreamingResponse(stream, media_type="text/event-stream", headers=headers))


@router.get("/proposals/{proposal_id}/live")
def proposal_live(v: Signed, proposal_id: str) -> Response:
    """The proposal's tally and votes, re-sent whenever an event about it commits."""
    return live_response(v, [proposal_id], "_live.html", lambda: {"view": views.proposal_page(v.api, proposal_id)})


@router.get("/queue/live")
def queue_live(v: Signed) -> Response:
    """The member's queue, re-sent whenever it changes."""
    return live_response(v, None, "_queue.html", lambda: {"queue": views.queue(v.api)})


@feed_router.get("/events/stream", tags=["events"])
async def event_stream(
    request: Request,
    member: Caller,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events: every event of the caller's groups after id `after` (or `Last-Event-ID`), live.

    Each message is `id: <event id>`, `event: <type>`, `data: <the event as JSON>`; a comment line is
    sent every 10 s while nothing happens. Reconnecting clients resume from their Last-Event-ID.
    """
    services = services_of(request)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = int(last_event_id.strip())
    services.events.since(member, after, 1)  # refuse a bad `after` before the stream starts

    async def events() -> AsyncIterator[str]:
        cursor = after
        while not await request.is_disconnected():
            batch = await services.events.feed_async(member, cursor, KEEPALIVE_SECONDS, 100)
            if not batch:
                yield ": keep-alive\n\n"
            for event in batch:
                cursor = event["id"]
                yield sse(event["type"], json.dumps(event, separators=(",", ":")), event["id"])

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
