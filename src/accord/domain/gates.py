"""Gates (SPEC §5): who counts, and when a gate is approved, rejected, pending, vetoed or expired.

A gate is a yes/no proposal of kind "gate" with a subject. Its irreversibility is decided once, when it is
requested, and kept as the proposal's threshold type (`two_thirds` irreversible, `majority` standard), so a
later change of the group's pattern never changes a running gate (like the voter snapshot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from accord.domain import limits
from accord.domain.errors import ValidationError
from accord.domain.numbers import as_float
from accord.domain.proposals import Proposal, Voter
from accord.domain.summary import veto_text
from accord.domain.tally import humans_text

KIND = "gate"
GateStatus = Literal["approved", "rejected", "pending", "vetoed", "expired"]
DECIDED: tuple[GateStatus, ...] = ("approved", "rejected", "vetoed", "expired")
VOTES = ("yes", "no", "abstain")
STANDARD_SHARE = Fraction(1, 2)  # the yes share must be more than this
IRREVERSIBLE_SHARE = Fraction(2, 3)  # ... or at least this, for irreversible subjects
DEFAULT_PATTERN = "push|deploy|merge|release|publish"
MAX_SUBJECT = 500
MAX_TIMEOUT_SECONDS = 31 * 24 * 3600
IRREVERSIBLE_TYPE, STANDARD_TYPE = "two_thirds", "majority"


def is_irreversible(subject: str, pattern: str) -> bool:
    """Whether the group's irreversible-subject pattern matches `subject` (RE2, case-insensitive, anywhere)."""
    return limits.search(pattern, subject)


def threshold_type(irreversible: bool) -> str:
    return IRREVERSIBLE_TYPE if irreversible else STANDARD_TYPE


def irreversible_of(p: Proposal) -> bool:
    return p.rules.threshold_type == IRREVERSIBLE_TYPE


def describe(irreversible: bool) -> str:
    return "≥ 2/3" if irreversible else "> 1/2"


def check_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise ValidationError("subject is required: name the action the gate guards (e.g. deploy)", field="subject")
    if len(subject.strip()) > MAX_SUBJECT:
        raise ValidationError(f"subject is longer than {MAX_SUBJECT} characters", field="subject")
    return subject.strip()


def check_timeout(timeout_seconds: float | int) -> float:
    """A gate's timeout: a number of seconds greater than 0 and at most 31 days."""
    ok = (
        not isinstance(timeout_seconds, bool)
        and isinstance(timeout_seconds, int | float)
        and math.isfinite(timeout_seconds)
        and 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS
    )
    if not ok:
        raise ValidationError(
            f"timeout_seconds must be greater than 0 and at most {MAX_TIMEOUT_SECONDS} (31 days), "
            f"got {timeout_seconds!r}",
            field="timeout_seconds",
        )
    return float(timeout_seconds)


def check_vote(raw: object) -> str:
    """yes, no or abstain (any case), else a ValidationError listing them."""
    value = raw.strip().lower() if isinstance(raw, str) else None
    if value not in VOTES:
        raise ValidationError(f"vote {raw!r} is not allowed on a gate: use yes, no or abstain", field="vote")
    return value


def gate_voters(p: Proposal) -> list[Voter]:
    """The voters who count: non-advisory eligible voters other than the requester."""
    return [v for v in p.voters.values() if not v.advisory and v.name != p.created_by]


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.1f}".rstrip("0").rstrip(".") + "%"


@dataclass(frozen=True)
class GateCount:
    """A gate's ballots read under SPEC §5, as if it were decided now (before any timeout or close)."""

    status: GateStatus  # approved, rejected, pending or vetoed
    irreversible: bool
    voters: tuple[str, ...]
    ballots: int
    yes: int
    no: int
    abstain: int
    yes_share: Fraction
    quorum_met: bool
    share_met: bool
    vetoed_by: tuple[str, ...]
    veto_holders: tuple[str, ...]
    holders_without_yes: tuple[str, ...]
    awaiting: tuple[str, ...]
    reason: str
    humans_required: int = 0  # the group's irreversible_human_approvals, fixed when requested (SPEC §5)
    human_yes: int = 0  # yes ballots of human gate voters

    def figures(self) -> dict[str, Any]:
        """The JSON shape every face shows (the yes share as a float rounded to 4 places)."""
        return {
            "irreversible": self.irreversible,
            "threshold": describe(self.irreversible),
            "voters": list(self.voters),
            "eligible": len(self.voters),
            "ballots": self.ballots,
            "quorum_met": self.quorum_met,
            "tally": {"yes": self.yes, "no": self.no, "abstain": self.abstain},
            "yes_share": as_float(self.yes_share),
            "vetoed_by": list(self.vetoed_by),
            "veto_holders": list(self.veto_holders),
            "awaiting": list(self.awaiting),
            "human_approvals": {
                "required": self.humans_required,
                "so_far": self.human_yes,
                "met": self.human_yes >= self.humans_required,
                "text": humans_text(self.humans_required, self.human_yes),
            },
        }


def count(p: Proposal) -> GateCount:
    """Count a gate's current ballots: vetoed, approved, rejected (everyone voted) or pending."""
    irreversible = irreversible_of(p)
    voters = gate_voters(p)
    names = tuple(v.name for v in voters)
    ballots = {v.name: p.ballots[v.name].choice for v in voters if v.name in p.ballots}
    yes = sum(1 for c in ballots.values() if c == "yes")
    no = sum(1 for c in ballots.values() if c == "no")
    abstain = len(ballots) - yes - no
    share = Fraction(yes, yes + no) if yes + no else Fraction(0)
    share_met = yes + no > 0 and (share >= IRREVERSIBLE_SHARE if irreversible else share > STANDARD_SHARE)
    quorum_met = 2 * len(ballots) > len(voters)
    holders = tuple(v.name for v in voters if v.veto)
    vetoed_by = tuple(h for h in holders if ballots.get(h) == "no")
    without_yes = tuple(h for h in holders if ballots.get(h) != "yes") if irreversible else ()
    awaiting = tuple(n for n in names if n not in ballots)
    required = p.rules.min_human_approvals
    human_yes = sum(1 for v in voters if v.kind == "human" and ballots.get(v.name) == "yes")
    humans_short = human_yes < required
    threshold = describe(irreversible)
    counted = f"yes {yes}, no {no}, abstain {abstain} of {len(voters)} gate voters"
    status: GateStatus
    if vetoed_by:
        status, reason = "vetoed", veto_text(vetoed_by, {h: p.ballots[h].comment for h in vetoed_by})
    elif quorum_met and share_met and not without_yes and not humans_short:
        status, reason = "approved", f"approved: {counted}; yes share {_percent(share)} {threshold}"
    else:
        if not quorum_met:
            why = f"{len(ballots)} of {len(voters)} gate voters have voted and more than half must"
        elif not share_met:
            why = f"the yes share {_percent(share)} does not reach {threshold}"
        elif humans_short:
            why = f"an irreversible subject {humans_text(required, human_yes)}"
        else:
            why = f"an irreversible subject needs a yes from every veto holder, still missing: {', '.join(without_yes)}"
        status = "rejected" if not awaiting else "pending"
        reason = f"{status}: {why} ({counted})"
    return GateCount(
        status=status,
        irreversible=irreversible,
        voters=names,
        ballots=len(ballots),
        yes=yes,
        no=no,
        abstain=abstain,
        yes_share=share,
        quorum_met=quorum_met,
        share_met=share_met,
        vetoed_by=vetoed_by,
        veto_holders=holders,
        holders_without_yes=without_yes,
        awaiting=awaiting,
        reason=reason,
        humans_required=required,
        human_yes=human_yes,
    )


@dataclass(frozen=True)
class GateState:
    """Where a gate stands at an instant: its status, why, and whether it is closed (frozen)."""

    status: GateStatus
    reason: str
    closed: bool
    count: GateCount


def timed_out(p: Proposal, now: datetime) -> bool:
    return p.is_open and p.deadline is not None and now >= p.deadline


def at_timeout(p: Proposal, c: GateCount) -> tuple[GateStatus, str]:
    """Timeout fails closed: approved if it stood approved, vetoed if vetoed, otherwise expired."""
    if c.status in ("approved", "vetoed"):
        return c.status, c.reason
    assert p.deadline is not None
    return "expired", f"expired at {p.deadline.isoformat()} without approval: a timeout is a rejection ({c.reason})"


def on_close(p: Proposal, c: GateCount, by: str) -> tuple[GateStatus, str]:
    """What the requester's close freezes: approved or vetoed as they stand, anything else rejected."""
    if c.status in ("approved", "vetoed", "rejected"):
        return c.status, c.reason
    return "rejected", f"rejected: closed by {by} before approval ({c.reason})"


def state(p: Proposal, now: datetime) -> GateState:
    """The gate's state at `now`: frozen when closed, computed from stored times when it timed out."""
    c = count(p)
    if p.status == "finalized":
        frozen = (p.outcome or {}).get("gate")
        if isinstance(frozen, dict) and frozen.get("status") in DECIDED:
            return GateState(frozen["status"], str(frozen.get("reason", "")), True, c)
        # Finalized through the plain proposal path: read its frozen ballots under the gate rules, fail-closed.
        status: GateStatus = c.status if c.status in ("approved", "vetoed") else "rejected"
        return GateState(status, c.reason if status == c.status else f"rejected: {c.reason}", True, c)
    if p.status == "cancelled":
        return GateState("rejected", f"rejected: cancelled by {p.finalized_by}", True, c)
    if timed_out(p, now):
        status, reason = at_timeout(p, c)
        return GateState(status, reason, True, c)
    return GateState(c.status, c.reason, False, c)
