"""Group webhooks through the outbox on SQLite and PostgreSQL (SPEC §11), against a real HTTP receiver that
verifies each POST with the `standardwebhooks` library; retries are driven by the injected clock."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock, SystemClock
from accord.domain.errors import ForbiddenError, NotFoundError, ValidationError
from accord.services.outbox import OutboxWorker
from accord.storage.outbox_tables import outbox
from tests.support import World
from tests.webhook_receiver import Receiver, receiver


@pytest.fixture
def clock() -> FixedClock:
    # Receivers check webhook-timestamp against their own clock (5 minutes' tolerance): start from real time.
    return FixedClock(SystemClock().now())


@pytest.fixture
def team(world: World) -> World:
    world.services.ctx.allow_private_targets = True  # the receiver listens on 127.0.0.1
    world.group(
        "eng",
        {"olga": {"role": "owner", "kind": "human"}, "bot": {}, "qa": {}, "ann": {"role": "admin", "kind": "human"}},
    )
    world.group("other", ["stranger"])
    return world


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def add(world: World, r: Receiver, events: list[str] | None = None, group: str = "eng") -> dict[str, Any]:
    created = world.api("olga" if group == "eng" else "admin").add_webhook(group, r.url, events)
    r.secret = created["secret"]
    return created


def outbox_rows(services: Services) -> int:
    with services.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def test_a_receiver_failing_twice_gets_the_event_at_5_then_35_seconds_signed_and_same_id(
    team: World, clock: FixedClock, hook: Receiver
) -> None:
    hook.script = [500, 500]
    created = add(team, hook, ["proposal.*"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["proposal.*"]
    pid = team.api("bot").create_proposal("eng", "Ship 2.0?")["id"]
    worker = team.services.worker()

    assert worker.run_once() == 1 and [r.status for r in hook.received] == [500]
    clock.advance(4)
    assert worker.run_once() == 0  # the first retry is due 5 s after the failure
    clock.advance(1)
    assert worker.run_once() == 1 and [r.status for r in hook.received] == [500, 500]
    clock.advance(29)
    assert worker.run_once() == 0  # then 30 s
    clock.advance(1)
    assert worker.run_once() == 1

    assert [r.status for r in hook.received] == [500, 500, 200]
    assert all(r.verified for r in hook.received)  # standardwebhooks verified every POST
    assert len({r.webhook_id for r in hook.received}) == 1
    body = hook.received[-1].body
    assert body["type"] == "proposal.created" and body["data"]["proposal_id"] == pid
    assert body["data"]["group"] == "eng" and body["data"]["actor"] == "bot" and body["timestamp"].endswith("Z")

    [delivery] = team.api("olga").list_deliveries(created["id"])
    assert delivery["id"] == hook.received[0].webhook_id and delivery["status"] == "delivered"
    assert delivery["attempts"] == 3 and delivery["event_type"] == "proposal.created"
    assert [(a["ok"], a["status_code"]) for a in delivery["history"]] == [(False, 500), (False, 500), (True, 200)]
    assert [a["error"] for a in delivery["history"]] == ["HTTP 500", "HTTP 500", None]
    assert all(a["latency_ms"] >= 0 for a in delivery["history"])
    listed = team.api("olga").list_webhooks("eng")
    assert listed[0]["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0, "cancelled": 0}
    assert "secret" not in listed[0]


def test_backoff_runs_5s_30s_2min_10min_1h_then_hourly_and_fails_after_24h_disabling_and_telling_owners(
    team: World, clock: FixedClock, hook: Receiver
) -> None:
    hook.script = [503] * 100
    created = add(team, hook)
    hook.secret = None  # the clock runs a day ahead of the receiver's: take the POSTs without checking the time
    start = clock.now()
    team.api("bot").create_proposal("eng", "Q")
    worker = team.services.worker()
    attempts_at: list[float] = []
    for _ in range(5000):
        if worker.run_once():
            attempts_at.append((clock.now() - start).total_seconds())
        if clock.now() - start > timedelta(hours=25):
            break
        clock.advance(5 if len(attempts_at) < 5 else 60)
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:5] == [5, 30, 120, 600, 3600] and set(gaps[5:]) == {3600}
    assert attempts_at[-1] <= 24 * 3600 < attempts_at[-1] + 3600

    [webhook] = team.api("olga").list_webhooks("eng")
    assert webhook["enabled"] is False and "failing since" in webhook["disabled_reason"]
    assert "HTTP 503" in webhook["disabled_reason"]
    deliveries = team.api("olga").list_deliveries(created["id"])
    # The first delivery is the webhook's own `webhook.added` (a ping): it failed; what queued behind it is cancelled.
    assert {d["event_type"]: d["status"] for d in deliveries} == {
        "webhook.added": "failed",
        "proposal.created": "cancelled",
    }
    for owner in ("olga", "ann"):  # the owner and the admin are told in their inboxes
        notices = [m for m in team.api(owner).check_inbox() if m["from"] == "accord"]
        assert any(m["subject"] == f"webhook {created['id']} disabled" for m in notices)
    assert not [m for m in team.api("bot").check_inbox() if m["from"] == "accord" and "webhook" in m["subject"]]
    events = [e["type"] for e in team.api("admin").audit(f"webhook:{created['id']}")]
    assert events[-1] == "webhook.disabled"

    posts = len(hook.received)
    team.api("qa").create_proposal("eng", "Nobody hears this")
    assert worker.drain() == 0 and len(hook.received) == posts  # a disabled webhook gets nothing new

    failed = next(d for d in deliveries if d["event_type"] == "webhook.added")
    again = team.api("olga").redeliver(failed["id"])  # fixing the receiver and redelivering enables it again
    assert again["status"] == "pending" and again["id"] == failed["id"]
    hook.script = []
    assert worker.run_once() == 1
    assert hook.received[-1].webhook_id == failed["id"] and hook.received[-1].status == 200
    assert team.api("olga").list_webhooks("eng")[0]["enabled"] is True


def test_filters_pass_families_and_direct_messages_never_go_out(team: World, hook: Receiver) -> None:
    with receiver() as votes_only:
        add(team, hook)
        add(team, votes_only, ["vote.*"])
        team.api("bot").send_message("qa", "psst, direct", "eng")
        gate = team.api("bot").gate_request("deploy", {"v": 1}, "eng")  # also sends REQUEST messages to voters
        team.api("qa").gate_vote(gate["id"], "yes")
        team.services.worker().drain()
        everything = [r.body["type"] for r in hook.received]
        assert "proposal.created" in everything and "vote.cast" in everything
        assert not [t for t in everything if t.startswith("message.")]
        assert [r.body["type"] for r in votes_only.received] == ["vote.cast"]
        assert votes_only.received[0].body["data"]["proposal_id"] == gate["id"]
        assert all(r.verified for r in hook.received + votes_only.received)


def test_a_targets_deliveries_go_out_one_at_a_time_in_event_order(
    team: World, clock: FixedClock, hook: Receiver
) -> None:
    hook.script = [500]
    add(team, hook, ["proposal.created"])
    titles = [f"Q{i}" for i in range(6)]
    for title in titles:
        team.api("bot").create_proposal("eng", title)
    worker = team.services.worker()
    assert worker.run_once() == 1 and worker.run_once() == 0  # the head failed: the rest wait behind it
    clock.advance(5)
    worker.drain()
    assert [r.body["data"]["title"] for r in hook.ok] == titles
    ids = [r.body["data"]["event_id"] for r in hook.ok]
    assert ids == sorted(ids)


def test_nothing_is_queued_for_a_refused_change_and_a_removed_webhook_gets_nothing(team: World, hook: Receiver) -> None:
    created = add(team, hook)
    before = outbox_rows(team.services)
    with pytest.raises(NotFoundError):
        team.api("stranger").create_proposal("eng", "Not my group")
    assert outbox_rows(team.services) == before
    team.api("bot").create_proposal("eng", "Q")
    removed = team.api("olga").remove_webhook(created["id"])
    assert removed["removed"] is True and removed["cancelled"] >= 1
    assert team.services.worker().drain() == 0 and hook.received == []


def test_owners_and_admins_manage_webhooks_others_are_refused(team: World, hook: Receiver) -> None:
    created = add(team, hook)
    [seen] = [e for e in team.api("bot").list_events(limit=500) if e["type"] == "webhook.added"]
    assert seen["data"]["url"] == hook.url.rsplit("/", 1)[0] + "/…"  # members see the host, never the path
    with pytest.raises(ForbiddenError, match="bot may not manage group eng"):
        team.api("bot").list_webhooks("eng")
    with pytest.raises(ForbiddenError):
        team.api("bot").remove_webhook(created["id"])
    with pytest.raises(NotFoundError, match=f"webhook {created['id']} not found"):
        team.api("stranger").list_deliveries(created["id"])
    with pytest.raises(NotFoundError, match="delivery dlv_nope not found"):
        team.api("olga").redeliver("dlv_nope")
    with pytest.raises(ValidationError, match="status must be one of"):
        team.api("olga").list_deliveries(created["id"], status="sent")
    assert [w["id"] for w in team.api("ann").list_webhooks("eng")] == [created["id"]]
    assert team.api("admin").remove_webhook(created["id"])["removed"] is True


def test_a_private_target_is_refused_at_delivery_too(team: World, hook: Receiver) -> None:
    created = add(team, hook)
    team.services.ctx.allow_private_targets = False  # e.g. the setting was turned off after the webhook was added
    team.api("bot").create_proposal("eng", "Q")
    assert team.services.worker().run_once() == 1
    assert hook.received == []
    delivery = team.api("olga").list_deliveries(created["id"])[-1]  # the oldest: the webhook's own webhook.added
    assert delivery["status"] == "pending" and "target refused: host 127.0.0.1 resolves to 127.0.0.1" in (
        delivery["last_error"] or ""
    )


def test_a_delivery_held_by_a_dead_worker_is_sent_again_with_the_same_id_after_its_lease(
    team: World, clock: FixedClock, hook: Receiver
) -> None:
    add(team, hook, ["proposal.created"])
    team.api("bot").create_proposal("eng", "Q")
    dead = OutboxWorker(team.services.ctx, team.services.senders, lease_seconds=30, name="dead")
    with team.services.ctx.uow() as uow:  # it claimed the delivery, then its process was killed mid-send
        [claimed] = uow.outbox.claim(clock.now(), owner=dead.name, lease=dead.lease, limit=10)
        uow.commit()
    alive = team.services.worker()
    assert alive.run_once() == 0
    clock.advance(30)
    assert alive.run_once() == 1
    assert [r.webhook_id for r in hook.ok] == [claimed["id"]]
    with team.services.ctx.uow() as uow:  # the dead worker's late answer changes nothing
        assert uow.outbox.settle(claimed["seq"], "dead", status="failed") is False
        uow.commit()
    assert team.api("olga").list_deliveries(team.api("olga").list_webhooks("eng")[0]["id"])[0]["status"] == (
        "delivered"
    )


def test_the_sweeper_prunes_deliveries_finished_30_days_ago(team: World, clock: FixedClock, hook: Receiver) -> None:
    created = add(team, hook, ["proposal.created"])
    team.api("bot").create_proposal("eng", "Old")
    team.services.worker().drain()
    clock.advance(hours=24 * 30 - 1)
    team.api("bot").create_proposal("eng", "Pending")  # not sent yet: kept whatever its age
    assert team.api("admin").sweep()["outbox"] == {"pruned": 0}
    clock.advance(hours=2)
    assert team.api("admin").sweep()["outbox"] == {"pruned": 1}
    [left] = team.api("olga").list_deliveries(created["id"])
    assert left["status"] == "pending" and left["history"] == []


@pytest.mark.postgres
def test_two_workers_on_postgresql_take_each_delivery_once(pg_server_url: str, clock: FixedClock) -> None:
    from tests.conftest import _truncate

    _truncate(pg_server_url)
    first, second = build_services(pg_server_url, clock), build_services(pg_server_url, clock)
    try:
        world = World(first)
        world.group("eng", {"olga": {"role": "owner", "kind": "human"}, "bot": {}})
        first.ctx.allow_private_targets = second.ctx.allow_private_targets = True
        with receiver() as a, receiver() as b, receiver() as c, receiver() as d:
            hooks = [a, b, c, d]
            for r in hooks:
                add(world, r, ["proposal.created"])
            for n in range(15):
                world.api("bot").create_proposal("eng", f"Q{n:02d}")
            workers = [first.worker(), second.worker()]
            threads = [threading.Thread(target=w.drain, args=(1000,)) for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            for r in hooks:
                assert [x.body["data"]["title"] for x in r.received] == [f"Q{n:02d}" for n in range(15)]
                assert len({x.webhook_id for x in r.received}) == 15
            assert sum(w.sent for w in workers) == 60
    finally:
        first.close()
        second.close()
