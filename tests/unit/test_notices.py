"""SPEC §11's notice table and the ladder's timing, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.domain import ladder, notices
from accord.domain.errors import ValidationError
from accord.domain.notices import ItemFacts, Recipient, VoterFacts

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def facts(kind: str = "proposal", **overrides: object) -> ItemFacts:
    base: dict[str, object] = {
        "kind": kind,
        "id": "prop_1",
        "group": "eng",
        "title": "Ship 2.0?",
        "creator": "bot",
        "creator_kind": "agent",
        "subject": "deploy" if kind == "gate" else None,
        "deadline": AT + timedelta(hours=2),
        "voters": (
            VoterFacts("alice", "human"),
            VoterFacts("bob", "agent", voted=True),
            VoterFacts("carol", "human", advisory=True),
        ),
        "human_managers": (Recipient("olga", "human"),),
        "path": "/gates/prop_1" if kind == "gate" else "/proposals/prop_1",
    }
    base.update(overrides)
    return ItemFacts(**base)  # type: ignore[arg-type]


def names(notice: notices.Notice | None) -> list[str]:
    assert notice is not None
    return [r.name for r in notice.recipients]


@pytest.mark.parametrize(
    "cause", ["proposal.created", "proposal.revote", "gate.requested", "checkpoint.approval_requested"]
)
def test_a_request_for_votes_goes_to_eligible_non_advisory_voters(cause: str) -> None:
    notice = notices.plan(cause, {}, facts())
    assert notice is not None and notice.type == "vote.requested"
    assert names(notice) == ["alice", "bob"]


def test_a_reminder_goes_to_eligible_voters_without_a_ballot() -> None:
    notice = notices.plan("proposal.reminded", {}, facts())
    assert notice is not None and notice.type == "vote.reminder"
    assert names(notice) == ["alice", "carol"]


def test_an_escalation_goes_to_the_groups_human_owners_and_admins() -> None:
    notice = notices.plan("proposal.escalated", {"reason": "no_decision_in_time"}, facts())
    assert notice is not None and (notice.type, notice.reason) == ("proposal.escalated", "no_decision_in_time")
    assert names(notice) == ["olga"]


@pytest.mark.parametrize("cause", ["proposal.finalized", "proposal.forced", "proposal.resolved"])
def test_a_decision_goes_to_the_creator_and_the_voters_once_each(cause: str) -> None:
    notice = notices.plan(cause, {}, facts(voters=(VoterFacts("bot", "agent"), VoterFacts("alice", "human"))))
    assert notice is not None and notice.type == "proposal.decided"
    assert names(notice) == ["bot", "alice"]


def test_a_gates_close_or_expiry_goes_to_its_requester_only() -> None:
    notice = notices.plan("proposal.finalized", {"kind": "gate"}, facts("gate"))
    assert notice is not None and notice.type == "gate.decided"
    assert names(notice) == ["bot"]


def test_checkpoint_ready_goes_to_those_who_opted_in_and_nothing_else_causes_a_notice() -> None:
    ready = notices.plan("checkpoint.ready", {}, facts("checkpoint", opted_in=(Recipient("dave", "agent"),)))
    assert names(ready) == ["dave"]
    assert notices.plan("vote.cast", {}, facts()) is None
    assert notices.plan("proposal.escalated", {}, facts(human_managers=())) is None


def test_a_notice_names_the_item_what_is_asked_the_local_deadline_and_the_address() -> None:
    notice = notices.plan("gate.requested", {}, facts("gate"))
    assert notice is not None
    shown = notices.render(
        notice, Recipient("alice", "human"), public_url="https://accord.example/", time_zone="Europe/Paris"
    )
    assert shown.title == "[Accord] Your vote is requested: Ship 2.0?"
    assert "Gate 'deploy' (prop_1) requested by bot in group eng." in shown.body
    assert "vote yes or no" in shown.body
    assert "Deadline: 2026-05-01 16:00 CEST (Europe/Paris)." in shown.body
    assert shown.url == "https://accord.example/gates/prop_1"
    assert shown.body.endswith("Open it: https://accord.example/gates/prop_1")
    utc = notices.render(notice, Recipient("bob", "agent"), public_url="http://x")
    assert "Deadline: 2026-05-01 14:00 UTC (UTC)." in utc.body
    assert notices.signin_line("L").endswith(": L")


def test_channel_filters_take_types_and_patterns_and_checkpoint_ready_is_opt_in() -> None:
    assert notices.check_events(None) is None
    assert notices.check_events(["vote.*", "gate.decided", "vote.*"]) == ("vote.*", "gate.decided")
    assert notices.wants(None, "vote.requested") and not notices.wants(None, "checkpoint.ready")
    assert notices.wants(("checkpoint.*",), "checkpoint.ready")
    assert not notices.wants(("vote.*",), "gate.decided")
    with pytest.raises(ValidationError) as refused:
        notices.check_events(["votes.requested"])
    assert refused.value.details["field"] == "events"
    assert "matches no notice" in refused.value.message


def test_time_zones_are_iana_names() -> None:
    assert notices.check_time_zone("America/New_York") == "America/New_York"
    assert notices.check_time_zone("") is None
    for bad in ("Mars/Olympus", "../etc/passwd", "x" * 80, 5):
        with pytest.raises(ValidationError) as refused:
            notices.check_time_zone(bad)
        assert refused.value.details["field"] == "time_zone"


def test_the_ladder_reminds_then_escalates_from_the_opening_time_and_never_past_the_deadline() -> None:
    def due(now: datetime, kind: str = "proposal", done: tuple[str, ...] = ()) -> list[str]:
        return ladder.due_steps(
            kind=kind,
            opened_at=AT,
            deadline=AT + timedelta(hours=2),
            remind_after_seconds=600,
            escalate_after_seconds=3600,
            done=done,
            now=now,
        )

    assert due(AT + timedelta(seconds=599)) == []
    assert due(AT + timedelta(seconds=600)) == ["remind"]
    assert due(AT + timedelta(hours=1)) == ["remind", "escalate"]
    assert due(AT + timedelta(hours=1), done=("remind",)) == ["escalate"]
    assert due(AT + timedelta(hours=1), kind="gate") == ["remind"]
    assert due(AT + timedelta(hours=2)) == []
