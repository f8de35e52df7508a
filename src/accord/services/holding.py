"""What a caller may keep holding (SPEC §8 rev. 2): a feed, a wait or a session held open with a token ends
within a second of the token's revocation or expiry instant, or of the member's removal from the group of what
it waits on, in any process sharing the store.

The waits call three things on their shared path: `watch_refs` (the event refs that must wake them besides
their own: the member's token events, the group's membership events), `check` before each read (raises the
refusal the feed ends with), and `cap` on each sleep (never past the token's expiry instant).
"""

from __future__ import annotations

import anyio.to_thread

from accord.domain.errors import AuthError
from accord.domain.members import Member
from accord.services.context import Context

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
