"""Completion gates (SPEC §6, seed 004's dual completion): pure functions of stored signals and `now`.

Nothing here depends on a timer surviving: the state at any instant follows from the gate's settings, its
signals (each with its time) and the instant asked about, so every reader, the sweeper and every replica
agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.domain.errors import ValidationError

COMPLETE, NEEDS_REVISION = "complete", "needs_revision"
SIGNALS = (COMPLETE, NEEDS_REVISION)
OPEN, CONSENSUS, SINGLE = "open", "consensus_complete", "single_agent_complete"
SINGLE_WARNING, OUTSIDE_WARNING = "single_agent_completion", "completions_outside_window"
NUDGE_TEXT = "A team member has signaled completion. Please confirm if the task is done."
MAX_SECONDS = 30 * 24 * 3600
MAX_PARTICIPANTS = 100


@dataclass(frozen=True)
class GateConfig:
    """A completion gate's settings (seed 004's defaults)."""

    participants: tuple[str, ...]
    min_completions: int = 2
    window_seconds: int = 60
    nudge_after_seconds: int = 30
    fallback_timeout: int = 120


def _whole(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _seconds(value: object, name: str, *, minimum: int) -> int:
    seconds = _whole(value)
    if seconds is None or not minimum <= seconds <= MAX_SECONDS:
        raise ValidationError(
            f"{name} must be a whole number of seconds from {minimum} to {MAX_SECONDS}, got {value!r}", field=name
        )
    return seconds


def check_config(
    participants: Sequence[str],
    min_completions: object = 2,
    window_seconds: object = 60,
    nudge_after_seconds: object = 30,
    fallback_timeout: object = 120,
) -> GateConfig:
    """Validate a gate's settings; refuses naming the field and what is allowed."""
    if not isinstance(participants, list | tuple) or not all(isinstance(p, str) and p for p in participants):
        raise ValidationError("participants is a list of member names", field="participants")
    names = tuple(dict.fromkeys(participants))
    if not names or len(names) > MAX_PARTICIPANTS:
        raise ValidationError(f"participants must name 1-{MAX_PARTICIPANTS} members", field="participants")
    needed = _whole(min_completions)
    if needed is None or not 1 <= needed <= len(names):
        raise ValidationError(
            f"min_completions must be a whole number from 1 to the {len(names)} participants, got {min_completions!r}",
            field="min_completions",
        )
    return GateConfig(
        participants=names,
        min_completions=needed,
        window_seconds=_seconds(window_seconds, "window_seconds", minimum=0),
        nudge_after_seconds=_seconds(nudge_after_seconds, "nudge_after_seconds", minimum=0),
        fallback_timeout=_seconds(fallback_timeout, "fallback_timeout", minimum=1),
    )


def check_signal(raw: object) -> str:
    if raw not in SIGNALS:
        raise ValidationError(f"signal {raw!r} is not allowed: use complete or needs_revision", field="signal")
    return str(raw)


@dataclass(frozen=True)
class Signal:
    """One participant's signal, as stored."""

    member: str
    signal: str
    at: datetime


@dataclass(frozen=True)
class GateState:
    """What a gate is at one instant."""

    status: str
    warning: str | None
    closed_at: datetime | None
    epoch: int  # needs_revision restarts so far; each epoch has its own clock and its own nudge
    completions: dict[str, datetime] = field(default_factory=dict)
    first_completion_at: datetime | None = None
    nudge_at: datetime | None = None
    fallback_at: datetime | None = None
    pending: tuple[str, ...] = ()
    counted: tuple[Signal, ...] = ()  # the signals that counted (repeats and post-closing ones excluded)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def nudge_due(self, now: datetime, nudged_epoch: int | None) -> bool:
        """True when this epoch's one nudge should go out now (and has not)."""
        return (
            self.is_open
            and self.nudge_at is not None
            and now >= self.nudge_at
            and nudged_epoch != self.epoch
            and bool(self.pending)
        )


def within_window(times: Iterable[datetime], needed: int, window: timedelta) -> bool:
    """Whether `needed` of `times` fall within one span of at most `window` (inclusive, seed 004's `<=`)."""
    ordered = sorted(times)
    return any(ordered[i + needed - 1] - ordered[i] <= window for i in range(len(ordered) - needed + 1))


def evaluate(config: GateConfig, signals: Iterable[Signal], now: datetime) -> GateState:
    """The gate's state at `now`, replaying its signals in time order (ties in stored order)."""
    window = timedelta(seconds=config.window_seconds)
    fallback = timedelta(seconds=config.fallback_timeout)
    completions: dict[str, datetime] = {}
    first: datetime | None = None
    epoch = 0
    counted: list[Signal] = []
    for s in sorted(signals, key=lambda s: s.at):
        if first is not None and s.at >= first + fallback:
            break  # the gate closed by fallback before this signal
        if s.signal == NEEDS_REVISION:
            counted.append(s)
            if completions:
                completions, first, epoch = {}, None, epoch + 1
            continue
        if s.member in completions:
            continue  # one signal per participant counts
        counted.append(s)
        completions[s.member] = s.at
        first = first or s.at
        if len(completions) >= config.min_completions and within_window(
            completions.values(), config.min_completions, window
        ):
            return _state(config, CONSENSUS, None, s.at, epoch, completions, first, counted)
    if first is not None and now >= first + fallback:
        if len(completions) >= config.min_completions:
            return _state(config, CONSENSUS, OUTSIDE_WARNING, first + fallback, epoch, completions, first, counted)
        return _state(config, SINGLE, SINGLE_WARNING, first + fallback, epoch, completions, first, counted)
    return _state(config, OPEN, None, None, epoch, completions, first, counted)


def _state(
    config: GateConfig,
    status: str,
    warning: str | None,
    closed_at: datetime | None,
    epoch: int,
    completions: dict[str, datetime],
    first: datetime | None,
    counted: list[Signal],
) -> GateState:
    nudge_at = fallback_at = None
    if first is not None:
        fallback_at = first + timedelta(seconds=config.fallback_timeout)
        if config.nudge_after_seconds < config.fallback_timeout:
            nudge_at = first + timedelta(seconds=config.nudge_after_seconds)
    return GateState(
        status=status,
        warning=warning,
        closed_at=closed_at,
        epoch=epoch,
        completions=dict(completions),
        first_completion_at=first,
        nudge_at=nudge_at,
        fallback_at=fallback_at,
        pending=tuple(p for p in config.participants if p not in completions),
        counted=tuple(counted),
    )
