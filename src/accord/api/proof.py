"""The verifiable record as operations (SPEC §12): the chain's audit, signing keys, receipts."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase
from accord.domain.errors import ValidationError
from accord.proof.receipts import NOT_GIVEN


def parse_pin(pinned: str | None) -> tuple[int, str] | None:
    """A pinned head written `ID:HASH` (as `audit_head` gives it), or a ValidationError naming `pinned`."""
    if pinned is None or not pinned.strip():
        return None
    event_id, _, digest = pinned.strip().partition(":")
    digest = digest.strip().lower()
    if not event_id.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError(
            f"pinned {pinned!r} is not ID:HASH (an event id and its 64 hex digit hash, as audit head prints)",
            field="pinned",
        )
    return int(event_id), digest


class ProofApi(ApiBase):
    def audit_verify(self, pinned: str | None = None) -> dict[str, Any]:
        """Recompute the event log's hash chain from the genesis (store administrators; SPEC §12).

        Returns {ok, verified, head: {id, hash}, problem, event_id, message}: `message` is "<n> events
        verified; head <id> <hash>" or names the first event that is missing ("event <id> is missing") or
        whose hash does not match. pinned: "ID:HASH" from an earlier `audit_head`, which must still be in the
        chain unchanged (deleting the newest events is seen only so). ForbiddenError for non-administrators."""
        return self.services.audit.verify(self.actor, parse_pin(pinned))

    def audit_head(self) -> dict[str, Any]:
        """The newest event's {id, hash} (anyone signed in; SPEC §12), to pin and check later with
        `audit_verify(pinned="ID:HASH")`. An empty log has id 0 and 64 zeros."""
        return self.services.audit.head(self.actor)

    def show_keys(self) -> dict[str, Any]:
        """The store's Ed25519 signing keys, public halves only (SPEC §12): {keys: [{kid, created_at, active,
        private_key_in, public_jwk}], jwks}; the newest is `active` and signs, older ones still verify."""
        return self.services.keys.show()

    def rotate_key(self) -> dict[str, Any]:
        """Make a new signing key that signs from now on; old keys stay in the JWKS so the receipts they
        signed still verify (store administrators; SPEC §12). Returns what `show_keys` returns."""
        return self.services.keys.rotate(self.actor)

    def verify_receipt(self, receipt: str, payload: Any = NOT_GIVEN) -> dict[str, Any]:
        """Check a decision receipt (compact JWS) against this store's keys (SPEC §12): {valid, reason,
        claims}. Valid only when the signature holds with a known key, `exp` has not passed, the outcome is
        `approved` (gate) or `passed` (proposal) and, for a gate, `payload` is given and has the receipt's
        payload_digest. Otherwise `reason` is one of "bad signature", "unknown key", "expired at <instant>",
        "outcome <o>", "payload differs", "payload not given"."""
        return self.services.receipts.verify(receipt, payload)

    def redeem_receipt(self, jti: str) -> dict[str, Any]:
        """Mark an approved gate's receipt used, once (SPEC §12): the first call answers {jti, redeemed,
        redeemed_at, redeemed_by, request_id, group, outcome}; later ones ConflictError "receipt <jti> was
        redeemed at <instant>". Only the gate's requester or an administrator (ForbiddenError "<m> may not
        redeem receipt <jti>: only requester <r> may"); NotFoundError "receipt <jti> not found" outside its
        group; ConflictError for an expired receipt, one recording another outcome, or a proposal receipt."""
        return self.services.receipts.redeem(self.actor, jti)
