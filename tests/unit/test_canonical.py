"""Canonical JSON and payload digests (SPEC §5 rev. 2): one spelling per value, refusals that say why."""

from __future__ import annotations

import hashlib

import pytest

from accord.canonical import NotCanonicalError, canonical_json, payload_digest
from accord.domain.errors import ValidationError


def test_key_order_and_number_spelling_do_not_change_the_bytes() -> None:
    assert canonical_json({"b": 1, "a": [1.0, "é"]}) == canonical_json({"a": [1, "é"], "b": 1.0})
    assert canonical_json({"b": 1, "a": [1.0, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()


def test_absent_payload_is_the_digest_of_null() -> None:
    assert payload_digest(None) == hashlib.sha256(b"null").hexdigest()


def test_digest_is_lowercase_hex_sha256_of_the_canonical_bytes() -> None:
    assert (
        payload_digest({"version": "2.0", "env": "prod"})
        == hashlib.sha256(b'{"env":"prod","version":"2.0"}').hexdigest()
    )


@pytest.mark.parametrize(
    ("payload", "why"),
    [(2**60, "safe integer"), (float("nan"), "nan"), (float("inf"), "inf"), ({"x": "a\ud800"}, "non-UTF-8")],
)
def test_values_without_a_canonical_form_are_refused_saying_why(payload: object, why: str) -> None:
    with pytest.raises(ValidationError, match="payload is not canonical JSON: .*" + why) as info:
        payload_digest(payload)
    assert info.value.details["field"] == "payload"
    with pytest.raises(NotCanonicalError):
        canonical_json(payload)
