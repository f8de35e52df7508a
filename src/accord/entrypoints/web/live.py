"""Server-sent events: pages that follow a proposal or the queue live, and the raw event feed (SPEC §8).

A page stream subscribes to the event hub *before* rendering, then sends the freshly rendered fragment
each time a matching event commits (in this process at once, from other processes within the hub's poll
interval), so a vote cast anywhere shows on every open page well within a second.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from accord.domain.errors import AccordError
from accord.entrypoints.rest.common import Caller, error_envelope, services_of
from accord.entrypoints.web import queue, views
from accord.entrypoints.web.common import Signed, Visitor, WebRoute, secure
from accord.services import holding
from accord.services.context import Wakeup

# sse-starlette sends a comment every PING_SECONDS, notices a client that went away, and ends the streams
# when the server shuts down (so `accord serve` stops at once with pages open).
PING_SECONDS = 10
WAKE_SECONDS = 10.0
SETTLE_SECONDS = 0.05  # let a burst of events (a vote and its veto) land before rendering once
HEADERS = {"X-Accel-Buffering": "no"}

router = APIRouter(route_class=WebRoute, include_in_schema=False)
feed_router = APIRouter(prefix="/v1")


def sse_message(event: dict[str, Any]) -> bytes:
    """One event as an SSE message: `id: <event id>`, `event: <type>`, `data: <the event as JSON>`."""
    return ServerSentEvent(json.dumps(event, separators=(",", ":")), event=event["type"], id=str(event["id"])).encode()


class SharedRenders:
    """Per event loop and page key: one render per change for every open page on it (SPEC §8 rev. 2).

    A page woken by the event numbered `generation` takes the render started after it by whichever page came
    first, after its own `check` (its sign-in still holds, it may still see the thing); when that shared
    render failed for the page that started it (it lost access), the others render on their own."""

    KEEP = 1000  # page keys remembered per loop before the finished ones are dropped

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[int, str], tuple[int, asyncio.Future[str]]] = {}

    async def render(self, key: str, generation: int, render: Callable[[], str], check: Callable[[], None]) -> str:
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        with self._lock:
            found = self._slots.get(slot)
            mine = found is None or found[0] < generation
            if mine:
                if len(self._slots) >= self.KEEP:
                    self._slots = {k: v for k, v in self._slots.items() if not v[1].done()}
                future: asyncio.Future[str] = loop.create_future()
                self._slots[slot] = (generation, future)
            else:
                assert found is not None
                future = found[1]
        if mine:
            try:
                future.set_result(await asyncio.to_thread(render))
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # retrieved here: other pages fall back to their own render
                raise
            return future.result()
        await asyncio.to_thread(check)
        try:
            return await asyncio.shield(future)
        except AccordError:
            return await asyncio.to_thread(render)


RENDERS = SharedRenders()


def _fragments(
    sub: Wakeup,
    render: Callable[[], str],
    first: str,
    min_interval: float,
    still_signed_in: Callable[[], object],
    idle: Callable[[], float],
    shared: tuple[str, Callable[[], int], Callable[[], None]] | None = None,
) -> AsyncIterator[ServerSentEvent]:
    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            last = first
            yield ServerSentEvent(first, event="fragment")
            sent = time.monotonic()
            while True:
                if not await sub.wait_async(idle()):
                    try:  # nothing happened: still re-check the session now and then (sign-out, expiry)
                        await asyncio.to_thread(still_signed_in)
                    except AccordError as exc:
                        yield ServerSentEvent(exc.message, event="gone")
                        return
                    continue
                await asyncio.sleep(max(SETTLE_SECONDS, min_interval - (time.monotonic() - sent)))
                try:
                    if shared is None:
                        html = await asyncio.to_thread(render)
                    else:
                        key, generation, check = shared
                        html = await RENDERS.render(key, generation(), render, check)
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
    v: Visitor,
    refs: Iterable[str] | None,
    template: str,
    build: Callable[[], Any],
    *,
    min_interval: float = 0,
    shared: tuple[str, Callable[[], None]] | None = None,
) -> Response:
    """Stream `template`, rendered from `build()`, whenever an event with one of `refs` commits (None: any).
    With `shared` = (key, may_see), the fragment is the same for every visitor allowed to see it: pages on `key`
    share one render per change, each page first checking its sign-in and `may_see()` (AccordError if not)."""
    # Before the first read, so no event is missed; the member's token events too (a revoked token ends it).
    watched = None if refs is None else [*refs, *holding.watch_refs(v.member)] if v.member is not None else refs
    sub = v.services.ctx.hub.subscribe(watched)
    try:

        def signed_in() -> None:
            if v.session.session_id is not None:  # signing out, a revoked or expired token end the stream
                v.services.identity.web_session_member(v.session.session_id)

        def render() -> str:
            signed_in()
            return v.web.env.get_template(template).render(
                me=v.member, csrf=v.csrf, now=v.services.ctx.now(), **build()
            )

        first = render()  # raises NotFoundError for a proposal the member may not see (404 page)
    except BaseException:
        sub.close()
        raise

    def still_signed_in() -> object:
        return v.services.identity.web_session_member(v.session.session_id) if v.session.session_id else None

    def idle() -> float:  # no later than the token's expiry instant, so the page ends then
        return WAKE_SECONDS if v.member is None else holding.cap(v.services.ctx, v.member, WAKE_SECONDS)

    together = None
    if shared is not None:
        key, may_see = shared

        def check() -> None:
            signed_in()
            may_see()

        together = (f"{template}:{key}", lambda: v.services.ctx.hub.high_water, check)
    stream = _fragments(sub, render, first, min_interval, still_signed_in, idle, together)
    return secure(EventSourceResponse(stream, ping=PING_SECONDS, headers=HEADERS))


@router.get("/proposals/{proposal_id}/live")
def proposal_live(v: Signed, proposal_id: str) -> Response:
    """The proposal's tally and votes, re-sent whenever an event about it commits (or its group's membership
    changes: a member removed from it sees the page end)."""
    # The fragment shows the proposal, its voters and votes, the same for every member who may see it: pages on
    # one proposal share each render, each checking only that it may still see the proposal.
    group = holding.group_of(v.services.ctx, proposal_id)
    refs = [proposal_id, *([f"group:{group}"] if group else [])]
    return live_response(
        v,
        refs,
        "_live.html",
        lambda: {"view": views.proposal_page(v.api, proposal_id)},
        shared=(proposal_id, lambda: v.services.proposals.visible(v.api.actor, proposal_id)),
    )


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

    async def events() -> AsyncIterator[bytes]:
        # One tail reads and encodes each new event once for every stream; each shows only its caller's groups.
        try:
            async for _cursor, message in services.events.stream(member, after, sse_message, WAKE_SECONDS):
                if message is not None:
                    yield message
        except AccordError as exc:  # the token was revoked or expired (SPEC §8 rev. 2): say so, then close
            yield ServerSentEvent(json.dumps(error_envelope(exc), separators=(",", ":")), event="error").encode()

    return EventSourceResponse(events(), ping=PING_SECONDS, headers={"Cache-Control": "no-store", **HEADERS})
