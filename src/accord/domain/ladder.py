"""The reminder and escalation ladder (SPEC §11): which step is due for an open proposal, from stored times.

Pure: times are passed in. `remind_after_seconds` after it opened, a proposal or gate still open and before
its deadline sends one `vote.reminder` to each eligible voter without a ballot; `escalate_after_seconds` after
it opened, a non-gate proposal still open, not closable and before its deadline is escalated to the group's
human owners/admins with cause `no_decision_in_time` (one of §4's causes).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from accord.domain.closing import closability
from accord.domain.proposals import Proposal

REMIND = "remind"
ESCALATE = "escalate"
NO_DECISION_IN_TIME = "no_decision_in_time"


def due_steps(
    *,
    kind: str,
    opened_at: datetime,
    deadline: datetime | None,
    remind_after_seconds: int | None,
    escalate_after_seconds: int | None,
    done: Collection[str],
    now: datetime,
) -> list[str]:
    """The ladder's steps due now and not yet done, in order (reminder first)."""
    if deadline is not None and now >= deadline:
        return []
    steps = []
    if remind_after_seconds is not None and REMIND not in done:
        if now >= opened_at + timedelta(seconds=remind_after_seconds):
            steps.append(REMIND)
    if escalate_after_seconds is not None and ESCALATE not in done and kind != "gate":
        if now >= opened_at + timedelta(seconds=escalate_after_seconds):
            steps.append(ESCALATE)
    return steps


def still_remindable(p: Proposal, now: datetime) -> list[str]:
    """The eligible voters of an open proposal without a ballot (those a reminder goes to), before its
    deadline; empty when nothing is to be sent."""
    if p.status != "open" or (p.deadline is not None and now >= p.deadline):
        return []
    return [name for name in p.voters if name not in p.ballots]


def escalates(p: Proposal, now: datetime) -> bool:
    """Whether the ladder escalates `p` now: a non-gate proposal still open, not closable, before its deadline."""
    if p.kind == "gate" or p.status != "open" or (p.deadline is not None and now >= p.deadline):
        return False
    return not closability(p, now).closable
