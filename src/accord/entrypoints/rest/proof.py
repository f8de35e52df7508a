"""REST routes for the verifiable record (SPEC §12): the chain's audit, keys, JWKS, receipts."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from accord.entrypoints.rest.common import Body, CallerApi, services_of
from accord.entrypoints.rest.contract import ContractRouter
from accord.proof.receipts import NOT_GIVEN

router = ContractRouter(prefix="/v1")
well_known = ContractRouter()
Json = dict[str, Any]


class VerifyReceipt(Body):
    receipt: str
    payload: Any = None


@well_known.get("/.well-known/jwks.json", tags=["proof"])
def jwks(request: Request) -> Json:
    """The public signing keys as a JWK Set (no token needed): what `accord receipt verify --jwks` checks
    receipts against, offline. Old keys stay after a rotation."""
    return services_of(request).keys.jwks()


@router.get("/audit/verify", tags=["proof"])
def audit_verify(api: CallerApi, pinned: str | None = None) -> Json:
    """Recompute the hash chain (administrators): {ok, verified, head, problem, event_id, message}; `pinned`
    is ID:HASH from an earlier /v1/audit/head that must still be there unchanged."""
    return api.audit_verify(pinned)


@router.get("/audit/head", tags=["proof"])
def audit_head(api: CallerApi) -> Json:
    """The newest event's {id, hash}, for anyone signed in to pin."""
    return api.audit_head()


@router.get("/keys", tags=["proof"])
def show_keys(api: CallerApi) -> Json:
    """The signing keys' public halves, the active one marked."""
    return api.show_keys()


@router.post("/keys/rotate", tags=["proof"])
def rotate_key(api: CallerApi) -> Json:
    """A new signing key (administrators); older keys still verify."""
    return api.rotate_key()


@router.post("/receipts/verify", tags=["proof"])
def verify_receipt(body: VerifyReceipt, api: CallerApi) -> Json:
    """Check a receipt against this server's keys: {valid, reason, claims}. Leave `payload` out to say it was
    not given (a gate receipt then fails with "payload not given"); `"payload": null` is the null payload."""
    payload = body.payload if "payload" in body.model_fields_set else NOT_GIVEN
    return api.verify_receipt(body.receipt, payload)


@router.post("/receipts/{jti}/redeem", tags=["proof"])
def redeem_receipt(jti: str, api: CallerApi) -> Json:
    """Mark an approved gate's receipt used: 200 the first time, 409 after (only its requester or an
    administrator; 404 outside its group)."""
    return api.redeem_receipt(jti)
