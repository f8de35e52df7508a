"""What a caller may keep holding (SPEC §8 rev. 2): a feed, a wait or a session held open with a token ends
within a second of the token's revocation or expiry instant, or of the member's removal from the group of what
it waits on, in any process sharing the store.

The waits call three things on their shared path: `watch_refs` (the event refs that must wake them besides
their own: the member's token events, the group's membership events), `check` before each read (raises the
refusal the feed ends with), and `cap` on each sleep (never past the token's expiry instant). Shared waits
(services/fanout.py) `race` the shared wait against the caller's own hold, and check `unexpired` (no read)
before handing the shared answer over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio.to_thread

from accord.domain.errors import AccordError, AuthError
from accord.domain.members import Member
from accord.services.context import Context
from accord.storage.notify import Subscription

T = TypeVar("T")

IDLE_SECONDS = 60.0  # a session with nothing happening still re-checks its token this often


def watch_refs(actor: Member, *groups: str | None) -> list[str]:
    """Refs whose events may end `actor`'s hold: its tokens' (`member:<name>`: `token.revoked`) and, per
    group waited on, that group's (`group:<name>`: `group.member_removed`)."""
    return [f"member:{actor.name}", *(f"group:{g}" for g in groups if g)]


def group_of(ctx: Context, proposal_id: str) -> str | None:
    """The group a proposal or gate request belongs to, to watch before the wait's first read."""
    with ctx.uow(write=False) as uow:
        return uow.proposals.group_of(proposal_id)


def check(ctx: Context, actor: Member) -> None:
    """Raise the AuthError a held feed ends with ("token revoked: …" / "token expired: …", 401, exit 77) when
    `actor`'s token is no longer good; one indexed read. Membership is checked by the read that follows."""
    credential = actor.credential
    if credential is None:
        return
    now = ctx.now()
    refusal = credential.refusal(now)  # the expiry instant needs no read
    if refusal is None:
        with ctx.uow(write=False) as uow:
            current = uow.tokens.credential(credential.id)
        if current is None:
            raise AuthError("invalid token: it matches no member")
        refusal = current.refusal(now)
    if refusal is not None:
        raise refusal


def cap(ctx: Context, actor: Member, seconds: float) -> float:
    """`seconds`, but no later than just past `actor`'s token expiry instant (so the hold ends then)."""
    credential = actor.credential
    left = None if credential is None else credential.seconds_left(ctx.now())
    return seconds if left is None else max(0.0, min(seconds, left + 0.001))


async def until_ended(ctx: Context, actor: Member) -> AuthError:
    """Wait, for as long as it takes, until `actor`'s token is revoked or expires; returns the refusal (a
    whole session held with the token, such as stdio `accord mcp`, then ends). Wakes on the member's token
    events from any process and at the expiry instant."""
    with ctx.hub.subscribe(watch_refs(actor)) as sub:
        while True:
            try:
                await anyio.to_thread.run_sync(check, ctx, actor)
            except AuthError as exc:
                return exc
            await sub.wait_async(cap(ctx, actor, IDLE_SECONDS))


def unexpired(ctx: Context, actor: Member) -> None:
    """Raise the refusal of `actor`'s token as it was read at authentication (revoked) or at its expiry instant,
    with no store read: the cheap per-caller check before a shared answer is handed over."""
    credential = actor.credential
    refusal = None if credential is None else credential.refusal(ctx.now())
    if refusal is not None:
        raise refusal


def still_holds(ctx: Context, actor: Member, group: str | None, gone: Callable[[], Exception]) -> None:
    """`check`, then (for a member, not an administrator) that `actor` is still in `group`: raises `gone()`
    (the read's NotFoundError) once it left."""
    check(ctx, actor)
    if group is None or actor.is_admin:
        return
    with ctx.uow(write=False) as uow:
        member = uow.groups.membership(group, actor.name)
    if member is None:
        raise gone()


async def race(
    ctx: Context,
    actor: Member,
    group: str | None,
    held: Subscription,
    waiting: Awaitable[T],
    gone: Callable[[], Exception],
) -> T:
    """Await the shared `waiting` while holding `actor`'s own watch `held` (subscribed to `watch_refs(actor,
    group)` before the caller's first read, which checked everything): after each wake of `held`, and at least
    every IDLE_SECONDS (never past the token's expiry instant), `still_holds` is checked. Whichever ends first
    wins, the other is cancelled: the shared result, or the refusal raised (AuthError 401, `gone()`)."""

    async def refused() -> BaseException:
        while True:
            await held.wait_async(cap(ctx, actor, IDLE_SECONDS))
            try:
                await anyio.to_thread.run_sync(still_holds, ctx, actor, group, gone)
            except AccordError as exc:
                return exc

    shared = asyncio.ensure_future(waiting)
    ended = asyncio.ensure_future(refused())
    try:
        await asyncio.wait({shared, ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (shared, ended):
            task.cancel()
        await asyncio.gather(shared, ended, return_exceptions=True)
    if ended.done() and not ended.cancelled():
        raise ended.result()
    return shared.result()
