"""Sending webhook deliveries (SPEC §11): a POST of {"type", "timestamp", "data"} signed per Standard Webhooks
with the `standardwebhooks` library; the target is checked again at each delivery; an endpoint failing for
24 hours is disabled and its group's owners are told."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from standardwebhooks import Webhook

from accord.domain.outbox import RETRY_WINDOW
from accord.services.context import Context
from accord.services.outbox import Delivery, Outcome, Sender
from accord.services.targets import target_problem
from accord.services.webhooks import KIND, tell_owners_disabled
from accord.storage.uow import UnitOfWork

if TYPE_CHECKING:
    import httpx

USER_AGENT = "Accord-Webhooks/1"
MAX_EXCERPT = 200  # bytes of a failed answer's body kept in the attempt log


def sign(secret: str, delivery_id: str, at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for `body` sent at `at`: webhook-id, webhook-timestamp (Unix seconds),
    webhook-signature (`v1,<base64 HMAC-SHA256>`)."""
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, at, body),
    }


class WebhookSender(Sender):
    kind = KIND

    def __init__(self, ctx: Context, *, timeout: float = 10.0) -> None:
        self.ctx = ctx
        self.timeout = timeout
        self._http: httpx.Client | None = None
        self._guard = threading.Lock()

    @property
    def http(self) -> httpx.Client:
        """One pooled client, made on first use (its TLS set-up costs every process that never sends)."""
        import httpx  # here, not at import: every CLI call builds the services, few ever send

        with self._guard:
            if self._http is None:
                # Redirects are not followed: a 3xx is a failed attempt (Standard Webhooks' advice).
                self._http = httpx.Client(
                    timeout=self.timeout, follow_redirects=False, headers={"user-agent": USER_AGENT}
                )
            return self._http

    def send(self, delivery: Delivery, *, now: datetime) -> Outcome:
        webhook_id = delivery.target.removeprefix("webhook:")
        with self.ctx.uow(write=False) as uow:
            hook = uow.webhooks.get(webhook_id)
        if hook is None:
            return Outcome(False, error="webhook removed", final=True)
        if not hook["enabled"]:
            return Outcome(False, error="webhook disabled", final=True)
        problem = target_problem(hook["url"], allow_private=self.ctx.allow_private_targets)
        if problem is not None:
            return Outcome(False, error=f"target refused: {problem}")
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        headers = {"content-type": "application/json", **sign(hook["secret"], delivery.id, now, body)}
        import httpx

        try:
            with self.http.stream("POST", hook["url"], content=body.encode(), headers=headers) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return Outcome(True, status_code=status)
                excerpt = b""
                for chunk in response.iter_bytes():  # enough of the body to say why, never all of it
                    excerpt += chunk
                    if len(excerpt) >= MAX_EXCERPT:
                        break
        except httpx.HTTPError as exc:
            return Outcome(False, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        text = " ".join(excerpt[:MAX_EXCERPT].decode("utf-8", "replace").split())
        return Outcome(False, status_code=status, error=f"HTTP {status}" + (f": {text}" if text else ""))

    def settled(self, uow: UnitOfWork, delivery: Delivery, outcome: Outcome, *, gave_up: bool, now: datetime) -> None:
        hook = uow.webhooks.get(delivery.target.removeprefix("webhook:"))
        if hook is None or not hook["enabled"]:
            return
        if outcome.ok:
            if hook["failing_since"] is not None:
                uow.webhooks.update(hook["id"], failing_since=None)
            return
        since = hook["failing_since"]
        if since is None:
            uow.webhooks.update(hook["id"], failing_since=now)
            since = now
        if gave_up or now - since >= RETRY_WINDOW:
            tell_owners_disabled(uow, hook, reason=f"failing since {since.isoformat()}: {outcome.error}", now=now)

    def close(self) -> None:
        with self._guard:
            if self._http is not None:
                self._http.close()
                self._http = None
