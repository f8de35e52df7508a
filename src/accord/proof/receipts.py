"""Decision receipts (SPEC §12): a compact JWS (EdDSA) over the decision's claims, checked offline.

`verify` needs only the receipt, a JWKS and the time: an executor that never talks to Accord can check that
a gate was approved, for exactly its payload, by the service whose keys it trusts, and not too long ago.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from accord.canonical import NotCanonicalError, canonical_json, sha256_hex
from accord.proof.keys import ALG, SigningKey, quiet_eddsa

ALGORITHMS = (ALG, "Ed25519")  # RFC 9864's fully specified name for the same signature
PASSING = {"gate": "approved", "proposal": "passed"}
NOT_GIVEN: Any = object()  # `verify(payload=NOT_GIVEN)`: the executor did not say what it is about to do


def sign(claims: dict[str, Any], key: SigningKey) -> str:
    """The compact JWS of `claims` (their RFC 8785 canonical JSON) signed with `key`."""
    header = {"alg": ALG, "kid": key.kid, "typ": "JWT"}
    with quiet_eddsa():
        return jws.serialize_compact(header, canonical_json(claims), key.key, algorithms=[ALG])


def claims_of(receipt: str) -> dict[str, Any]:
    """The claims of a receipt, NOT verified (for showing what it says); ValueError when malformed."""
    parts = receipt.strip().split(".")
    if len(parts) != 3:
        raise ValueError("a compact JWS has three parts separated by dots")
    value = json.loads(_b64(parts[1]))
    if not isinstance(value, dict):
        raise ValueError("the claims are not a JSON object")
    return value


@dataclass(frozen=True)
class Verification:
    """The answer of `verify`: `ok`, else `reason` names the check that failed."""

    ok: bool
    reason: str
    claims: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.ok, "reason": self.reason, "claims": self.claims}


def verify(receipt: str, jwks: dict[str, Any], *, now: datetime, payload: Any = NOT_GIVEN) -> Verification:
    """Check a receipt against a JWK Set: the signature holds with a known key, `exp` has not passed, the
    outcome is `approved` (gate) or `passed` (proposal), and for a gate that `payload` was given and has the
    receipt's digest. Reasons: "bad signature", "unknown key", "expired at <instant>", "outcome <o>",
    "payload not given", "payload differs"."""
    token = receipt.strip()
    try:
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not three parts")
        header = json.loads(_b64(parts[0]))
        if not isinstance(header, dict):
            raise ValueError("header is not an object")
    except (ValueError, UnicodeDecodeError):
        return Verification(False, "bad signature: the receipt is not a compact JWS")
    if header.get("alg") not in ALGORITHMS:
        return Verification(False, f"bad signature: algorithm {header.get('alg')!r} is not EdDSA")
    jwk = next((k for k in jwks.get("keys") or [] if isinstance(k, dict) and k.get("kid") == header.get("kid")), None)
    if jwk is None:
        return Verification(False, f"unknown key: {header.get('kid')!r} is not in the key set")
    try:
        with quiet_eddsa():
            public = OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x") if k in jwk})
            signed = jws.deserialize_compact(token, public, algorithms=list(ALGORITHMS))
        claims = json.loads(signed.payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")
    except (JoseError, ValueError, KeyError, TypeError):
        return Verification(False, "bad signature")
    exp = claims.get("exp")
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return Verification(False, "bad signature: exp is not a number", claims)
        if now.timestamp() >= exp:
            return Verification(False, f"expired at {instant(exp)}", claims)
    kind = claims.get("kind")
    outcome = claims.get("outcome")
    if kind not in PASSING or outcome != PASSING[kind]:
        return Verification(False, f"outcome {outcome}", claims)
    if kind == "gate":
        if payload is NOT_GIVEN:
            return Verification(False, "payload not given", claims)
        try:
            digest = sha256_hex(canonical_json(payload))
        except NotCanonicalError:
            digest = None
        if digest != claims.get("payload_digest"):
            return Verification(False, "payload differs", claims)
    return Verification(True, "verified", claims)


def instant(seconds: float) -> str:
    """Seconds since the epoch as an ISO-8601 UTC instant ending in Z."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _b64(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from None
