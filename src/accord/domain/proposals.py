"""Proposals and ballots (SPEC §2): the rules of creating, voting, finalizing and cancelling."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Literal

from accord.domain import limits
from accord.domain.errors import ConflictError, DeadlineError, ForbiddenError, ValidationError
from accord.domain.members import Kind
from accord.domain.numbers import Number, in_unit_interval, positive

VOTING_TYPES = ("yes_no", "single", "ranked", "verdict")
THRESHOLD_TYPES = ("majority", "two_thirds", "unanimous", "quorum", "supermajority", "custom")
DENOMINATORS = ("weights", "scores")
STRATEGIES = ("discussion_round", "expert_override", "escalate")
STATUSES = ("open", "escalated", "finalized", "cancelled")
ABSTAIN = "abstain"
YES_NO = ("yes", "no")
VERDICT_OPTIONS = ("accept", "reject")
MAX_TITLE, MAX_DESCRIPTION, MAX_COMMENT = 200, 10_000, 4_096
MAX_EVIDENCE, MAX_EVIDENCE_ITEM = 20, 2_048
MIN_OPTIONS, MAX_OPTIONS = 2, 64
MAX_HUMAN_APPROVALS = 1000
MAX_DEADLINE_HOURS = 8760  # a year (SPEC §13)

Status = Literal["open", "escalated", "finalized", "cancelled"]
Choice = str | tuple[str, ...]

# Seed 004's protocol table; explicit fields override what a preset fills in.
PRESETS: dict[str, dict[str, Any]] = {
    "simple_majority": {"threshold_type": "majority", "quorum": Fraction(1, 2)},
    "supermajority": {"threshold_type": "supermajority", "quorum": Fraction(3, 4)},
    "unanimous": {"threshold_type": "unanimous", "quorum": Fraction(1)},
    "weighted": {"weighted": True, "threshold_type": "custom", "quorum": Fraction(2, 3)},
    "ranked_choice": {"voting_type": "ranked", "threshold_type": "majority", "quorum": Fraction(3, 4)},
}


def normalize_option(name: str) -> str:
    """Options match after trimming, collapsing inner whitespace and ignoring case."""
    return re.sub(r"\s+", " ", name.strip()).casefold()


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValidationError(
            f"{name} {value!r} is not allowed: use one of {', '.join(allowed)}", field=name, allowed=allowed
        )
    return value


@dataclass(frozen=True)
class Rules:
    """How a proposal's ballots are read and counted."""

    voting_type: str = "yes_no"
    options: tuple[str, ...] = YES_NO
    threshold_type: str = "majority"
    threshold: Fraction | None = None
    quorum: Fraction | None = None
    min_votes: int = 0
    weighted: bool = False
    weighted_denominator: str = "weights"
    allow_abstain: bool = True
    min_human_approvals: int = 0  # counted yes ballots that must come from humans (yes/no and gates, SPEC §2.1)

    @property
    def binary(self) -> bool:
        return self.voting_type in ("yes_no", "verdict")

    def option_named(self, raw: str) -> str:
        """The proposal's own spelling of `raw`, or a ValidationError listing the allowed options."""
        wanted = normalize_option(raw)
        for option in self.options:
            if normalize_option(option) == wanted:
                return option
        raise ValidationError(
            f"unknown option {raw!r}: allowed options are {', '.join(self.options)}",
            field="vote",
            option=raw,
            allowed=list(self.options),
        )


@dataclass(frozen=True)
class ProposalSpec:
    """What a caller asks for when opening a proposal, before validation (faces fill this in)."""

    group: str
    title: str
    description: str = ""
    voting_type: str | None = None
    options: list[str] | None = None
    threshold_type: str | None = None
    threshold: Number | None = None
    quorum: Number | None = None
    min_votes: int | None = None
    weighted: bool | None = None
    weighted_denominator: str | None = None
    deadline: datetime | None = None
    deadline_hours: Number | None = None
    subject: str | None = None
    allow_abstain: bool | None = None
    prevent_self_vote: bool | None = None
    on_no_consensus: list[str] | None = None
    max_rounds: int | None = None
    domain: str | None = None
    critical: bool = False
    preset: str | None = None
    min_human_approvals: int | None = None
    close_at_deadline: bool = False


def build_rules(spec: ProposalSpec) -> Rules:
    """Validate a spec's counting fields into Rules; raises ValidationError naming the bad field."""
    preset: dict[str, Any] = {}
    if spec.preset is not None:
        preset = PRESETS.get(spec.preset, {})
        if not preset:
            _one_of(spec.preset, tuple(PRESETS), "preset")

    def pick(name: str, default: Any) -> Any:
        value = getattr(spec, name)
        return value if value is not None else preset.get(name, default)

    voting_type = _one_of(pick("voting_type", "yes_no"), VOTING_TYPES, "voting_type")
    threshold_type = _one_of(pick("threshold_type", "majority"), THRESHOLD_TYPES, "threshold_type")
    denominator = _one_of(pick("weighted_denominator", "weights"), DENOMINATORS, "weighted_denominator")

    options: tuple[str, ...]
    if voting_type in ("yes_no", "verdict"):
        fixed = YES_NO if voting_type == "yes_no" else VERDICT_OPTIONS
        if spec.options and [normalize_option(o) for o in spec.options] != list(fixed):
            raise ValidationError(
                f"options are fixed to {list(fixed)} for {voting_type}; leave them out", field="options"
            )
        options = fixed
    else:
        options = _check_options(spec.options)

    threshold: Fraction | None = None
    raw_threshold = pick("threshold", None)
    if threshold_type == "custom":
        if raw_threshold is None:
            raise ValidationError("threshold is required with threshold_type custom (e.g. 0.6)", field="threshold")
        threshold = in_unit_interval(raw_threshold, "threshold", allow_zero=False)
    elif raw_threshold is not None:
        raise ValidationError(
            f"threshold is only allowed with threshold_type custom, not {threshold_type}", field="threshold"
        )

    raw_quorum = pick("quorum", None)
    quorum = None if raw_quorum is None else in_unit_interval(raw_quorum, "quorum", allow_zero=False)
    min_votes = limits.integer(pick("min_votes", 0), "min_votes")

    allow_abstain = bool(pick("allow_abstain", True))
    if threshold_type == "unanimous":
        allow_abstain = False  # no abstentions on critical decisions
    humans = check_human_approvals(spec.min_human_approvals, voting_type)
    return Rules(
        voting_type=voting_type,
        options=options,
        threshold_type=threshold_type,
        threshold=threshold,
        quorum=quorum,
        min_votes=min_votes,
        weighted=bool(pick("weighted", False)),
        weighted_denominator=denominator,
        allow_abstain=allow_abstain,
        min_human_approvals=humans,
    )


def check_confidence(confidence: Number | None) -> Fraction:
    """A ballot's confidence, exactly: 0.0-1.0, 1 when not given (SPEC §2.2, bounded as SPEC §13 says)."""
    try:
        return Fraction(1) if confidence is None else in_unit_interval(confidence, "confidence", allow_zero=True)
    except ValidationError as exc:  # seed 001's rule id, so scripts and models can look it up
        raise ValidationError(f"CONS-003: {exc.message}", **exc.details) from None


def check_human_approvals(value: object, voting_type: str) -> int:
    """`min_human_approvals`: a whole number 0-1000, above 0 only on yes_no proposals (and gates)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HUMAN_APPROVALS:
        raise ValidationError(
            f"min_human_approvals must be a whole number from 0 to {MAX_HUMAN_APPROVALS}, got {value!r}",
            field="min_human_approvals",
        )
    if value and voting_type != "yes_no":
        raise ValidationError("min_human_approvals applies to yes_no proposals and gates", field="min_human_approvals")
    return value


def check_approvers(group: str, voters: list[Voter], creator: str, required_humans: int) -> None:
    """Refuse a proposal whose snapshot can never give `required_humans` human approvals (SPEC §2.1).

    `voters` is the snapshot (the creator already left out under `prevent_self_vote`); advisory voters never
    count. ValidationError "<g> has <k> eligible human voter(s) besides <creator>; <n> human approvals are
    required" (field min_human_approvals)."""
    if required_humans <= 0:
        return
    humans = [v for v in voters if v.kind == "human" and not v.advisory]
    if len(humans) >= required_humans:
        return
    where = "including" if any(v.name == creator for v in humans) else "besides"
    raise ValidationError(
        f"{group} has {len(humans)} eligible human voter(s) {where} {creator}; "
        f"{required_humans} human approvals are required",
        field="min_human_approvals",
        group=group,
        humans=len(humans),
        required=required_humans,
    )


def check_close_at_deadline(close_at_deadline: bool, deadline: datetime | None) -> bool:
    """`close_at_deadline` needs a deadline to close at (SPEC §2.1)."""
    if close_at_deadline and deadline is None:
        raise ValidationError("close_at_deadline needs deadline or deadline_hours", field="close_at_deadline")
    return bool(close_at_deadline)


def _check_options(raw: list[str] | None) -> tuple[str, ...]:
    if not raw or len(raw) < MIN_OPTIONS or len(raw) > MAX_OPTIONS:
        count = len(raw or [])
        raise ValidationError(
            f"CONS-001: options must list {MIN_OPTIONS}-{MAX_OPTIONS} distinct names, got {count}", field="options"
        )
    seen: dict[str, str] = {}
    cleaned: list[str] = []
    for option in raw:
        if not isinstance(option, str) or not option.strip():
            raise ValidationError("options must be non-empty names", field="options")
        name = re.sub(r"\s+", " ", option.strip())
        key = normalize_option(name)
        if key == ABSTAIN:
            raise ValidationError("'abstain' is reserved and cannot be an option", field="options")
        if key in seen:
            raise ValidationError(f"duplicate option {option!r} (same as {seen[key]!r})", field="options")
        seen[key] = name
        cleaned.append(name)
    return tuple(cleaned)


def check_strategies(raw: list[str] | None) -> tuple[str, ...]:
    """Validate `on_no_consensus`: known names, no repeats, re-vote before escalation."""
    strategies = tuple(raw or ())
    for name in strategies:
        _one_of(name, STRATEGIES, "on_no_consensus strategy")
    if len(set(strategies)) != len(strategies):
        raise ValidationError("on_no_consensus lists a strategy twice", field="on_no_consensus")
    if "escalate" in strategies and "discussion_round" in strategies:
        if strategies.index("escalate") < strategies.index("discussion_round"):
            raise ValidationError(
                "on_no_consensus lists escalate before discussion_round: re-vote before escalating to humans",
                field="on_no_consensus",
            )
    return strategies


def resolve_deadline(spec: ProposalSpec, now: datetime) -> datetime | None:
    """The deadline from `deadline` or `deadline_hours` (not both), which must lie in the future."""
    if spec.deadline is not None and spec.deadline_hours is not None:
        raise ValidationError("give deadline or deadline_hours, not both", field="deadline")
    if spec.deadline_hours is not None:
        hours = positive(spec.deadline_hours, "deadline_hours")
        if hours > MAX_DEADLINE_HOURS:
            raise ValidationError(
                f"deadline_hours must be greater than 0 and at most {MAX_DEADLINE_HOURS} (a year), "
                f"got {limits.shown(spec.deadline_hours)}",
                field="deadline_hours",
                allowed=f"greater than 0 and at most {MAX_DEADLINE_HOURS}",
            )
        return now + timedelta(seconds=float(hours * 3600))
    if spec.deadline is not None:
        if spec.deadline.tzinfo is None:
            raise ValidationError("deadline must include a time zone (e.g. 2026-05-01T12:00:00Z)", field="deadline")
        if spec.deadline <= now:
            raise ValidationError(f"deadline {spec.deadline.isoformat()} is already past", field="deadline")
        return spec.deadline
    return None


def check_text(title: str, description: str) -> None:
    if not title or not title.strip():
        raise ValidationError("title is required", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title is {len(title)} characters; at most {MAX_TITLE} allowed", field="title")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(
            f"description is {len(description)} characters; at most {MAX_DESCRIPTION} allowed",
            field="description",
        )


@dataclass(frozen=True)
class Voter:
    """An eligible voter as the group had them when the proposal opened (a snapshot)."""

    name: str
    kind: Kind = "agent"
    weight: Fraction = Fraction(1)
    advisory: bool = False
    veto: bool = False
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ballot:
    """A voter's vote: the current one, or one kept in the history."""

    voter: str
    choice: Choice
    confidence: Fraction = Fraction(1)
    comment: str | None = None
    evidence: tuple[str, ...] = ()
    cast_at: datetime | None = None
    round: int = 1

    @property
    def abstains(self) -> bool:
        return self.choice == ABSTAIN

    def shown(self) -> str | list[str]:
        return list(self.choice) if isinstance(self.choice, tuple) else self.choice


def parse_choice(rules: Rules, raw: object) -> Choice:
    """Read a raw vote (text, or a list for ranked) into the proposal's own spelling."""
    if isinstance(raw, str) and normalize_option(raw) == ABSTAIN:
        return ABSTAIN
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str) and normalize_option(raw[0]) == ABSTAIN:
        return ABSTAIN
    if rules.voting_type == "ranked":
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValidationError("a ranked vote is a list of options, or a comma-separated string", field="vote")
        names = [rules.option_named(i) for i in items if i.strip()]
        if not names:
            raise ValidationError("a ranked vote must rank at least one option", field="vote")
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(f"a ranked vote lists {', '.join(dupes)} more than once", field="vote")
        return tuple(names)
    if rules.voting_type == "verdict" and not (isinstance(raw, str) and normalize_option(raw) in VERDICT_OPTIONS):
        raise ValidationError(
            f"CONS-001: a verdict ballot is accept, reject or abstain, got {raw!r}",
            field="vote",
            allowed=[*VERDICT_OPTIONS, ABSTAIN],
        )
    if not isinstance(raw, str) or not raw.strip():
        allowed = [*rules.options, *([ABSTAIN] if rules.allow_abstain else [])]
        raise ValidationError(f"vote must be one of {', '.join(allowed)}", field="vote", allowed=allowed)
    return rules.option_named(raw)


def check_evidence(evidence: list[str] | None) -> tuple[str, ...]:
    items = tuple(evidence or ())
    if len(items) > MAX_EVIDENCE:
        raise ValidationError(f"evidence lists {len(items)} items; at most {MAX_EVIDENCE} allowed", field="evidence")
    for i, item in enumerate(items):
        if not isinstance(item, str) or len(item) > MAX_EVIDENCE_ITEM:
            raise ValidationError(
                f"evidence item {i + 1} must be text of at most {MAX_EVIDENCE_ITEM} characters",
                field="evidence",
            )
    return items


@dataclass
class Proposal:
    """A question put to a group's vote, with its eligible voters and current ballots."""

    id: str
    group: str
    title: str
    created_by: str
    created_at: datetime
    rules: Rules = field(default_factory=Rules)
    description: str = ""
    deadline: datetime | None = None
    subject: str | None = None
    prevent_self_vote: bool = False
    on_no_consensus: tuple[str, ...] = ()
    max_rounds: int = 2
    domain: str | None = None
    critical: bool = False
    close_at_deadline: bool = False
    kind: str = "proposal"
    status: Status = "open"
    round: int = 1
    voters: dict[str, Voter] = field(default_factory=dict)
    ballots: dict[str, Ballot] = field(default_factory=dict)
    outcome: dict[str, Any] | None = None
    resolution: dict[str, Any] | None = None
    mitigation: str | None = None
    finalized_at: datetime | None = None
    finalized_by: str | None = None
    payload: Any = None
    payload_digest: str | None = None  # gates: SHA-256 of the payload's RFC 8785 form, stored at request time
    voting_seconds: float | None = None  # the first voting period (deadline - opening), for late re-votes

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def counted_voters(self) -> list[Voter]:
        return [v for v in self.voters.values() if not v.advisory]

    def past_deadline(self, now: datetime) -> bool:
        return self.deadline is not None and now >= self.deadline

    def ensure_open(self) -> None:
        if self.status != "open":
            raise ConflictError(f"proposal {self.id} is {self.status}", proposal_id=self.id, status=self.status)

    def cast(
        self,
        voter: str,
        raw_vote: object,
        *,
        at: datetime,
        comment: str | None = None,
        confidence: Number | None = None,
        evidence: list[str] | None = None,
    ) -> tuple[Ballot, Ballot | None]:
        """Record `voter`'s vote, replacing any earlier one; returns (new ballot, replaced ballot)."""
        self.ensure_open()
        if self.past_deadline(at):
            assert self.deadline is not None
            raise DeadlineError(
                f"voting closed at {self.deadline.isoformat()}", proposal_id=self.id, deadline=self.deadline
            )
        if voter not in self.voters:
            raise ForbiddenError(f"{voter} is not an eligible voter of {self.id}", proposal_id=self.id, member=voter)
        choice = parse_choice(self.rules, raw_vote)
        if choice == ABSTAIN and not self.rules.allow_abstain:
            if self.rules.threshold_type == "unanimous":
                raise ValidationError("abstain is not allowed under unanimous", field="vote")
            raise ValidationError(f"abstain is not allowed on {self.id}", field="vote")
        if comment is not None and len(comment) > MAX_COMMENT:
            raise ValidationError(
                f"comment is {len(comment)} characters; at most {MAX_COMMENT} allowed", field="comment"
            )
        conf = check_confidence(confidence)
        ballot = Ballot(
            voter=voter,
            choice=choice,
            confidence=conf,
            comment=comment or None,
            evidence=check_evidence(evidence),
            cast_at=at,
            round=self.round,
        )
        replaced = self.ballots.get(voter)
        self.ballots[voter] = ballot
        return ballot, replaced

    @property
    def missing_voters(self) -> list[str]:
        """Eligible non-advisory voters without a current ballot (advisory ballots never count, SPEC §2.1)."""
        return [v.name for v in self.voters.values() if not v.advisory and v.name not in self.ballots]

    def everyone_voted(self) -> bool:
        return not self.missing_voters

    def may_cancel(self, member: str, *, manages: bool, is_human: bool = False, is_admin: bool = False) -> None:
        """Refuse unless `member` may cancel now (SPEC §2.5): an open proposal by its creator or a group
        owner/admin; an escalated one only by a human owner/admin or a store administrator."""
        if self.status not in ("open", "escalated"):
            self.ensure_open()
        if self.status == "escalated":
            if not (is_admin or (is_human and manages)):
                raise ForbiddenError(
                    f"{member} may not cancel {self.id}: an escalated proposal is cancelled only by a human "
                    "owner/admin",
                    proposal_id=self.id,
                )
            return
        if not (manages or member == self.created_by):
            raise ForbiddenError(
                f"{member} may not cancel {self.id}: only its creator or a group owner/admin may",
                proposal_id=self.id,
            )

    def finalize(self, outcome: dict[str, Any], *, by: str, at: datetime, resolution: dict[str, Any] | None) -> None:
        """Freeze the figures; a finalized proposal's outcome never changes."""
        self.status = "finalized"
        self.outcome = outcome
        self.resolution = resolution
        self.finalized_at = at
        self.finalized_by = by

    def cancel(self, *, by: str, at: datetime) -> None:
        self.status = "cancelled"
        self.finalized_at = at
        self.finalized_by = by

    def escalate(self, outcome: dict[str, Any], reason: str) -> None:
        self.status = "escalated"
        self.outcome = outcome
        self.resolution = {"method": "escalated", "reason": reason}

    def start_round(self, *, at: datetime) -> list[Ballot]:
        """Archive the current ballots and open the next round for a re-vote; returns the archived ballots.

        A re-vote opened at or after the deadline gets the first voting period again, from `at` (SPEC §2.5)."""
        archived = list(self.ballots.values())
        self.ballots = {}
        self.round += 1
        if self.deadline is not None and at >= self.deadline:
            period = self.voting_seconds
            if period is None:  # opened before the period was stored: the deadline was set from the opening
                period = (self.deadline - self.created_at).total_seconds()
            self.deadline = at + timedelta(seconds=period)
        return archived
