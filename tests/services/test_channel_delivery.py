"""Member notices delivered through Apprise to real local peers (SPEC §11): mail to an aiosmtpd mailbox, JSON to
an HTTP receiver; written with the causing event, sent by the outbox worker, retried on failure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import AuthError
from tests.reach_receivers import json_inbox, mailbox
from tests.support import World

SESSION_END = datetime(2100, 1, 1, tzinfo=UTC)  # a web session that outlives every test's clock


@pytest.fixture
def reach(world: World) -> Iterator[World]:
    world.services.ctx.allow_private_targets = True
    world.group("eng", {"alice": {"kind": "human", "role": "owner"}, "bot": {"kind": "agent"}})
    yield world


def drain(services: Services) -> int:
    return services.worker().drain()


def test_a_gate_request_mails_the_human_a_single_use_sign_in_link_and_its_close_tells_the_agent(
    reach: World,
) -> None:
    with mailbox() as box, json_inbox() as hooks:
        reach.api("alice").add_channel("alice", box.url("alice@example.com"))
        reach.api("alice").set_time_zone("alice", "Europe/Paris")
        reach.api("bot").add_channel("bot", hooks.url(), ["gate.decided"])
        gate = reach.api("bot").gate_request("deploy-prod", {"version": "2.0"}, group="eng")
        assert drain(reach.services) == 1
        (mail,) = box.wait_for(1)
        assert mail.recipients == ["alice@example.com"]
        assert mail.subject == "[Accord] Your vote is requested: gate: deploy-prod"
        assert "Gate 'deploy-prod'" in mail.text and "requested by bot in group eng" in mail.text
        assert "(Europe/Paris)" in mail.text
        assert f"http://127.0.0.1:8000/gates/{gate['request_id']}" in mail.text
        token = mail.signin_link.rsplit("/", 1)[1]
        assert reach.services.signin_links.peek(token)["next"] == f"/gates/{gate['request_id']}"
        assert reach.services.signin_links.redeem(token, SESSION_END).member.name == "alice"
        with pytest.raises(AuthError):
            reach.services.signin_links.redeem(token, SESSION_END)
        assert hooks.posts == []
        reach.api("alice").gate_vote(gate["request_id"], "yes")
        reach.api("bot").gate_close(gate["request_id"])
        drain(reach.services)
        (post,) = hooks.wait_for(1)
        assert post["title"].startswith("[Accord] Gate decided")
        assert "Your gate was closed: approved." in post["message"]
        assert "signin/link" not in post["message"]  # agents get no sign-in link
        assert len(box.mails) == 1  # alice asked for nothing more: a gate's close goes to its requester


def test_a_failing_channel_is_retried_with_backoff_and_each_attempt_mints_a_new_link(
    reach: World, clock: FixedClock
) -> None:
    with json_inbox(script=[500, 500]) as hooks:
        reach.api("alice").add_channel("alice", hooks.url())
        reach.api("bot").create_proposal("eng", "Adopt X?", deadline_hours=2)
        assert drain(reach.services) == 1
        assert hooks.statuses == [500]
        clock.advance(5)
        drain(reach.services)
        clock.advance(30)
        drain(reach.services)
        assert hooks.statuses == [500, 500, 200]
        (post,) = hooks.wait_for(1)
        assert "[Accord] Your vote is requested: Adopt X?" == post["title"]
        assert "/signin/link/" in post["message"]
        with reach.services.ctx.uow(write=False) as uow:
            minted = uow.conn.exec_driver_sql("SELECT count(*) FROM signin_links").scalar()
        assert minted == 3


def test_a_removed_channel_is_not_sent_to(reach: World) -> None:
    with json_inbox() as hooks:
        channel = reach.api("alice").add_channel("alice", hooks.url())
        reach.api("bot").create_proposal("eng", "Adopt Y?")
        reach.api("alice").remove_channel("alice", channel["id"])
        drain(reach.services)
        assert hooks.statuses == []
