"""Benchmark accord's instant-runoff counter against pref_voting and pyrankvote on the same ballots.

Usage: python bench/tally.py [--ballots N] [--options M] [--seed S] [--pref-voting-ballots P]

Prints how long each tool takes to count, whether all three agree on the winner, and accord's speed-up.
Exits 1 when the tools disagree.

The ballots follow a Plackett-Luce model with skewed option popularity (so the runoff takes several rounds
and still ends with a clear winner); half of them are truncated to a random length, and truncated ballots
exhaust once their listed options are gone. Every tool counts those semantics:

* accord: ``instant_runoff`` on the generated -1-padded matrix (its time includes the conversion it does).
* pref_voting: ``instant_runoff_for_truncated_linear_orders`` on a ``ProfileWithTies`` of the distinct
  rankings with their multiplicities (its numpy ``Profile`` only holds complete rankings). That function
  rebuilds the profile, with its pairwise support table, several times per round, so it is far too slow
  for a million ballots: by default it counts only the first ``--pref-voting-ballots`` ballots and its
  full-size time is extrapolated (and labelled so). Pass ``--pref-voting-ballots N`` to measure it fully.
* pyrankvote: ``instant_runoff_voting`` on one ``Ballot`` per voter (it has no weights), with identical
  rankings sharing one ``Ballot`` object.

Peers' conversion from the matrix to their own objects is timed separately from their counting.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pref_voting.iterative_methods import instant_runoff_for_truncated_linear_orders
from pref_voting.profiles_with_ties import ProfileWithTies
from pyrankvote import Ballot, Candidate, instant_runoff_voting

from accord.domain.irv import IrvResult, instant_runoff

Ranking = tuple[int, ...]


@dataclass(frozen=True)
class Timing:
    """One tool's figures: conversion and counting seconds, the winner, and how many ballots it counted."""

    tool: str
    convert_s: float
    count_s: float
    winner: int | None
    ballots: int
    note: str = ""


def generate(n: int, m: int, seed: int) -> npt.NDArray[np.int64]:
    """Return an (n, m) matrix of rankings padded with -1: skewed popularity, half of them truncated."""
    rng = np.random.default_rng(seed)
    # Zipf-like popularity, shuffled over the option indices so option 0 is not always the favourite.
    popularity = 1.0 / np.arange(1, m + 1) ** 0.7
    log_pop = np.log(popularity[rng.permutation(m)])
    ballots = np.empty((n, m), dtype=np.int64)
    chunk = 250_000
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        # Sorting Gumbel-perturbed log weights draws a Plackett-Luce ranking for every row at once.
        keys = log_pop[None, :] + rng.gumbel(size=(stop - start, m))
        ballots[start:stop] = np.argsort(-keys, axis=1)
    truncated = rng.random(n) < 0.5
    lengths = rng.integers(1, m + 1, size=n)
    ballots[truncated[:, None] & (np.arange(m)[None, :] >= lengths[:, None])] = -1
    return ballots


def distinct_rankings(ballots: npt.NDArray[np.int64]) -> tuple[list[Ranking], Counter[Ranking]]:
    """Return every ballot as a tuple of option indices, and how often each distinct one occurs."""
    rows = [tuple(o for o in row if o >= 0) for row in ballots.tolist()]
    return rows, Counter(rows)


def ambiguities(result: IrvResult) -> list[str]:
    """Return the rounds in which the libraries' rules could legitimately differ from SPEC §2.4."""
    found: list[str] = []
    continuing = set(range(len(result.rounds[0].counts)))
    for number, rnd in enumerate(result.rounds, start=1):
        live = [rnd.counts[o] for o in continuing]
        total = sum(live)
        if rnd.eliminated is not None and live.count(min(live)) > 1:
            found.append(f"round {number}: tie for fewest votes (tie-break rules differ between tools)")
        if any(2 * c == total for c in live):
            found.append(f"round {number}: an option has exactly half (pyrankvote elects at half)")
        if rnd.eliminated is not None:
            continuing.discard(rnd.eliminated)
    return found


def time_ours(ballots: npt.NDArray[np.int64], m: int, repeats: int) -> tuple[Timing, IrvResult]:
    """Return accord's median time over ``repeats`` counts (conversion included) and its result."""
    times: list[float] = []
    result: IrvResult | None = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = instant_runoff(ballots, m)
        times.append(time.perf_counter() - start)
    assert result is not None
    timing = Timing("accord", 0.0, statistics.median(times), result.winner, len(ballots), f"median of {repeats}")
    return timing, result


def time_pyrankvote(rows: list[Ranking], counts: Counter[Ranking], m: int) -> Timing:
    """Return pyrankvote's conversion and counting time on every ballot."""
    start = time.perf_counter()
    candidates = [Candidate(str(o)) for o in range(m)]
    shared = {ranking: Ballot([candidates[o] for o in ranking]) for ranking in counts}
    ballots = [shared[ranking] for ranking in rows]
    converted = time.perf_counter()
    result = instant_runoff_voting(candidates, ballots)
    counted = time.perf_counter()
    winners = [int(c.name) for c in result.get_winners()]
    winner = winners[0] if len(winners) == 1 else None
    return Timing("pyrankvote", converted - start, counted - converted, winner, len(rows))


def time_pref_voting(counts: Counter[Ranking], m: int, n: int) -> Timing:
    """Return pref_voting's conversion and counting time on the distinct rankings with multiplicities."""
    start = time.perf_counter()
    distinct = list(counts)
    profile = ProfileWithTies(
        [{o: place for place, o in enumerate(ranking, start=1)} for ranking in distinct],
        rcounts=[counts[ranking] for ranking in distinct],
        candidates=list(range(m)),
    )
    converted = time.perf_counter()
    winners = instant_runoff_for_truncated_linear_orders(profile)
    counted = time.perf_counter()
    winner = int(winners[0]) if len(winners) == 1 else None
    return Timing("pref_voting", converted - start, counted - converted, winner, n)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and return the process exit code (1 when the tools disagree)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--options", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--pref-voting-ballots",
        type=int,
        default=20_000,
        help="count only this prefix of the ballots with pref_voting and extrapolate (default 20000)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="accord counts this many times; median reported")
    args = parser.parse_args(argv)
    n, m = args.ballots, args.options
    pv_n = min(n, args.pref_voting_ballots)

    print(f"generating {n:,} ballots over {m} options (seed {args.seed}) ...", flush=True)
    ballots = generate(n, m, args.seed)
    complete = int(np.count_nonzero((ballots >= 0).all(axis=1)))
    print(f"  {complete:,} complete rankings, {n - complete:,} truncated", flush=True)

    ours, result = time_ours(ballots, m, args.repeats)
    print(f"accord: winner {result.winner}, {len(result.rounds)} rounds, {ours.count_s:.3f} s", flush=True)
    warnings = ambiguities(result)

    start = time.perf_counter()
    rows, counts = distinct_rankings(ballots)
    grouping_s = time.perf_counter() - start
    print(f"grouping into {len(counts):,} distinct rankings for the peers: {grouping_s:.2f} s", flush=True)

    pyrankvote = time_pyrankvote(rows, counts, m)
    print(f"pyrankvote: winner {pyrankvote.winner}, {pyrankvote.count_s:.2f} s", flush=True)

    checks: list[tuple[str, int | None, int | None]] = [("pyrankvote", pyrankvote.winner, result.winner)]
    if pv_n == n:
        pref_voting = time_pref_voting(counts, m, n)
        checks.append(("pref_voting", pref_voting.winner, result.winner))
    else:
        prefix_counts = Counter(rows[:pv_n])
        prefix_ours = instant_runoff(ballots[:pv_n], m)
        warnings += [f"prefix {w}" for w in ambiguities(prefix_ours)]
        measured = time_pref_voting(prefix_counts, m, pv_n)
        checks.append((f"pref_voting (first {pv_n:,})", measured.winner, prefix_ours.winner))
        # Its cost is dominated by rebuilding the pairwise support table over the distinct rankings,
        # twice per round, so scale by distinct rankings and by rounds.
        scale_convert = len(counts) / len(prefix_counts)
        scale_count = scale_convert * len(result.rounds) / len(prefix_ours.rounds)
        print(
            f"pref_voting on the first {pv_n:,} ballots: winner {measured.winner} "
            f"(accord on that prefix: {prefix_ours.winner}), {measured.count_s:.2f} s",
            flush=True,
        )
        pref_voting = Timing(
            "pref_voting",
            measured.convert_s * scale_convert,
            measured.count_s * scale_count,
            measured.winner,
            n,
            f"EXTRAPOLATED from {pv_n:,} ballots ({measured.convert_s:.2f} s + {measured.count_s:.2f} s measured)",
        )

    print()
    print(f"{'tool':<12} {'ballots':>10} {'convert s':>10} {'count s':>10} {'speed-up':>9}  note")
    for t in (ours, pyrankvote, pref_voting):
        ratio = "" if t is ours else f"{t.count_s / ours.count_s:8.1f}x"
        # accord converts inside instant_runoff, so its conversion is part of its count time.
        convert = "incl." if t is ours else f"{t.convert_s:.2f}"
        print(f"{t.tool:<12} {t.ballots:>10,} {convert:>10} {t.count_s:>10.3f} {ratio:>9}  {t.note}")
    faster = min((pyrankvote, pref_voting), key=lambda t: t.count_s)
    print(
        f"\naccord vs the faster peer ({faster.tool}): {faster.count_s / ours.count_s:.1f}x on counting alone, "
        f"{(faster.convert_s + faster.count_s) / ours.count_s:.1f}x including its conversion "
        f"(plus {grouping_s:.2f} s shared grouping)"
    )
    print("(accord's time includes converting the generated matrix; the peers' conversion is shown apart)")

    for line in warnings:
        print(f"warning: {line}")
    disagreements = [name for name, theirs, mine in checks if theirs != mine]
    for name, theirs, mine in checks:
        print(f"  {name}: {theirs} vs accord {mine}")
    if disagreements:
        print(f"DISAGREE: {', '.join(disagreements)}")
        return 1
    print("AGREE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
