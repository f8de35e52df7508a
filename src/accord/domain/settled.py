"""Whether a proposal's outcome is settled while eligible voters are still missing (SPEC §2.5 rev. 2).

A *completion* gives every eligible non-advisory voter without a current ballot one of: absent, abstaining (where
allowed), or a ballot for an option at some confidence. The outcome is *settled* when every completion decides
the same: the §2.3 outcome with its passing option, or — when `expert_override` would be tried — the override's
decision. Cast ballots stay as they are.

Enumerating completions is exponential; the rules are monotone instead, so a few extreme completions decide:

* A standing veto stays whatever the others do: settled as `vetoed`. A missing veto holder could veto: unsettled.
* Participation, `min_votes` and human approvals only grow as missing voters take part (and humans vote yes):
  every completion falls short of them exactly when "all missing absent" still falls short with "all missing
  vote yes" (`no_quorum`); when only the first falls short, the missing voters decide: unsettled.
* Otherwise quorum holds in every completion, and an option `o` passes in *some* completion exactly when it
  passes with every missing voter voting `o` at confidence 1 (moving any ballot to `o` at 1 only raises `o`'s
  support and share and lowers its rivals'), and in *every* completion exactly when, for each rival `p`, it still
  passes with every missing voter voting `p` at confidence 1 (the worst case of its lead over `p`; its share is
  lowest there too). Within one choice of options, confidence 0 and 1 are the extremes (SPEC: shares are linear
  in confidence), and the pass region is convex, so nothing between them decides differently.
* The expert override depends on who the confident expert is; when it can change the decision, the extreme
  completions (absent, each option at confidence 0 or 1) are checked one by one, up to OVERRIDE_CAP of them;
  beyond that the proposal is reported unsettled (`exact: false`): fail-closed, it waits for its voters.

Only `yes_no` and `single` are judged this way; for `ranked` and `verdict` an outcome is settled only when
everyone has voted (SPEC §2.5).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import product

from accord.domain import deliberation
from accord.domain.proposals import Ballot, Proposal, Voter
from accord.domain.tally import TallyResult, tally

Key = tuple[str, str | None]
OVERRIDE_CAP = 4096  # extreme completions checked one by one for the expert-override corner
JUDGED = ("yes_no", "single")


@dataclass(frozen=True)
class Settlement:
    """Whether every completion of the missing ballots decides the same, and what."""

    settled: bool
    outcome: str | None = None  # the settled outcome: passed, rejected, vetoed, no_quorum or no_consensus
    result: str | None = None  # the option it passes with (yes for yes_no), when settled as passed
    missing: tuple[str, ...] = ()
    exact: bool = True  # False only when the expert-override corner was too large to check (then unsettled)

    def view(self) -> dict[str, object]:
        return {"settled": self.settled, "outcome": self.outcome, "result": self.result, "exact": self.exact}


def outcome_key(p: Proposal, result: TallyResult, *, with_override: bool = True) -> Key:
    """What finalizing these ballots decides: the §2.3 outcome with its passing option, or, when the expert
    override would be applied, the override's decision."""
    if with_override and "expert_override" in p.on_no_consensus:
        step = deliberation.next_step(p, result)
        if step.kind == "override" and step.decision is not None:
            passed = not p.rules.binary or step.decision == p.rules.options[0]
            return ("passed", step.decision) if passed else ("rejected", None)
    return result.outcome, (result.result if result.outcome == "passed" else None)


def completed(p: Proposal, extra: dict[str, Ballot]) -> Proposal:
    """`p` with `extra` ballots added for missing voters (a copy; `p` is not changed)."""
    return replace(p, ballots={**p.ballots, **extra})


def everyone_votes(p: Proposal, missing: list[Voter], option: str, confidence: Fraction = Fraction(1)) -> Proposal:
    return completed(p, {v.name: Ballot(v.name, option, confidence, round=p.round) for v in missing})


def settle(p: Proposal, *, with_override: bool = True) -> Settlement:
    """Whether `p`'s outcome is settled given its cast ballots (SPEC §2.5); `with_override=False` judges the §2.3
    outcome alone (what a forced finalize uses: it skips `on_no_consensus`)."""
    missing = [v for v in p.voters.values() if not v.advisory and v.name not in p.ballots]
    names = tuple(v.name for v in missing)
    now = tally(p)  # the completion where every missing voter stays absent
    if not missing:
        return _settled(outcome_key(p, now, with_override=with_override), names)
    if p.rules.voting_type not in JUDGED:
        return Settlement(False, missing=names)
    if now.vetoed_by:
        return Settlement(True, "vetoed", None, names)
    if p.rules.voting_type == "yes_no" and any(v.veto for v in missing):
        return Settlement(False, missing=names)
    if now.outcome == "no_quorum":
        full = tally(everyone_votes(p, missing, p.rules.options[0]))  # most ballots, most human yes
        if full.quorum_met and full.min_votes_met and full.humans_met:
            return Settlement(False, missing=names)
        return Settlement(True, "no_quorum", None, names)
    # Quorum, min_votes and human approvals hold in every completion from here on.
    passing = [o for o in _candidates(p) if _passes(p, missing, o, o)]
    if len(passing) > 1:
        return Settlement(False, missing=names)
    if passing:
        winner = passing[0]
        if all(_passes(p, missing, rival, winner) for rival in p.rules.options if rival != winner):
            return Settlement(True, "passed", winner, names)  # no completion fails: no override either
    if with_override and _override_possible(p, missing):
        return _enumerate(p, missing, names)
    if passing:
        return Settlement(False, missing=names)
    return Settlement(True, "rejected" if p.rules.binary else "no_consensus", None, names)


def _candidates(p: Proposal) -> tuple[str, ...]:
    """The options that may pass: yes/no measures the yes side only (SPEC §2.3)."""
    return p.rules.options[:1] if p.rules.binary else p.rules.options


def _passes(p: Proposal, missing: list[Voter], everyone: str, option: str) -> bool:
    """Whether `option` passes when every missing voter votes `everyone` at confidence 1."""
    result = tally(everyone_votes(p, missing, everyone))
    return result.outcome == "passed" and result.result == option


def _settled(key: Key, names: tuple[str, ...]) -> Settlement:
    return Settlement(True, key[0], key[1], names)


def _override_possible(p: Proposal, missing: list[Voter]) -> bool:
    """Whether some completion could reach an expert override (SPEC §4): it is tried before any strategy that
    always applies, and a confident expert could be among the counted voters."""
    for strategy in p.on_no_consensus:
        if strategy == "discussion_round" and p.round < p.max_rounds:
            return False
        if strategy == "escalate":
            return False
        if strategy == "expert_override":
            break
    else:
        return False
    voters = {v.name: v for v in p.voters.values() if not v.advisory}
    cast = [b for b in p.ballots.values() if b.voter in voters and not b.abstains]
    confident = [b for b in cast if b.confidence > deliberation.EXPERT_CONFIDENCE]
    if p.domain:
        return any(p.domain in voters[b.voter].expertise for b in confident) or any(
            p.domain in v.expertise for v in missing
        )
    heaviest = max((voters[b.voter].weight for b in cast), default=None)
    return any(voters[b.voter].weight == heaviest for b in confident) or any(
        heaviest is None or v.weight >= heaviest for v in missing
    )


def _enumerate(p: Proposal, missing: list[Voter], names: tuple[str, ...]) -> Settlement:
    """Check the extreme completions one by one (absent, or each option at confidence 0 or 1)."""
    choices: list[tuple[str, Fraction] | None] = [None]
    choices += [(o, c) for o in p.rules.options for c in (Fraction(0), Fraction(1))]
    if len(choices) ** len(missing) > OVERRIDE_CAP:
        return Settlement(False, missing=names, exact=False)
    seen: Key | None = None
    for picks in product(choices, repeat=len(missing)):
        extra = {
            v.name: Ballot(v.name, pick[0], pick[1], round=p.round)
            for v, pick in zip(missing, picks, strict=True)
            if pick is not None
        }
        key = outcome_key(completed(p, extra), tally(completed(p, extra)))
        if seen is not None and key != seen:
            return Settlement(False, missing=names)
        seen = key
    assert seen is not None
    return _settled(seen, names)
