"""Receipts signed and checked offline (SPEC §12): only a JWKS, the receipt and the time."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from joserfc import jws

from accord.canonical import payload_digest
from accord.proof import keys, receipts

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PAYLOAD = {"version": "2.0", "env": "prod"}


def gate_claims(**over: Any) -> dict[str, Any]:
    claims = {
        "iss": "http://accord.test",
        "jti": "rcpt_1",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "kind": "gate",
        "sub": "prop_1",
        "group": "eng",
        "subject": "deploy",
        "requester": "ci",
        "payload_digest": payload_digest(PAYLOAD),
        "outcome": "approved",
        "result": "yes",
        "threshold_met": True,
        "tally": {"yes": 2, "no": 0, "abstain": 0},
        "voters": [{"name": "ana", "vote": "yes", "confidence": 1.0}],
        "method": "gate_close",
        "event_hash": "a" * 64,
    }
    return {**claims, **over}


@pytest.fixture(scope="module")
def key() -> keys.SigningKey:
    return keys.generate()


def check(token: str, key: keys.SigningKey, payload: Any = PAYLOAD, now: datetime = NOW) -> receipts.Verification:
    return receipts.verify(token, keys.jwks([keys.public_jwk(key)]), now=now, payload=payload)


def test_a_gate_receipt_verifies_with_the_jwks_alone(key: keys.SigningKey) -> None:
    token = receipts.sign(gate_claims(), key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    result = check(token, key)
    assert (result.ok, result.reason, result.claims) == (True, "verified", gate_claims())
    assert receipts.claims_of(token) == gate_claims()


def test_each_failure_names_its_check(key: keys.SigningKey) -> None:
    token = receipts.sign(gate_claims(), key)
    assert check(token, key, payload={**PAYLOAD, "env": "staging"}).reason == "payload differs"
    assert check(token, key, payload=receipts.NOT_GIVEN).reason == "payload not given"
    assert check(token, key, payload={"n": 2**60}).reason == "payload differs"  # no canonical form
    expired = check(token, key, now=datetime(2026, 5, 1, 12, 15, tzinfo=UTC))
    assert expired.reason == "expired at 2026-05-01T12:15:00Z"
    assert check(receipts.sign(gate_claims(outcome="expired"), key), key).reason == "outcome expired"
    other = keys.generate()
    assert check(receipts.sign(gate_claims(), other), key).reason.startswith("unknown key")
    assert check("not a receipt", key).reason.startswith("bad signature")


def test_one_changed_byte_anywhere_fails(key: keys.SigningKey) -> None:
    token = receipts.sign(gate_claims(), key)
    failures = set()
    for i in range(len(token)):
        if token[i] == ".":
            continue
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        result = check(changed, key)
        if changed != token:
            assert not result.ok, i
            failures.add(result.reason.split(":")[0])
    assert failures <= {"bad signature", "unknown key"}
    assert "bad signature" in failures


def test_a_proposal_receipt_needs_no_payload_and_passes_only_when_passed(key: keys.SigningKey) -> None:
    claims = gate_claims(kind="proposal", outcome="passed")
    for gate_only in ("exp", "requester", "payload_digest"):
        claims.pop(gate_only)
    assert check(receipts.sign(claims, key), key, payload=receipts.NOT_GIVEN).ok
    rejected = {**claims, "outcome": "rejected"}
    assert check(receipts.sign(rejected, key), key).reason == "outcome rejected"


def test_rfc_9864s_name_for_the_algorithm_is_accepted_too(key: keys.SigningKey) -> None:
    payload = json.dumps(gate_claims()).encode()
    token = jws.serialize_compact({"alg": "Ed25519", "kid": key.kid}, payload, key.key, algorithms=["Ed25519"])
    assert check(token, key).ok


def test_nothing_private_in_a_jwks_or_a_repr(key: keys.SigningKey) -> None:
    private = str(key.key.as_dict(private=True)["d"])
    leaked = dict(keys.public_jwk(key), d=private)
    assert "d" not in keys.jwks([leaked])["keys"][0]
    assert private not in repr(key) and private not in json.dumps(keys.public_jwk(key))
