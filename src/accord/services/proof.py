"""The verifiable record (SPEC §12): signing keys and the audit of the hash chain."""

from __future__ import annotations

import threading
from typing import Any

from accord.domain.errors import ForbiddenError
from accord.domain.members import Member
from accord.proof import chain, keys
from accord.services.context import Context, record
from accord.storage.proof_repository import ProofRepository
from accord.storage.uow import UnitOfWork

_cache_guard = threading.Lock()
_private_cache: dict[str, keys.SigningKey] = {}  # kid -> key: a kid names one key forever (its thumbprint)


class KeyService:
    """The store's Ed25519 keys: the newest signs, every one verifies; private halves never leave."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- for the other services ----------------------------------------------------------------------------

    def signing_key(self, uow: UnitOfWork) -> keys.SigningKey:
        """The key that signs now (made first if the store has none), inside the caller's write transaction."""
        repo = ProofRepository(uow.conn)
        rows = repo.keys()
        if not rows or self._file_has_unregistered(rows):
            repo.lock_keys()
            self._register(uow, repo)
            rows = repo.keys()
        active = rows[-1]
        return self._private(active)

    def ensure(self) -> None:
        """Give the store a signing key if it has none (`accord init`; the migration does it for old stores)."""
        with self.ctx.uow() as uow:
            self.signing_key(uow)
            uow.commit()

    def public_keys(self) -> list[dict[str, Any]]:
        """Every public key as a JWK (making the first key if there is none)."""
        with self.ctx.uow(write=False) as uow:
            rows = ProofRepository(uow.conn).keys()
        if not rows:
            self.ensure()
            with self.ctx.uow(write=False) as uow:
                rows = ProofRepository(uow.conn).keys()
        return [dict(r["public_jwk"]) for r in rows]

    # -- operations ----------------------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The JWK Set of every key, old ones included (receipts they signed still verify)."""
        return keys.jwks(self.public_keys())

    def show(self) -> dict[str, Any]:
        """The keys: kid, when made, whether it signs now, where its private half is kept, its public JWK."""
        self.public_keys()
        with self.ctx.uow(write=False) as uow:
            rows = ProofRepository(uow.conn).keys()
        return {
            "keys": [
                {
                    "kid": r["kid"],
                    "created_at": r["created_at"].isoformat(),
                    "active": i == len(rows) - 1,
                    "private_key_in": "store" if r["private_pem"] else "key file",
                    "public_jwk": dict(r["public_jwk"]),
                }
                for i, r in enumerate(rows)
            ],
            "jwks": keys.jwks([dict(r["public_jwk"]) for r in rows]),
        }

    def rotate(self, actor: Member) -> dict[str, Any]:
        """Make a new signing key (administrators); older keys stay in the JWKS for verification."""
        if not actor.is_admin:
            raise ForbiddenError(f"{actor.name} may not rotate the signing key: only store administrators may")
        now = self.ctx.now()
        key = keys.generate()
        with self.ctx.uow() as uow:
            repo = ProofRepository(uow.conn)
            repo.lock_keys()
            if self.ctx.key_file:
                keys.append_to_key_file(self.ctx.key_file, key)
                repo.add_key(key.kid, keys.public_jwk(key), None, now)
            else:
                repo.add_key(key.kid, keys.public_jwk(key), keys.private_pem(key), now)
            record(uow, "key.rotated", at=now, actor=actor.name, group=None, ref=f"key:{key.kid}", kid=key.kid)
            uow.commit()
        return self.show()

    # -- internals -----------------------------------------------------------------------------------------

    def _file_has_unregistered(self, rows: list[dict[str, Any]]) -> bool:
        if not self.ctx.key_file:
            return False
        known = {r["kid"] for r in rows}
        return any(k.kid not in known for k in keys.read_key_file(self.ctx.key_file))

    def _register(self, uow: UnitOfWork, repo: ProofRepository) -> None:
        """Under the keys lock: record the key file's keys, or make the first key."""
        now = self.ctx.now()
        known = {r["kid"] for r in repo.keys()}
        if self.ctx.key_file:
            found = keys.read_key_file(self.ctx.key_file)
            if not found and not known:
                found = [keys.generate()]
                keys.append_to_key_file(self.ctx.key_file, found[0])
            for key in found:
                if key.kid not in known:
                    repo.add_key(key.kid, keys.public_jwk(key), None, now)
                    known.add(key.kid)
        elif not known:
            key = keys.generate()
            repo.add_key(key.kid, keys.public_jwk(key), keys.private_pem(key), now)

    def _private(self, row: dict[str, Any]) -> keys.SigningKey:
        kid = row["kid"]
        with _cache_guard:
            cached = _private_cache.get(kid)
        if cached is not None:
            return cached
        if row["private_pem"]:
            key = keys.from_pem(row["private_pem"])
        else:
            found = {k.kid: k for k in keys.read_key_file(self.ctx.key_file)} if self.ctx.key_file else {}
            if kid not in found:
                raise RuntimeError(
                    f"the private half of signing key {kid} is neither in the store nor in ACCORD_SIGNING_KEY_FILE"
                )
            key = found[kid]
        with _cache_guard:
            _private_cache[kid] = key
        return key


class AuditService:
    """The hash chain's audit: recompute it all, or give its head to pin."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def verify(self, actor: Member, pinned: tuple[int, str] | None = None) -> dict[str, Any]:
        """Recompute every event's hash from the genesis (administrators). Returns {ok, verified, head,
        problem, event_id, message}: `message` is "<n> events verified; head <id> <hash>", or the problem
        ("event <id> is missing", "event <id> does not match its hash"); `pinned` (id, hash) is a head seen
        earlier that must still be in the chain, unchanged."""
        if not actor.is_admin:
            raise ForbiddenError(f"{actor.name} may not verify the audit chain: only store administrators may")
        with self.ctx.uow(write=False) as uow:
            verdict = chain.verify(ProofRepository(uow.conn).chain(), pinned)
        return verdict.as_dict()

    def head(self, actor: Member) -> dict[str, Any]:
        """The newest event's id and hash (anyone signed in), to pin: deleting the newest events is seen
        only against a head pinned earlier. {"id": 0, "hash": 64 zeros} for an empty log."""
        with self.ctx.uow(write=False) as uow:
            head = ProofRepository(uow.conn).head()
        if head is None:
            return {"id": 0, "hash": chain.GENESIS}
        return {"id": int(head["id"]), "hash": head["hash"]}
