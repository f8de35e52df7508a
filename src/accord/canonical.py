"""Canonical JSON (RFC 8785, JCS) and the digests built on it (SPEC §5 rev. 2, §12).

One value has exactly one canonical spelling, so a SHA-256 over it binds an approval to a payload and chains
events. The encoding is the `rfc8785` library's; this module only names the two uses and their refusal.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from accord.domain.errors import ValidationError


class NotCanonicalError(ValueError):
    """A value with no RFC 8785 form: an integer beyond ±2^53, a non-finite number, a lone surrogate, ..."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value` (dicts, lists, str, int, float, bool, None).

    Raises NotCanonicalError saying why when `value` has no canonical form."""
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
