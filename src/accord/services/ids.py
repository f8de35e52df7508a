"""Opaque, prefixed ids (prop_…, ms_…, msg_…, cg_…, cons_…) and member tokens."""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def new_token() -> str:
    """`acc_` and 40 random url-safe characters; shown once, stored only as a hash."""
    return "acc_" + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
