"""Decision receipts (SPEC §12): issued once with the decision, read back unchanged, redeemed once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accord.canonical import payload_digest
from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.proposals import Proposal
from accord.proof import receipts
from accord.proof.chain import chainable
from accord.services.access import visible_groups
from accord.services.context import Context, record
from accord.services.ids import new_id
from accord.services.proof import KeyService
from accord.storage.event_log import PendingEvent
from accord.storage.proof_repository import ProofRepository
from accord.storage.uow import UnitOfWork

DEFAULT_TTL_SECONDS = 900


def digest_of(payload: Any) -> str:
    """The gate payload's digest (SPEC §5): JCS SHA-256, the same function `gate_request` uses."""
    try:
        return payload_digest(payload)
    except ValidationError:  # stored before payloads had to be canonical: digest its chainable spelling
        return payload_digest(chainable(payload))


def claims_for(p: Proposal, *, jti: str, issuer: str, at: datetime, ttl_seconds: int) -> dict[str, Any]:
    """The SPEC §12 claims of `p`'s decision (all but `event_hash`, known once the event is chained)."""
    figures = p.outcome or {}
    gate = figures.get("gate") if p.kind == "gate" else None
    voters = [
        {"name": b.voter, "vote": b.shown(), "confidence": float(b.confidence)}
        for b in sorted(p.ballots.values(), key=lambda b: b.voter)
    ]
    claims: dict[str, Any] = {
        "iss": issuer,
        "jti": jti,
        "iat": int(at.timestamp()),
        "kind": "gate" if p.kind == "gate" else "proposal",
        "sub": p.id,
        "group": p.group,
        "subject": p.subject,
        "outcome": gate["status"] if gate else figures.get("outcome"),
        "result": figures.get("result"),
        "threshold_met": bool(figures.get("threshold_met")),
        "tally": (gate or figures).get("tally") or {},
        "voters": voters,
        "method": (p.resolution or {}).get("method"),
    }
    if gate is not None:
        claims["requester"] = p.created_by
        claims["payload_digest"] = digest_of(p.payload)
        claims["exp"] = claims["iat"] + ttl_seconds
    return claims


class ReceiptService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.keys = KeyService(ctx)

    # -- issuing, inside the decision's own transaction -----------------------------------------------------

    def issue(self, uow: UnitOfWork, p: Proposal, decided: PendingEvent, *, now: datetime) -> None:
        """Issue `p`'s receipt with its decision (`decided` is the decision's event): signed once the event
        has its hash, stored in the same transaction. A decision already holding a receipt keeps it."""
        repo = ProofRepository(uow.conn)
        if repo.receipt_for(p.id) is not None:
            return
        ttl = DEFAULT_TTL_SECONDS
        if p.kind == "gate":
            ttl = int((uow.groups.get(p.group) or {}).get("receipt_ttl_seconds") or DEFAULT_TTL_SECONDS)
        jti = new_id("rcpt")
        claims = claims_for(p, jti=jti, issuer=self.ctx.issuer, at=now, ttl_seconds=ttl)
        key = self.keys.signing_key(uow)

        def sign_and_store() -> None:
            claims["event_hash"] = decided.hash
            repo.add_receipt(
                {
                    "jti": jti,
                    "proposal_id": p.id,
                    "kind": claims["kind"],
                    "group_name": p.group,
                    "requester": p.created_by if p.kind == "gate" else None,
                    "outcome": claims["outcome"],
                    "token": receipts.sign(claims, key),
                    "issued_at": now,
                    "expires_at": now + timedelta(seconds=ttl) if "exp" in claims else None,
                }
            )

        uow.events.after_flush(sign_and_store)

    # -- reading -------------------------------------------------------------------------------------------

    @staticmethod
    def stored(uow: UnitOfWork, proposal_id: str) -> str | None:
        """The receipt issued for this proposal or gate, or None (still undecided)."""
        row = ProofRepository(uow.conn).receipt_for(proposal_id)
        return None if row is None else str(row["token"])

    def verify(self, receipt: str, payload: Any = receipts.NOT_GIVEN) -> dict[str, Any]:
        """Check a receipt against this store's keys, as `accord receipt verify` does offline with a JWKS:
        {valid, reason, claims}; `reason` is "verified" or the failed check (SPEC §12)."""
        if not isinstance(receipt, str) or not receipt.strip():
            raise ValidationError("receipt is required: the compact JWS a decision returned", field="receipt")
        jwks = self.keys.jwks()
        return receipts.verify(receipt, jwks, now=self.ctx.now(), payload=payload).as_dict()

    # -- redeeming -----------------------------------------------------------------------------------------

    def redeem(self, actor: Member, jti: str) -> dict[str, Any]:
        """Mark a gate receipt used, once (SPEC §12): only the gate's requester or an administrator; a
        receipt of a group the caller is not in is not found. Refused: a proposal receipt, an outcome other
        than approved, a receipt already redeemed or expired."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo = ProofRepository(uow.conn)
            row = repo.receipt(jti, for_update=True)
            groups = visible_groups(uow, actor)
            if row is None or (groups is not None and row["group_name"] not in groups):
                raise NotFoundError(f"receipt {jti} not found", jti=jti)
            if row["kind"] != "gate":
                raise ConflictError(f"receipt {jti} is a proposal receipt: only gate receipts are redeemed", jti=jti)
            if not (actor.is_admin or actor.name == row["requester"]):
                raise ForbiddenError(
                    f"{actor.name} may not redeem receipt {jti}: only requester {row['requester']} may", jti=jti
                )
            if row["outcome"] != "approved":
                raise ConflictError(
                    f"receipt {jti} records outcome {row['outcome']}: only an approved gate's receipt is redeemed",
                    jti=jti,
                )
            if row["redeemed_at"] is not None:
                raise ConflictError(f"receipt {jti} was redeemed at {row['redeemed_at'].isoformat()}", jti=jti)
            if row["expires_at"] is not None and now >= row["expires_at"]:
                raise ConflictError(f"receipt {jti} expired at {row['expires_at'].isoformat()}", jti=jti)
            if not repo.redeem(jti, actor.name, now):  # lost a race to another redeem (SQLite serialises this)
                again = repo.receipt(jti)
                assert again is not None and again["redeemed_at"] is not None
                raise ConflictError(f"receipt {jti} was redeemed at {again['redeemed_at'].isoformat()}", jti=jti)
            record(
                uow,
                "receipt.redeemed",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=row["proposal_id"],
                jti=jti,
                proposal_id=row["proposal_id"],
            )
            uow.commit()
        return {
            "jti": jti,
            "redeemed": True,
            "redeemed_at": now.isoformat(),
            "redeemed_by": actor.name,
            "request_id": row["proposal_id"],
            "group": row["group_name"],
            "outcome": row["outcome"],
        }
