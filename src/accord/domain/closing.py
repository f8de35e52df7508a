"""Who may finalize a proposal, and when (SPEC §2.5 rev. 2): closable, refused, or forced fail-closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from accord.domain import deliberation
from accord.domain.errors import ConflictError, ForbiddenError, ValidationError
from accord.domain.proposals import MAX_COMMENT, Proposal
from accord.domain.settled import Settlement, settle
from accord.domain.tally import TallyResult

Because = Literal["everyone_voted", "deadline_passed", "settled"]


@dataclass(frozen=True)
class Closable:
    """Whether a proposal may be finalized now, and why: (a) every eligible non-advisory voter has voted, (b) the
    deadline has passed, or (c) the outcome is settled."""

    because: Because | None
    settlement: Settlement
    eligible: int

    @property
    def closable(self) -> bool:
        return self.because is not None

    @property
    def missing(self) -> tuple[str, ...]:
        return self.settlement.missing

    def view(self) -> dict[str, Any]:
        """What every view of an open proposal shows about finalizing it."""
        return {
            "closable": self.closable,
            "because": self.because,
            "missing": list(self.missing),
            "settled": self.settlement.view(),
            "text": self.text(),
        }

    def text(self) -> str:
        if self.because == "everyone_voted":
            return "every eligible voter has voted: it can be finalized now"
        if self.because == "deadline_passed":
            return "the deadline has passed: it can be finalized now"
        if self.because == "settled":
            s = self.settlement
            what = f"{s.outcome} ({s.result})" if s.result else str(s.outcome)
            return (
                f"settled as {what}: the {len(self.missing)} voter(s) still missing cannot change the outcome, "
                "so it can be finalized now"
            )
        return (
            f"{len(self.missing)} of {self.eligible} eligible voters have not voted and could change the outcome; "
            "it can be finalized when they have voted, after the deadline, or once the outcome is settled"
        )


def closability(p: Proposal, now: datetime) -> Closable:
    """How `p` may be finalized at `now` (only an open proposal is ever closable)."""
    eligible = len(p.counted_voters)
    settlement = settle(p)
    because: Because | None = None
    if p.is_open:
        if not settlement.missing:
            because = "everyone_voted"
        elif p.past_deadline(now):
            because = "deadline_passed"
        elif settlement.settled:
            because = "settled"
    return Closable(because, settlement, eligible)


def ensure_decidable(p: Proposal) -> None:
    """Only an open proposal is finalized; an escalated one belongs to a human owner/admin (SPEC §2.5)."""
    if p.status == "escalated":
        raise ConflictError(
            f"proposal {p.id} is escalated: a human owner/admin decides it with resolve_proposal",
            mentions=("resolve_proposal",),
            proposal_id=p.id,
            status=p.status,
        )
    p.ensure_open()


def check_finalize(p: Proposal, member: str, *, manages: bool, now: datetime) -> Closable:
    """Refuse unless `member` may finalize `p` now (SPEC §2.5): its creator, the group's owners/admins and any
    eligible voter, once the proposal is closable."""
    ensure_decidable(p)
    if not (manages or member == p.created_by or member in p.voters):
        raise ForbiddenError(
            f"{member} may not finalize {p.id}: only its creator, group owners/admins and eligible voters may",
            proposal_id=p.id,
            member=member,
        )
    state = closability(p, now)
    if not state.closable:
        raise ConflictError(
            f"proposal {p.id} cannot be finalized yet: {state.text()}",
            proposal_id=p.id,
            missing=list(state.missing),
            eligible=state.eligible,
        )
    return state


def check_force(p: Proposal, member: str, *, manages: bool, rationale: str | None) -> str:
    """Refuse a forced finalize unless a group owner/admin gives a rationale; returns the rationale, trimmed."""
    ensure_decidable(p)
    text = rationale.strip() if isinstance(rationale, str) else ""
    if not text:
        raise ValidationError("rationale is required with force", field="rationale")
    if len(text) > MAX_COMMENT:
        raise ValidationError(f"rationale is {len(text)} characters; at most {MAX_COMMENT} allowed", field="rationale")
    if not manages:
        raise ForbiddenError(
            f"{member} may not force {p.id}: only group owners/admins may", proposal_id=p.id, member=member
        )
    return text


def forced(
    p: Proposal, result: TallyResult, figures: dict[str, Any], *, rationale: str, by: str, at: datetime
) -> tuple[dict[str, Any], dict[str, Any], deliberation.Step]:
    """A forced finalize, fail-closed (SPEC §2.5): `passed` only when settled as passed, else `vetoed` when a veto
    stands, else `rejected` (yes/no) or `no_consensus`. It skips `on_no_consensus`; critical scrutiny still applies
    (the step is then an escalation). Returns (figures, resolution, step)."""
    s = settle(p, with_override=False)
    resolution: dict[str, Any] = {
        "method": "forced",
        "rationale": rationale,
        "by": by,
        "at": at.isoformat(),
        "settled": s.settled,
        "settled_outcome": s.outcome if s.settled else None,
        "vote_outcome": result.outcome,
        "missing": list(s.missing),
    }
    if s.settled and s.outcome == "passed":
        if p.critical and result.unanimous_count >= 3:
            return figures, resolution, deliberation.Step("escalate", reason=deliberation.SCRUTINY)
        return figures, resolution, deliberation.Step("finalize")
    outcome = "vetoed" if result.vetoed_by else ("rejected" if p.rules.binary else "no_consensus")
    changed = {**figures, "outcome": outcome, "threshold_met": False}
    if p.rules.binary:
        changed["result"] = p.rules.options[1]
    return changed, resolution, deliberation.Step("finalize")
