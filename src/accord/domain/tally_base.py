"""What every tally shares (SPEC §2.3): the threshold rules and the result a tally hands back.

Its own module so that the tallies built on it (`tally.py`, `verdict.py`) import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from accord.domain.numbers import as_float
from accord.domain.proposals import Rules

# The leader's share must satisfy: (comparison, bound); participation at least the third item.
SHARE_RULES: dict[str, tuple[str, Fraction, Fraction | None]] = {
    "majority": (">", Fraction(1, 2), None),
    "two_thirds": (">=", Fraction(2, 3), None),
    "unanimous": ("==", Fraction(1), Fraction(1)),
    "quorum": (">", Fraction(1, 2), Fraction(1, 2)),
    "supermajority": (">=", Fraction(2, 3), Fraction(3, 4)),
    "custom": (">=", Fraction(0), None),
}


def share_rule(rules: Rules) -> tuple[str, Fraction]:
    """The comparison and bound the leader's share must meet."""
    op, bound, _ = SHARE_RULES[rules.threshold_type]
    if rules.threshold_type == "custom":
        assert rules.threshold is not None
        bound = rules.threshold
    return op, bound


def participation_needed(rules: Rules) -> Fraction | None:
    """The participation a result needs, if any (unanimous always needs everyone)."""
    _, _, default = SHARE_RULES[rules.threshold_type]
    if rules.threshold_type == "unanimous":
        return Fraction(1)
    return rules.quorum if rules.quorum is not None else default


def meets(share: Fraction, op: str, bound: Fraction) -> bool:
    if op == ">":
        return share > bound
    if op == ">=":
        return share >= bound
    return share == bound


def describe_threshold(rules: Rules) -> str:
    """A person's reading of the rule, e.g. '≥ 60%' or '> 50%'."""
    op, bound = share_rule(rules)
    sign = {">": ">", ">=": "≥", "==": "="}[op]
    percent = float(bound * 100)
    text = f"{percent:.1f}".rstrip("0").rstrip(".")
    return f"{sign} {text}%"


@dataclass(frozen=True)
class TallyResult:
    """Everything a tally decides and reports."""

    result: str | None
    threshold_met: bool
    outcome: str
    tally: dict[str, int]
    support: dict[str, Fraction]
    shares: dict[str, Fraction]
    participation: Fraction
    eligible: int
    ballots: int
    abstentions: int
    min_votes_met: bool
    quorum_met: bool
    leader_share: Fraction
    tied: tuple[str, ...] = ()
    vetoed_by: tuple[str, ...] = ()
    rounds: list[dict[str, Any]] = field(default_factory=list)
    unanimous_count: int = 0
    verdict: dict[str, Any] | None = None  # the verdict table's figures (voting_type verdict, SPEC §4.1)
    humans_required: int = 0  # min_human_approvals (SPEC §2.1)
    human_approvals: int = 0  # counted yes ballots of human voters
    rules_needing: tuple[str, ...] = ()  # why the outcome is no_quorum, in words

    @property
    def humans_met(self) -> bool:
        return self.human_approvals >= self.humans_required

    def as_dict(self, rules: Rules) -> dict[str, Any]:
        """The JSON shape every face returns (shares as floats rounded to 4 places)."""
        data: dict[str, Any] = {
            "result": self.result,
            "threshold_met": self.threshold_met,
            "outcome": self.outcome,
            "tally": self.tally,
            "shares": {k: as_float(v) for k, v in self.shares.items()},
            "participation": as_float(self.participation),
            "eligible": self.eligible,
            "ballots": self.ballots,
            "abstentions": self.abstentions,
            "quorum_met": self.quorum_met,
            "min_votes_met": self.min_votes_met,
            "threshold": describe_threshold(rules),
        }
        if rules.weighted:
            data["support"] = {k: as_float(v) for k, v in self.support.items()}
        if self.tied:
            data["tied"] = list(self.tied)
        if self.vetoed_by:
            data["vetoed_by"] = list(self.vetoed_by)
        if rules.voting_type == "ranked":
            data["rounds"] = self.rounds
        if self.verdict is not None:
            data["threshold"] = "verdict table (SPEC §4.1)"
            data["verdict"] = self.verdict
        if self.humans_required:
            data["human_approvals"] = {
                "required": self.humans_required,
                "so_far": self.human_approvals,
                "met": self.humans_met,
                "text": humans_text(self.humans_required, self.human_approvals),
            }
        if self.outcome == "no_quorum" and self.rules_needing:
            data["reason"] = "; ".join(self.rules_needing)
        return data


def humans_text(required: int, so_far: int) -> str:
    """'needs 1 human approval: 0 so far' (SPEC §2.3)."""
    return f"needs {required} human approval{'s' if required != 1 else ''}: {so_far} so far"
