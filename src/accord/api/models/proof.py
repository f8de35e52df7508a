"""Results of the verifiable record: audit, keys, receipts (SPEC §12)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from accord.api.models.base import Out


class AuditHead(Out):
    id: int | None
    hash: str | None


class AuditVerification(Out):
    ok: bool
    verified: int = Field(description="How many events were checked")
    head: AuditHead | None
    problem: str | None
    event_id: int | None
    message: str


class Jwks(Out):
    keys: list[dict[str, Any]]


class Keys(Out):
    keys: list[dict[str, Any]]
    jwks: Jwks


class ReceiptCheck(Out):
    valid: bool
    reason: str | None
    claims: dict[str, Any] | None


class Redeemed(Out):
    jti: str
    redeemed: bool
    redeemed_at: str
    redeemed_by: str
    request_id: str
    outcome: str
