"""Benchmark the settled-outcome rule (SPEC §2.5 rev. 2) against enumerating every completion.

Usage: python bench/settled.py [--voters N] [--repeat R]

`accord.domain.settled.settle` decides from a few extreme completions (the monotone argument); the peer is the
obvious implementation: tally every completion of the missing ballots (absent, abstain, each option at
confidence 0 or 1) and see whether they all decide the same. Both must agree; the script exits 1 if they do
not. It prints, per number of missing voters, both times and the ratio, and then what the rule adds to a read
of a large proposal (settle beside one tally, since every `get_proposal` of an open proposal now runs it).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from itertools import product

from accord.domain.proposals import ABSTAIN, Ballot, Proposal, ProposalSpec, Voter, build_rules
from accord.domain.settled import completed, outcome_key, settle
from accord.domain.tally import tally

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def electorate(voters: int, missing: int, seed: int, **spec: object) -> Proposal:
    """`voters` weighted voters (weights 1-3), all but `missing` of them with a ballot at a random confidence."""
    rng = random.Random(seed)
    rules = build_rules(ProposalSpec(group="g", title="t", **spec))  # type: ignore[arg-type]
    people = {f"v{i}": Voter(f"v{i}", weight=Fraction(rng.randint(1, 3))) for i in range(voters)}
    p = Proposal(id="prop_bench", group="g", title="t", created_by="x", created_at=NOW, rules=rules, voters=people)
    for name in list(people)[missing:]:
        choice = rng.choice([*rules.options, ABSTAIN])
        p.ballots[name] = Ballot(name, choice, Fraction(rng.randint(0, 10), 10))
    return p


def brute_force(p: Proposal) -> bool:
    """Settled by enumeration: every completion decides the same."""
    missing = [v.name for v in p.voters.values() if not v.advisory and v.name not in p.ballots]
    choices: list[tuple[str, Fraction] | None] = [None, (ABSTAIN, Fraction(1))]
    choices += [(o, c) for o in p.rules.options for c in (Fraction(0), Fraction(1))]
    seen = None
    for picks in product(choices, repeat=len(missing)):
        q = completed(p, {m: Ballot(m, c[0], c[1]) for m, c in zip(missing, picks, strict=True) if c})
        key = outcome_key(q, tally(q))
        if seen is not None and key != seen:
            return False
        seen = key
    return True


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1000, help="voters of the large proposal (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement, the best is kept")
    args = parser.parse_args()

    print("missing  type     settle      every completion   ratio   agree")
    disagreements = 0
    for missing in (2, 4, 6):
        for label, spec in (
            ("yes_no", {"weighted": True, "threshold_type": "two_thirds", "quorum": "0.5"}),
            ("single", {"voting_type": "single", "options": ["A", "B", "C"], "weighted": True}),
        ):
            p = electorate(12, missing, seed=missing, **spec)
            ours = best_of(lambda p=p: settle(p), args.repeat)  # type: ignore[misc]
            theirs = best_of(lambda p=p: brute_force(p), 1)  # type: ignore[misc]
            agree = settle(p).settled == brute_force(p)
            disagreements += not agree
            print(
                f"{missing:>7}  {label:<7} {ours * 1e3:7.2f} ms  {theirs * 1e3:12.1f} ms  "
                f"{theirs / ours:7.0f}x  {agree}"
            )

    big = electorate(args.voters, args.voters // 10, seed=1, threshold_type="two_thirds", weighted=True)
    one = best_of(lambda: tally(big), args.repeat)
    rule = best_of(lambda: settle(big), args.repeat)
    enumerated = f"6^{args.voters // 10}"  # absent, abstain, yes or no at confidence 0 or 1, per missing voter
    print(
        f"\n{args.voters} voters, {args.voters // 10} missing: one tally {one * 1e3:.2f} ms, "
        f"settle {rule * 1e3:.2f} ms ({rule / one:.1f} tallies); enumerating would take {enumerated} tallies"
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
