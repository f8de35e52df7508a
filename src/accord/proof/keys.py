"""Ed25519 signing keys (SPEC §12): made with `cryptography`, published as a JWKS, kept private.

A key's id (`kid`) is its RFC 7638 JWK thumbprint, so the same key has the same id everywhere and two stores
never share one by accident. Private keys leave this module only as PKCS#8 PEM for the store or the key file;
nothing here prints or logs them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

ALG = "EdDSA"  # SPEC §12; RFC 9864 also names it "Ed25519", which verification accepts
PEM_END = "-----END PRIVATE KEY-----"


@contextmanager
def quiet_eddsa() -> Iterator[None]:
    """joserfc warns that RFC 9864 deprecates the name "EdDSA" (in favour of "Ed25519"); the SPEC names EdDSA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        yield


@dataclass(frozen=True)
class SigningKey:
    """A private key and its id; `repr` never shows the key."""

    kid: str
    key: OKPKey

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


def generate() -> SigningKey:
    """A new Ed25519 key."""
    return from_pem(
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )


def from_pem(pem: str) -> SigningKey:
    """The key in a PKCS#8 PEM text (ValueError when it is not an Ed25519 private key)."""
    key = OKPKey.import_key(pem)
    if not key.is_private or key.as_dict(private=False).get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 private key")
    return SigningKey(kid=key.thumbprint(), key=key)


def private_pem(key: SigningKey) -> str:
    """PKCS#8 PEM of the private key: for the store or the key file only."""
    return key.key.as_pem(private=True).decode("ascii")


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The public half as a JWK: {kty, crv, x, kid, alg, use}."""
    public = key.key.as_dict(private=False)
    return {"kty": "OKP", "crv": "Ed25519", "x": public["x"], "kid": key.kid, "alg": ALG, "use": "sig"}


def jwks(public_keys: list[dict[str, Any]]) -> dict[str, Any]:
    """A JWK Set of public keys, with nothing private in it whatever was passed."""
    allowed = ("kty", "crv", "x", "kid", "alg", "use")
    return {"keys": [{k: jwk[k] for k in allowed if k in jwk} for jwk in public_keys]}


def read_key_file(path: str | Path) -> list[SigningKey]:
    """The keys in a key file (PEM blocks, oldest first); an absent file holds none."""
    file = Path(path)
    if not file.exists():
        return []
    text = file.read_text(encoding="ascii")
    blocks = [b.strip() + "\n" + PEM_END + "\n" for b in text.split(PEM_END) if b.strip()]
    return [from_pem(b) for b in blocks]


def append_to_key_file(path: str | Path, key: SigningKey) -> None:
    """Add a key to the key file, creating it readable by its owner only (mode 0600)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as handle:
        handle.write(private_pem(key))
