"""Dual completion (SPEC §6, seed 004's pseudocode), pure: state from stored signals and `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.domain.completion import (
    CONSENSUS,
    OPEN,
    OUTSIDE_WARNING,
    SINGLE,
    SINGLE_WARNING,
    GateConfig,
    Signal,
    check_config,
    check_signal,
    evaluate,
)
from accord.domain.errors import ValidationError

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
GATE = GateConfig(participants=("a", "b", "c"))  # seed 004's defaults: 2 within 60 s, nudge 30 s, fallback 120 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def complete(member: str, seconds: float) -> Signal:
    return Signal(member, "complete", at(seconds))


def test_two_completions_within_the_window_close_as_consensus() -> None:
    state = evaluate(GATE, [complete("a", 0), complete("b", 59)], at(59))
    assert (state.status, state.warning, state.closed_at) == (CONSENSUS, None, at(59))


def test_the_window_is_inclusive_as_the_seeds_lte() -> None:
    assert evaluate(GATE, [complete("a", 0), complete("b", 60)], at(60)).status == CONSENSUS
    assert evaluate(GATE, [complete("a", 0), complete("b", 60.001)], at(61)).status == OPEN


def test_one_completion_schedules_the_nudge_and_the_fallback() -> None:
    state = evaluate(GATE, [complete("a", 0)], at(29))
    assert (state.status, state.nudge_at, state.fallback_at, state.pending) == (OPEN, at(30), at(120), ("b", "c"))
    assert not state.nudge_due(at(29), None)
    assert state.nudge_due(at(30), None)
    assert not state.nudge_due(at(31), 0)  # already sent for this epoch


def test_single_agent_fallback_after_120_seconds_with_its_warning() -> None:
    assert evaluate(GATE, [complete("a", 0)], at(119.999)).status == OPEN
    state = evaluate(GATE, [complete("a", 0)], at(120))
    assert (state.status, state.warning, state.closed_at) == (SINGLE, SINGLE_WARNING, at(120))
    assert not state.nudge_due(at(120), None)  # closed: no nudge any more


def test_completions_outside_the_window_close_as_consensus_with_a_warning_at_the_fallback() -> None:
    signals = [complete("a", 0), complete("b", 90)]
    assert evaluate(GATE, signals, at(119)).status == OPEN
    state = evaluate(GATE, signals, at(120))
    assert (state.status, state.warning, state.closed_at) == (CONSENSUS, OUTSIDE_WARNING, at(120))


def test_needs_revision_clears_the_completions_and_restarts_the_clock() -> None:
    signals = [complete("a", 0), Signal("b", "needs_revision", at(10))]
    state = evaluate(GATE, signals, at(500))
    assert (state.status, state.completions, state.first_completion_at, state.epoch) == (OPEN, {}, None, 1)
    signals += [complete("a", 600)]
    state = evaluate(GATE, signals, at(629))
    assert (state.first_completion_at, state.nudge_at, state.epoch) == (at(600), at(630), 1)
    assert state.nudge_due(at(630), 0)  # epoch 0's nudge does not cover epoch 1
    signals += [complete("b", 650)]
    assert evaluate(GATE, signals, at(650)).status == CONSENSUS


def test_repeats_are_ignored() -> None:
    state = evaluate(GATE, [complete("a", 0), complete("a", 5), complete("a", 10)], at(10))
    assert (state.status, list(state.completions), len(state.counted)) == (OPEN, ["a"], 1)


def test_signals_after_the_fallback_closed_the_gate_do_not_count() -> None:
    state = evaluate(GATE, [complete("a", 0), complete("b", 130)], at(130))
    assert (state.status, state.closed_at, list(state.completions)) == (SINGLE, at(120), ["a"])


def test_min_completions_of_three_counts_any_span() -> None:
    gate = GateConfig(participants=("a", "b", "c", "d"), min_completions=3, window_seconds=60)
    signals = [complete("a", 0), complete("b", 70), complete("c", 100)]
    assert evaluate(gate, signals, at(100)).status == OPEN  # 0..100 is too wide
    assert evaluate(gate, [*signals, complete("d", 110)], at(110)).status == CONSENSUS  # 70..110


@settings(max_examples=150, deadline=None)
@given(times=st.lists(st.integers(0, 300), min_size=1, max_size=6), now=st.integers(0, 400))
def test_the_state_never_depends_on_the_order_signals_are_stored(times: list[int], now: int) -> None:
    signals = [complete(f"m{i}", t) for i, t in enumerate(times)]
    gate = GateConfig(participants=tuple(f"m{i}" for i in range(len(times))), min_completions=min(2, len(times)))
    first = evaluate(gate, signals, at(max(now, max(times))))
    second = evaluate(gate, list(reversed(signals)), at(max(now, max(times))))
    assert (first.status, first.warning, first.closed_at) == (second.status, second.warning, second.closed_at)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"participants": []}, "participants must name 1-100 members"),
        ({"participants": ["a"], "min_completions": 2}, "min_completions must be a whole number from 1 to the 1"),
        ({"participants": ["a", "b"], "min_completions": 0}, "min_completions"),
        ({"participants": ["a", "b"], "window_seconds": -1}, "window_seconds must be a whole number of seconds"),
        ({"participants": ["a", "b"], "fallback_timeout": 0}, "fallback_timeout"),
        ({"participants": ["a", "b"], "nudge_after_seconds": 1.5}, "nudge_after_seconds"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_config(**kwargs)  # type: ignore[arg-type]


def test_signals_are_complete_or_needs_revision() -> None:
    assert check_signal("needs_revision") == "needs_revision"
    with pytest.raises(ValidationError, match="signal 'done' is not allowed: use complete or needs_revision"):
        check_signal("done")
