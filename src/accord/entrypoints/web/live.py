"""Server-sent events: pages that follow a proposal or the queue live, and the raw event feed (SPEC §8).

A page stream subscribes to the event hub *before* rendering, then sends the freshly rendered fragment
each time a matching event commits (in this process at once, from other processes within the hub's poll
interval), so a vote cast anywhere shows on every open page well within a second.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.rest.common import Caller, services_of
from accord.entrypoints.web import queue, views
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, secure
from accord.services.context import Wakeup

# sse-starlette sends a comment every PING_SECONDS, notices a client that went away, and ends the streams
# when the server shuts down (so `accord serve` stops at once with pages open).
PING_SECONDS = 10
WAKE_SECONDS = 10.0
SETTLE_SECONDS = 0.05  # let a burst of events (a vote and its veto) land before rendering once
HEADERS = {"X-Accel-Buffering": "no"}

router = APIRouter(route_class=WebRoute, include_in_schema=False)
feed_router = APIRouter(prefix="/v1")


def _fragments(
    sub: Wakeup, render: Callable[[], str], first: str, min_interval: float
) -> AsyncIterator[ServerSentEvent]:
    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            last = first
            yield ServerSentEvent(first, event="fragment")
            sent = time.monotonic()
            while True:
                if not await sub.wait_async(WAKE_SECONDS):
                    continue
                await asyncio.sleep(max(SETTLE_SECONDS, min_interval - (time.monotonic() - sent)))
                try:
                    html = await asyncio.to_thread(render)
                except AccordError as exc:  # e.g. the member left the group: the page reloads and says why
                    yield ServerSentEvent(exc.message, event="gone")
                    return
                if html != last:
                    last, sent = html, time.monotonic()
                    yield ServerSentEvent(html, event="fragment")
        finally:
            sub.close()

    return events()


def live_response(
    v: Visitor, refs: Iterable[str] | None, template: str, build: Callable[[], Any], *, min_interval: float = 0
) -> Response:
    """Stream `template`, rendered from `build()`, whenever an event with one of `refs` commits (None: any)."""
    sub = v.services.ctx.hub.subscribe(refs)  # before the first read: no event is missed
    try:

        def render() -> str:
            if v.session.token_hash is not None:  # a revoked token ends an open page's stream too
                v.services.identity.authenticate_hash(v.session.token_hash)
            return v.web.env.get_template(template).render(
                me=v.member, csrf=v.csrf, now=v.services.ctx.now(), **build()
            )

        first = render()  # raises NotFoundError for a proposal the member may not see (404 page)
    except BaseException:
        sub.close()
        raise
    stream = _fragments(sub, render, first, min_interval)
    return secure(EventSourceResponse(stream, ping=PING_SECONDS, headers=HEADERS))


@router.get("/proposals/{proposal_id}/live")
def proposal_live(v: Signed, proposal_id: str) -> Response:
    """The proposal's tally and votes, re-sent whenever an event about it commits."""
    return live_response(v, [proposal_id], "_live.html", lambda: {"view": views.proposal_page(v.api, proposal_id)})


@router.get("/queue/live")
def queue_live(v: Signed) -> Response:
    """The member's queue, re-sent whenever it changes."""
    # Any event may change the queue, so re-render at most once a second.
    return live_response(v, None, "_queue.html", lambda: {"queue": queue.queue(v.api)}, min_interval=1.0)


@feed_router.get("/events/stream", tags=["events"])
async def event_stream(
    request: Request,
    member: Caller,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-sent events: every event of the caller's groups after id `after` (or `Last-Event-ID`), live.

    Each message is `id: <event id>`, `event: <type>`, `data: <the event as JSON>`; a comment line is
    sent every 10 s while nothing happens. Reconnecting clients resume from their Last-Event-ID.
    """
    services = services_of(request)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = int(last_event_id.strip())
    await asyncio.to_thread(services.events.since, member, after, 1)  # refuse a bad `after` now, not mid-stream

    async def events() -> AsyncIterator[ServerSentEvent]:
        cursor = after
        while True:
            batch = await services.events.feed_async(member, cursor, WAKE_SECONDS, 100)
            for event in batch:
                cursor = event["id"]
                yield ServerSentEvent(json.dumps(event, separators=(",", ":")), event=event["type"], id=str(cursor))

    return EventSourceResponse(events(), ping=PING_SECONDS, headers={"Cache-Control": "no-store", **HEADERS})
