"""Exactly-once delivery with many concurrent receivers, and exclusive claims, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from accord.domain.errors import ConflictError
from tests.support import World

RECEIVERS = 20
MESSAGES = 1_000


def test_twenty_receivers_on_one_inbox_get_each_of_a_thousand_messages_once(world: World) -> None:
    world.group("crew", ["lead", "worker"])
    lead = world.api("lead")
    sent = [lead.send_message("worker", f"job {i}", "crew", type="TASK")["id"] for i in range(MESSAGES)]
    received: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(RECEIVERS)
    failures: list[BaseException] = []

    def receive() -> None:
        api = world.api("worker")  # the same member: one inbox, twenty consumers
        start.wait()
        try:
            while (message := api.recv_message()) is not None:
                with lock:
                    received.append(message["id"])
        except BaseException as exc:  # surfaced below, with the thread's own error
            failures.append(exc)

    threads = [threading.Thread(target=receive) for _ in range(RECEIVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    assert failures == []
    duplicates = [mid for mid, n in Counter(received).items() if n > 1]
    assert duplicates == []
    assert sorted(received) == sorted(sent)
    assert world.api("worker").check_inbox(unread_only=True) == []


def test_twenty_claimers_of_one_task_exactly_one_holds_it(world: World) -> None:
    members = [f"w{i:02d}" for i in range(RECEIVERS)]
    world.group("crew", ["lead", *members])
    task_id = world.api("lead").send_message("*", "only one of you", "crew", type="TASK")["id"]
    start = threading.Barrier(RECEIVERS)
    results: dict[str, Any] = {}

    def claim(member: str) -> None:
        api = world.api(member)
        start.wait()
        try:
            results[member] = api.claim_message(task_id)["claimed_by"]
        except ConflictError as exc:
            results[member] = exc.message

    threads = [threading.Thread(target=claim, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    holders = [m for m, r in results.items() if r == m]
    assert len(holders) == 1
    refusals = [r for m, r in results.items() if m not in holders]
    assert len(refusals) == RECEIVERS - 1
    assert all(r.startswith(f"message {task_id} is already claimed by {holders[0]} until") for r in refusals)
