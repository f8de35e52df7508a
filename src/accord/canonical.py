"""Canonical JSON (RFC 8785, JCS) and the digests built on it (SPEC §5 rev. 2, §12).

One value has exactly one canonical spelling, so a SHA-256 over it binds an approval to a payload and chains
events. The encoding is the `rfc8785` library's; this module only names the two uses and their refusal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from accord.domain.errors import ValidationError


class NotCanonicalError(ValueError):
    """A value with no RFC 8785 form: an integer beyond ±2^53, a non-finite number, a lone surrogate, ..."""


MAX_SAFE_INTEGER = 2**53 - 1
_FIRST_SURROGATE = "\ud800"
_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def plain_json(value: Any) -> bool:
    """Whether the standard library's JSON spells `value` exactly as RFC 8785 does: no floats (JCS writes
    numbers as ECMAScript does), integers within ±(2^53 - 1), and object keys below U+D800 (JCS sorts keys by
    UTF-16 code units, Python by code points: the same order there). Strings escape alike (quote, backslash
    and control characters, lowercase hex); lone surrogates fail at the UTF-8 encode and take the slow path."""
    try:
        return _plain(value)
    except RecursionError:  # nested deeper than Python recurses: leave it to rfc8785 (which refuses it)
        return False


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key, default="") < _FIRST_SURROGATE):
                return False
            if type(item) is not str and not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) is str or _plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value` (dicts, lists, str, int, float, bool, None).

    Values the standard library spells exactly as JCS (no floats, safe integers, keys below U+D800) take its C
    encoder, ~10x faster than the `rfc8785` library, which encodes the rest (and agrees on the former: a
    property test holds them equal). Raises NotCanonicalError saying why when `value` has no canonical form."""
    if plain_json(value):
        try:
            return _encoder.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it, saying so
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalError(str(exc)) from None
    except TypeError as exc:  # a value JSON cannot hold (a set, a datetime, ...)
        raise NotCanonicalError(str(exc)) from None


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def payload_digest(payload: Any) -> str:
    """The lowercase hex SHA-256 of `payload`'s canonical JSON; an absent payload is JCS of `null` (SPEC §5 rev. 2).

    Raises ValidationError "payload is not canonical JSON: <why>" (field `payload`)."""
    try:
        return sha256_hex(canonical_json(payload))
    except NotCanonicalError as exc:
        raise ValidationError(f"payload is not canonical JSON: {exc}", field="payload") from None
