"""Instant-runoff counting (SPEC §2.4): a vectorised counter and a plain-Python oracle.

Both functions implement the same rules:

1. Each round every continuing ballot counts (its weight) for its highest-ranked continuing option;
   ballots with no continuing option are exhausted.
2. An option with more than half of the continuing ballots' total (``2 * c > total``) wins.
3. Otherwise, if exactly one option continues it wins; if every continuing option has an equal count
   there is no winner (``winner is None`` and ``tied`` lists them).
4. Otherwise the option with the fewest votes is eliminated. A tie for fewest is narrowed by the
   earlier rounds, most recent first: in the latest earlier round where the tied options' counts
   differ, only those with the fewest stay in the tie (repeatedly, until one is left or the rounds
   run out); what is still tied is decided by lot,
   ``random.Random(tiebreak_seed).choice(sorted(tied))``.

When no ballot counts for anything in the first round (no ballots, only empty ballots, or zero total
weight) there is no winner and every option is tied, even if there is only one option.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# float64 sums of integers are exact up to 2**53, so np.bincount's float weights are exact below it.
_FLOAT_EXACT = 2**53
_INT64_SAFE = 2**63 - 1


@dataclass(frozen=True)
class IrvRound:
    """One round of the count: votes per option, the option eliminated after it, the exhausted weight."""

    counts: tuple[int, ...]  # votes per option index this round (eliminated options keep 0)
    eliminated: int | None  # option index eliminated at the end of this round, None in the final round
    exhausted: int  # total weight of ballots with no continuing option this round


@dataclass(frozen=True)
class IrvResult:
    """The winner (or the tied options), every round, and the final round's continuing total."""

    winner: int | None  # option index, None when every continuing option is tied
    tied: tuple[int, ...]  # the tied continuing options when winner is None, else ()
    rounds: tuple[IrvRound, ...]
    continuing_total: int  # sum of counts in the final round (the denominator of the winner's share)


def _pick_loser(lowest: list[int], history: list[list[int]], tiebreak_seed: str) -> int:
    """Return the option to eliminate among ``lowest`` (all tied for fewest votes this round)."""
    tied = sorted(lowest)
    # history[-1] is the current round, where they are tied by definition: look further back.
    for earlier in reversed(history[:-1]):
        if len(tied) == 1:
            break
        fewest = min(earlier[o] for o in tied)
        tied = [o for o in tied if earlier[o] == fewest]
    if len(tied) == 1:
        return tied[0]
    return random.Random(tiebreak_seed).choice(sorted(tied))


def _decide(
    counts: list[int], continuing: list[int], history: list[list[int]], tiebreak_seed: str
) -> tuple[int | None, tuple[int, ...], int | None]:
    """Return (winner, tied, eliminated) for one round; exactly one of the three parts says what happens."""
    total = sum(counts[o] for o in continuing)
    if total == 0:
        # Only possible in the first round (an elimination never removes the last vote): nothing was cast.
        return None, tuple(sorted(continuing)), None
    for o in continuing:
        if 2 * counts[o] > total:
            return o, (), None
    if len(continuing) == 1:
        return continuing[0], (), None
    fewest = min(counts[o] for o in continuing)
    if all(counts[o] == fewest for o in continuing):
        return None, tuple(sorted(continuing)), None
    lowest = [o for o in continuing if counts[o] == fewest]
    return None, (), _pick_loser(lowest, history, tiebreak_seed)


def _no_options_result() -> IrvResult:
    """Return the result of a count with no options at all: nothing to win, nothing tied."""
    return IrvResult(winner=None, tied=(), rounds=(IrvRound((), None, 0),), continuing_total=0)


def instant_runoff(
    ballots: npt.NDArray[np.integer],
    n_options: int,
    weights: npt.NDArray[np.int64] | None = None,
    tiebreak_seed: str = "",
) -> IrvResult:
    """Return the instant-runoff result for ``ballots`` (rows of option indices, padded with -1).

    Each ballot keeps a pointer to its current top choice; an elimination only moves the ballots whose
    top was the eliminated option, and the counts are updated incrementally, so a count costs about one
    pass over the ballots plus the work of the transfers.
    """
    assert ballots.ndim == 2, "ballots must be a 2-D matrix (n ballots, k ranks)"
    n, k = ballots.shape
    assert n_options >= 0
    if weights is not None:
        assert weights.shape == (n,), "weights must have one entry per ballot"
        assert n == 0 or int(weights.min()) >= 0, "weights must be non-negative"
    if n_options == 0:
        return _no_options_result()

    wmax = 1 if weights is None or n == 0 else int(weights.max())
    if n * wmax > _INT64_SAFE:
        # Totals could overflow int64: count with Python integers instead (slow, but exact).
        return irv_reference(ballots.tolist(), n_options, None if weights is None else weights.tolist(), tiebreak_seed)
    float_exact = n * wmax < _FLOAT_EXACT

    def tally(options: npt.NDArray[np.integer], rows: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
        """Return the total weight per option index of the given ballots' top choices (-1 = exhausted)."""
        # Shift by one so that the exhausted marker -1 lands in bin 0 and is dropped without masking.
        shifted = options.astype(np.intp) + 1
        if weights is None:
            return np.bincount(shifted, minlength=n_options + 1)[1:].astype(np.int64, copy=False)
        w = weights[rows]
        if float_exact:
            return np.bincount(shifted, weights=w, minlength=n_options + 1)[1:].astype(np.int64)
        out = np.zeros(n_options + 1, dtype=np.int64)
        np.add.at(out, shifted, w)
        return out[1:]

    # A compact copy with one extra -1 column: every walk down a ranking ends on that sentinel, so the
    # loop needs no bounds check, and the small dtype keeps the random reads cheap.
    cell = np.int8 if n_options <= 127 else np.int16 if n_options <= 32767 else np.int32
    width = k + 1
    padded = np.full((n, width), -1, dtype=cell)
    padded[:, :k] = ballots
    flat = padded.ravel()
    top = padded[:, 0].copy()  # each ballot's current top choice, -1 once exhausted
    cur = np.arange(n, dtype=np.intp) * width  # where that choice sits in ``flat``
    # state[option] is 1 while it continues and 0 once eliminated; state[-1] (the padding) is 2.
    state = np.ones(n_options + 1, dtype=np.int8)
    state[-1] = 2

    total_weight = n if weights is None else int(weights.sum(dtype=np.int64))
    counts = tally(top, np.arange(n, dtype=np.intp))
    continuing = list(range(n_options))
    history: list[list[int]] = []
    rounds: list[IrvRound] = []
    while True:
        current = counts.tolist()
        history.append(current)
        winner, tied, loser = _decide(current, continuing, history, tiebreak_seed)
        # Every ballot of non-zero weight counts for a continuing option or is exhausted.
        exhausted = total_weight - sum(current)
        rounds.append(IrvRound(tuple(current), loser, exhausted))
        if loser is None:
            return IrvResult(winner, tied, tuple(rounds), sum(current[o] for o in continuing))

        state[loser] = 0
        continuing.remove(loser)
        counts[loser] = 0
        if current[loser] == 0:
            # No ballot with weight tops it; zero-weight ballots can stay put, they never change a count.
            continue

        # Only the ballots whose top choice was eliminated move; each walks down its own ranking until
        # it reaches a continuing option or the padding.
        rows = np.flatnonzero(top == loser)
        at = cur[rows]
        while rows.size:
            at += 1
            choice = flat[at]
            passing = state[choice] == 0
            if passing.all():
                continue
            stop = ~passing
            stopped, stopped_at, stopped_choice = rows[stop], at[stop], choice[stop]
            top[stopped] = stopped_choice
            cur[stopped] = stopped_at
            counts += tally(stopped_choice, stopped)
            rows, at = rows[passing], at[passing]


def irv_reference(ballots: list[list[int]], n_options: int, weights: list[int] | None, tiebreak_seed: str) -> IrvResult:
    """Return the instant-runoff result computed the plain way: recount every ballot every round.

    Deliberately shares no decision code with :func:`instant_runoff`, so the tests can use it as an oracle.
    """
    if n_options == 0:
        return _no_options_result()
    ws = [1] * len(ballots) if weights is None else list(weights)
    continuing = set(range(n_options))
    history: list[list[int]] = []
    rounds: list[IrvRound] = []
    while True:
        counts = [0] * n_options
        exhausted = 0
        for ballot, w in zip(ballots, ws, strict=True):
            ranked = ballot[: ballot.index(-1)] if -1 in ballot else ballot
            top = next((o for o in ranked if o in continuing), None)
            if top is None:
                exhausted += w
            else:
                counts[top] += w
        total = sum(counts[o] for o in continuing)
        ordered = sorted(continuing)

        outcome: tuple[int | None, tuple[int, ...]] | None = None
        if total == 0:
            outcome = (None, tuple(ordered))
        elif majority := [o for o in ordered if counts[o] * 2 > total]:
            outcome = (majority[0], ())
        elif len(ordered) == 1:
            outcome = (ordered[0], ())
        elif len({counts[o] for o in ordered}) == 1:
            outcome = (None, tuple(ordered))
        if outcome is not None:
            rounds.append(IrvRound(tuple(counts), None, exhausted))
            return IrvResult(outcome[0], outcome[1], tuple(rounds), total)

        fewest = min(counts[o] for o in ordered)
        tied = [o for o in ordered if counts[o] == fewest]
        for earlier in reversed(history):
            if len(tied) > 1:
                low = min(earlier[o] for o in tied)
                tied = [o for o in tied if earlier[o] == low]
        loser = tied[0] if len(tied) == 1 else random.Random(tiebreak_seed).choice(sorted(tied))
        history.append(counts)
        rounds.append(IrvRound(tuple(counts), loser, exhausted))
        continuing.remove(loser)
