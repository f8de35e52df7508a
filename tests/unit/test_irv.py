"""Instant-runoff counter: SPEC §2.4 examples, tie-breaks, edge cases, and properties against the oracle."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.irv import IrvResult, IrvRound, instant_runoff, irv_reference


def matrix(ballots: list[list[int]], width: int) -> npt.NDArray[np.int64]:
    """Return ballots as an (n, width) matrix padded with -1, as the caller hands them over."""
    out = np.full((len(ballots), width), -1, dtype=np.int64)
    for i, ballot in enumerate(ballots):
        out[i, : len(ballot)] = ballot
    return out


def count(ballots: list[list[int]], n_options: int, weights: list[int] | None = None, seed: str = "") -> IrvResult:
    """Return the vectorised result, after checking that the oracle agrees with it exactly."""
    w = None if weights is None else np.array(weights, dtype=np.int64)
    result = instant_runoff(matrix(ballots, n_options), n_options, w, seed)
    assert result == irv_reference(ballots, n_options, weights, seed)
    return result


def test_seed_000_ranked_example_elects_api_v2_in_round_one() -> None:
    options = ["Dark mode", "Mobile app", "API v2", "SSO"]
    raw = [
        "API v2,SSO,Dark mode,Mobile app",
        "SSO,API v2,Mobile app,Dark mode",
        "API v2,Dark mode,SSO,Mobile app",
    ]
    ballots = [[options.index(name) for name in line.split(",")] for line in raw]
    result = count(ballots, len(options))
    assert result.winner == options.index("API v2")
    assert result.tied == ()
    assert result.rounds == (IrvRound(counts=(0, 0, 2, 1), eliminated=None, exhausted=0),)
    assert result.continuing_total == 3


def test_multi_round_with_truncated_ballots_and_exhaustion() -> None:
    ballots = [[0]] * 4 + [[1]] * 3 + [[2, 1]] * 2 + [[3]]
    result = count(ballots, 4)
    assert result.rounds == (
        IrvRound((4, 3, 2, 1), 3, 0),
        IrvRound((4, 3, 2, 0), 2, 1),
        IrvRound((4, 5, 0, 0), None, 1),
    )
    # The first-round leader loses: the transfers from C give B 5 of the 9 continuing ballots.
    assert result.winner == 1
    assert result.continuing_total == 9


def test_tie_for_fewest_is_broken_by_the_previous_round() -> None:
    # Round 2: B and C tie at 4; in round 1 C had fewer (3 < 4), so C goes and its ballots elect B.
    ballots = [[0]] * 6 + [[1]] * 4 + [[2, 1]] * 3 + [[3, 2, 1]]
    result = count(ballots, 4)
    assert result.rounds == (
        IrvRound((6, 4, 3, 1), 3, 0),
        IrvRound((6, 4, 4, 0), 2, 0),
        IrvRound((6, 8, 0, 0), None, 0),
    )
    assert result.winner == 1


def test_tie_break_looks_at_the_most_recent_round_first() -> None:
    # Round 3: B and C tie at 6. Round 2 (B 5 < C 6) decides against B, although round 1 (B 5 > C 4)
    # would have decided against C.
    ballots = [[0]] * 10 + [[1]] * 5 + [[2]] * 4 + [[3, 1]] + [[3]] * 2 + [[4, 2]] * 2
    result = count(ballots, 5)
    assert result.rounds == (
        IrvRound((10, 5, 4, 3, 2), 4, 0),
        IrvRound((10, 5, 6, 3, 0), 3, 0),
        IrvRound((10, 6, 6, 0, 0), 1, 2),
        IrvRound((10, 0, 6, 0, 0), None, 8),
    )
    assert result.winner == 0
    assert result.continuing_total == 16


def test_lot_is_deterministic_for_a_seed_and_depends_on_it() -> None:
    # B and C tie for fewest in the first round, so only the lot can choose.
    ballots = [[0]] * 2 + [[1, 0], [2, 0]]
    outcomes: set[int] = set()
    for i in range(20):
        seed = f"proposal-{i}"
        first = count(ballots, 3, seed=seed)
        again = count(ballots, 3, seed=seed)
        assert first == again
        eliminated = first.rounds[0].eliminated
        assert eliminated == random.Random(seed).choice([1, 2])
        assert first.winner == 0
        outcomes.add(eliminated)
    assert outcomes == {1, 2}


def test_every_continuing_option_tied_means_no_winner() -> None:
    result = count([[0, 1], [1, 0]], 2)
    assert result.winner is None
    assert result.tied == (0, 1)
    assert result.rounds == (IrvRound((1, 1), None, 0),)
    assert result.continuing_total == 2


def test_zero_vote_options_are_eliminated_before_the_tie_is_declared() -> None:
    result = count([[0], [1]], 3)
    assert [r.eliminated for r in result.rounds] == [2, None]
    assert result.winner is None
    assert result.tied == (0, 1)


def test_weights_count_instead_of_heads() -> None:
    # Unweighted, B and C would tie for fewest; weighted, C is clearly last and its weight elects B.
    ballots = [[0], [1], [2, 1]]
    result = count(ballots, 3, weights=[5, 4, 2])
    assert result.rounds == (IrvRound((5, 4, 2), 2, 0), IrvRound((5, 6, 0), None, 0))
    assert result.winner == 1
    assert result.continuing_total == 11


def test_huge_weights_stay_exact() -> None:
    # 3 * 2**60 is past float64's exact range but inside int64; 2**62 * 3 is past int64 altogether.
    for big in (2**60, 2**62):
        ballots = [[0], [1], [2, 1]]
        result = count(ballots, 3, weights=[big + 1, big, 2])
        assert result.rounds[0].counts == (big + 1, big, 2)
        assert result.winner == 1
        assert result.continuing_total == 2 * big + 3


def test_zero_ballots_means_no_winner_and_all_options_tied() -> None:
    for n_options in (1, 4):
        result = count([], n_options)
        assert result.winner is None
        assert result.tied == tuple(range(n_options))
        assert result.rounds == (IrvRound((0,) * n_options, None, 0),)
        assert result.continuing_total == 0


def test_only_empty_ballots_is_like_zero_ballots() -> None:
    result = count([[], []], 2)
    assert result.winner is None
    assert result.tied == (0, 1)
    assert result.rounds == (IrvRound((0, 0), None, 2),)


def test_single_option_wins_with_any_vote() -> None:
    result = count([[0], []], 1)
    assert result.winner == 0
    assert result.continuing_total == 1


def test_more_options_than_fit_in_int8_and_wide_padding() -> None:
    rng = np.random.default_rng(3)
    n_options = 300
    ballots = [rng.permutation(n_options)[: int(rng.integers(0, 12))].tolist() for _ in range(400)]
    # Option indices above 127 need a wider cell than int8; extra padding columns must not matter.
    result = instant_runoff(matrix(ballots, n_options + 5), n_options, None, "wide")
    assert result == irv_reference(ballots, n_options, None, "wide")
    assert result.winner is not None or result.tied


def test_larger_random_elections_match_the_reference() -> None:
    rng = np.random.default_rng(11)
    for _ in range(5):
        n_options = int(rng.integers(2, 10))
        popularity = rng.dirichlet(np.ones(n_options))
        ballots = [
            rng.choice(n_options, size=int(rng.integers(0, n_options + 1)), replace=False, p=popularity).tolist()
            for _ in range(2_000)
        ]
        weights = rng.integers(0, 1_000, size=len(ballots)).tolist()
        count(ballots, n_options, weights, seed="big")
        count(ballots, n_options, None, seed="big")


@dataclass(frozen=True)
class Case:
    """A random small election: truncated rankings, optional weights, a seed for the lot."""

    ballots: list[list[int]]
    n_options: int
    weights: list[int] | None
    seed: str


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Draw a small election, often with ties so that every tie-break path is exercised."""
    n_options = draw(st.integers(min_value=1, max_value=6))
    ranking = st.permutations(list(range(n_options))).flatmap(
        lambda perm: st.integers(min_value=0, max_value=len(perm)).map(lambda length: perm[:length])
    )
    ballots = draw(st.lists(ranking, max_size=25))
    weights = draw(
        st.none() | st.lists(st.integers(min_value=0, max_value=4), min_size=len(ballots), max_size=len(ballots))
    )
    seed = draw(st.sampled_from(["", "p1", "p2", "proposal-xyz"]))
    return Case(ballots, n_options, weights, seed)


def run(case: Case, ballots: list[list[int]] | None = None, weights: list[int] | None = None) -> IrvResult:
    """Return the vectorised result for the case, optionally with replaced ballots or weights."""
    rows = case.ballots if ballots is None else ballots
    ws = case.weights if weights is None else weights
    # Extra padding columns must not matter, so pad wider than the longest ranking.
    w = None if ws is None else np.array(ws, dtype=np.int64)
    return instant_runoff(matrix(rows, case.n_options + 1), case.n_options, w, case.seed)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_vectorised_count_equals_the_reference(case: Case) -> None:
    assert run(case) == irv_reference(case.ballots, case.n_options, case.weights, case.seed)


@settings(max_examples=150, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_ballot_order_never_matters(case: Case, rnd: random.Random) -> None:
    order = list(range(len(case.ballots)))
    rnd.shuffle(order)
    shuffled = [case.ballots[i] for i in order]
    weights = None if case.weights is None else [case.weights[i] for i in order]
    assert run(case, shuffled, weights) == run(case)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(min_value=2, max_value=10**6))
def test_scaling_all_weights_never_changes_the_winner(case: Case, factor: int) -> None:
    base = case.weights if case.weights is not None else [1] * len(case.ballots)
    plain = run(case, weights=base)
    scaled = run(case, weights=[w * factor for w in base])
    assert (scaled.winner, scaled.tied) == (plain.winner, plain.tied)
    assert [r.eliminated for r in scaled.rounds] == [r.eliminated for r in plain.rounds]
    assert scaled.continuing_total == plain.continuing_total * factor
