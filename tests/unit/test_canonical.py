"""Canonical JSON and payload digests (SPEC §5 rev. 2): one spelling per value, refusals that say why."""

from __future__ import annotations

import hashlib

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

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


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) - 5, max_value=2**53 + 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_the_fast_path_spells_every_value_as_rfc8785_does(value: object) -> None:
    try:
        expected: bytes | None = rfc8785.dumps(value)  # type: ignore[arg-type]
    except (rfc8785.CanonicalizationError, TypeError):
        expected = None
    if expected is None:
        with pytest.raises(NotCanonicalError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_keys_beyond_the_basic_plane_sort_as_utf16_does() -> None:
    value = {"\U0001f600": 1, "\uff61": 2, "a": 3}  # code points sort 😀 last; UTF-16 units sort it before ｡
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json({"a\x1fb": "\x00\x7f\u2028"}) == rfc8785.dumps({"a\x1fb": "\x00\x7f\u2028"})
