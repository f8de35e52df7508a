"""`require_approval`: run an action only once the group approved it (SPEC §5, §12), as a decorator or a
context manager, sync or async.

    from accord.client import AccordClient, ApprovalDenied, require_approval

    @require_approval(group="eng", subject="deploy:api", payload={"version": "2.0"})
    def deploy() -> None: ...

    with require_approval(group="eng", subject="db:migrate", payload=plan) as approval:
        migrate(plan)                      # approval.request_id, approval.receipt, approval.claims

    async with require_approval(group="eng", subject="release", client=accord):
        await publish()

Each use requests a gate on `subject` with `payload`, waits (on the deciding vote, not by polling) until it is
decided or `timeout` seconds pass, and on approval verifies the signed receipt offline against the server's
keys (JWKS) for exactly this payload and redeems it, so the action runs at most once per approval. Anything else
(rejected, vetoed, expired, timed out, an invalid receipt, a receipt already redeemed) raises `ApprovalDenied`
with the outcome, the vetoes and every voter's comment; the wrapped action does not run. A request still open
when the wait gives up is closed, so the subject is free again. Without `client`, one is made from
ACCORD_URL and ACCORD_TOKEN.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from accord.domain.errors import AccordError, ValidationError

if TYPE_CHECKING:
    from accord.client import AccordClient

P = ParamSpec("P")
R = TypeVar("R")
DEFAULT_WAIT = 3600.0  # seconds: how long to wait for the group by default (a gate's default lifetime)


class ApprovalDenied(Exception):
    """The group did not approve: `outcome` (rejected, vetoed, expired, timeout, no_open_request, unverified,
    redeemed), `reason` in words, `vetoes` (who vetoed), `comments` (every voter's {voter, vote, comment})."""

    def __init__(
        self,
        outcome: str,
        reason: str,
        *,
        request_id: str | None = None,
        vetoes: list[str] | None = None,
        comments: list[dict[str, Any]] | None = None,
        gate: dict[str, Any] | None = None,
    ) -> None:
        self.outcome = outcome
        self.reason = reason
        self.request_id = request_id
        self.vetoes = vetoes or []
        self.comments = comments or []
        self.gate = gate or {}
        said = "; ".join(f"{c['voter']} {c['vote']}: {c['comment']}" for c in self.comments if c.get("comment"))
        super().__init__(f"not approved ({outcome}): {reason}" + (f" [{said}]" if said else ""))


@dataclass
class Approval:
    """What an approval carries: the gate's request id, the gate as decided, its receipt and verified claims."""

    request_id: str
    gate: dict[str, Any]
    receipt: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


class require_approval:
    """Gate an action on the group's approval; see the module docstring. `payload` may be a callable taking the
    decorated function's arguments and returning the JSON to request (then only the decorator can use it).

    group, subject: where and what to ask (SPEC §5). timeout: seconds to wait for a decision (default 3600).
    gate_timeout_seconds: the gate's own lifetime (default the group's). redeem: redeem the receipt before acting
    (default True: at most one action per approval). jwks: a JWK Set you trust (default the server's)."""

    def __init__(
        self,
        group: str,
        subject: str,
        payload: Any = None,
        *,
        client: AccordClient | None = None,
        timeout: float = DEFAULT_WAIT,
        gate_timeout_seconds: float | None = None,
        redeem: bool = True,
        jwks: dict[str, Any] | None = None,
    ) -> None:
        if not subject:
            raise ValidationError("subject must name the action (e.g. deploy:api)", field="subject")
        self.group = group
        self.subject = subject
        self.payload = payload
        self.client = client
        self.timeout = timeout
        self.gate_timeout_seconds = gate_timeout_seconds
        self.redeem = redeem
        self.jwks = jwks
        self.approval: Approval | None = None

    # -- the one flow ------------------------------------------------------------------------------------

    def obtain(self, payload: Any = None) -> Approval:
        """Request, wait, verify and redeem; the Approval, or ApprovalDenied. Blocks (use `obtain_async`)."""
        payload = self.payload if payload is None else payload
        if callable(payload):
            raise ValidationError("a callable payload needs the decorated call's arguments", field="payload")
        client = self.client or _client_from_environment()
        request = client.gate_request(self.subject, payload, self.group, self.gate_timeout_seconds)
        request_id = str(request["request_id"])
        decision = client.wait_for_consensus(request_id, self.timeout, self.group)
        gate: dict[str, Any] = decision.get("gate") or request
        if decision["status"] != "approved" or not gate.get("actionable"):
            if not gate.get("closed"):
                _close_quietly(client, request_id)
            raise _denied(decision["reason"], decision.get("detail") or decision["status"], request_id, gate)
        approval = Approval(request_id=request_id, gate=gate, receipt=decision.get("receipt"))
        if approval.receipt:
            check = client.verify_receipt(approval.receipt, payload, jwks=self.jwks)
            if not check["valid"]:
                raise _denied("unverified", f"the receipt does not hold: {check['reason']}", request_id, gate)
            approval.claims = dict(check.get("claims") or {})
            if self.redeem:
                try:
                    client.redeem_receipt(str(approval.claims["jti"]))
                except AccordError as exc:
                    raise _denied("redeemed", exc.message, request_id, gate) from exc
        self.approval = approval
        return approval

    async def obtain_async(self, payload: Any = None) -> Approval:
        """`obtain` without blocking the event loop (the HTTP calls run on a worker thread)."""
        return await asyncio.to_thread(self.obtain, payload)

    # -- decorator -----------------------------------------------------------------------------------------

    @overload
    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]:
        def payload_for(*args: Any, **kwargs: Any) -> Any:
            return self.payload(*args, **kwargs) if callable(self.payload) else self.payload

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                await self.obtain_async(payload_for(*args, **kwargs))
                return await fn(*args, **kwargs)

            return run_async

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> Any:
            self.obtain(payload_for(*args, **kwargs))
            return fn(*args, **kwargs)

        return run

    # -- context manager -----------------------------------------------------------------------------------

    def __enter__(self) -> Approval:
        return self.obtain()

    def __exit__(self, *exc: object) -> None:
        return None

    async def __aenter__(self) -> Approval:
        return await self.obtain_async()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


def _denied(outcome: str, reason: str, request_id: str, gate: dict[str, Any]) -> ApprovalDenied:
    comments = [
        {"voter": v.get("voter"), "vote": v.get("vote"), "comment": v.get("comment")} for v in gate.get("votes") or []
    ]
    return ApprovalDenied(
        outcome, reason, request_id=request_id, vetoes=list(gate.get("vetoed_by") or []), comments=comments, gate=gate
    )


def _close_quietly(client: AccordClient, request_id: str) -> None:
    try:
        client.gate_close(request_id)  # fail closed, and free the subject for the next request
    except AccordError:
        pass


def _client_from_environment() -> AccordClient:
    from accord.client import AccordClient

    url, token = os.environ.get("ACCORD_URL"), os.environ.get("ACCORD_TOKEN")
    if not url or not token:
        raise ValidationError("require_approval needs client=AccordClient(...) or ACCORD_URL and ACCORD_TOKEN set")
    return AccordClient(url, token)
