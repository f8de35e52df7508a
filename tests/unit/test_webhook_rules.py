"""The outbox's retry schedule and the webhook rules (SPEC §11), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.domain.errors import ValidationError
from accord.domain.outbox import RETRY_WINDOW, backoff, next_attempt
from accord.domain.webhooks import check_filters, check_url, is_webhook_event, masked, matches, refused_address

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_backoff_is_5s_30s_2min_10min_1h_then_hourly() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [5, 30, 120, 600, 3600, 3600, 3600, 3600]


def test_the_next_attempt_never_falls_after_the_window() -> None:
    give_up = T0 + RETRY_WINDOW
    assert next_attempt(1, now=T0, give_up_at=give_up) == T0 + timedelta(seconds=5)
    assert next_attempt(9, now=give_up - timedelta(minutes=59), give_up_at=give_up) is None
    assert next_attempt(9, now=give_up - timedelta(hours=1), give_up_at=give_up) == give_up


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_never_shrinks(failures: int) -> None:
    assert backoff(failures) <= backoff(failures + 1) <= timedelta(hours=1)


def test_filters_match_exact_types_families_and_everything() -> None:
    assert matches([], "vote.cast") and matches(None, "vote.cast")
    assert matches(["proposal.*"], "proposal.finalized") and not matches(["proposal.*"], "proposals.x")
    assert not matches(["proposal.*"], "vote.cast") and matches(["vote.cast"], "vote.cast")
    assert check_filters(["proposal.*", " gate.requested ", "proposal.*"]) == ["proposal.*", "gate.requested"]
    assert check_filters(["*", "vote.cast"]) == []


@pytest.mark.parametrize("bad", ["", "Proposal.*", "proposal.", "*.created", "proposal.**", "a b"])
def test_a_filter_that_is_not_an_event_type_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not an event type") as caught:
        check_filters([bad])
    assert caught.value.details["field"] == "events"


def test_direct_message_events_never_go_to_webhooks() -> None:
    assert not is_webhook_event("message.sent", {"to": "qa"})
    assert not is_webhook_event("message.received", {"message_id": "msg_1"})
    assert is_webhook_event("message.sent", {"to": "*"})
    assert is_webhook_event("proposal.created", {})


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1",
     "fe80::1%eth0", "fc00::5", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_loopback_private_link_local_and_other_non_public_addresses_are_refused(address: str) -> None:
    assert refused_address(["93.184.215.14", address]) == address


def test_public_addresses_pass() -> None:
    assert refused_address(["93.184.215.14", "2606:4700:4700::1111"]) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "url must not be empty"),
        ("ftp://example.com/x", "must use http or https, not ftp"),
        ("example.com/hook", "must use http or https, not no scheme"),
        ("https:///path", "has no host"),
        ("https://example.com:99999/", "is not a valid URL"),
        ("https://example.com/#frag", "must not have a #fragment"),
        ("https://example.com/" + "a" * 2001, "at most 2000"),
    ],
)
def test_a_webhook_url_must_be_http_or_https_with_a_host(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_url(url)


def test_a_good_url_is_trimmed() -> None:
    assert check_url("  https://hooks.example.com/accord?x=1 ") == "https://hooks.example.com/accord?x=1"


def test_events_show_only_scheme_host_and_port_of_a_webhook_url() -> None:
    assert masked("https://hooks.example.com/T000/B000/XXXX?token=s3cret") == "https://hooks.example.com/…"
    assert masked("http://[::1]:8080/") == "http://[::1]:8080"
    assert masked("https://ci.example.com") == "https://ci.example.com"
