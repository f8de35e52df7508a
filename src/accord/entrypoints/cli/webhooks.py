"""`accord webhook ...` (group webhooks) and `accord worker` (the outbox's sender run apart), SPEC §11."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated, Any

import typer

from accord.entrypoints.cli.common import JsonFlag, call, emit, handled, new_app, out, show_table, split_list
from accord.settings import Settings

webhook_app = new_app("Group webhooks (Standard Webhooks): add, list, remove, see deliveries, redeliver.")


def register(app: typer.Typer) -> None:
    """Add `webhook` and `worker` to `app`."""
    app.add_typer(webhook_app, name="webhook")
    app.command("worker")(worker)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit (for cron).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Send the outbox's webhooks and notifications (SPEC §11) from ACCORD_DATABASE_URL, apart from `accord
    serve` (then run the servers with ACCORD_SERVE_WORKER=0, or keep both: each delivery is taken by one).
    Runs until SIGTERM or Ctrl-C; with --once, sends what is due and exits 0, printing how many attempts."""
    from accord.bootstrap import build_services, upgrade_store

    with handled():
        services = build_services(Settings().database_url, existing=True)
        upgrade_store(services)
    sender = services.worker()
    try:
        if once:
            with handled():
                tried = sender.drain()
            emit({"attempts": tried}, as_json, lambda r: out.print(f"{r['attempts']} attempts", markup=False))
            return

        def stop(_signum: int, _frame: FrameType | None) -> None:
            sender.stop(timeout=0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        out.print(f"accord worker {sender.name}: sending the outbox (Ctrl-C to stop)", markup=False)
        sender.run_forever()
    finally:
        sender.stop(timeout=0)
        services.close()


def _events(values: list[str] | None) -> list[str] | None:
    return split_list(values)


@webhook_app.command("add")
def add(
    group: Annotated[str, typer.Argument(help="The group whose events are sent.")],
    url: Annotated[str, typer.Argument(help="The http(s) endpoint that receives the POSTs.")],
    events: Annotated[
        list[str] | None,
        typer.Option("--events", help="Only these event types or families (proposal.*); repeat or comma-separate."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send the group's events to URL as Standard Webhooks POSTs (owners/admins). Prints the signing secret
    whsec_… once: give it to the receiver, which verifies each POST with it. A host on a loopback, private or
    link-local address is refused unless ACCORD_ALLOW_PRIVATE_TARGETS=1."""
    result = call(lambda api: api.add_webhook(group, url, _events(events)))

    def human(r: dict[str, Any]) -> None:
        out.print(f"webhook {r['id']} for group {r['group']} -> {r['url']}", markup=False)
        out.print(f"events: {', '.join(r['events']) or 'all'}", markup=False)
        out.print(f"signing secret (shown only now): {r['secret']}", markup=False)

    emit(result, as_json, human)


@webhook_app.command("list")
def list_(
    group: Annotated[str, typer.Argument(help="The group.")],
    as_json: JsonFlag = False,
) -> None:
    """The group's webhooks (owners/admins) with how many deliveries are pending, delivered and failed."""
    rows = call(lambda api: api.list_webhooks(group))
    emit(
        rows,
        as_json,
        lambda r: show_table(
            [
                {
                    **w,
                    "events": ", ".join(w["events"]) or "all",
                    "enabled": "yes" if w["enabled"] else f"no: {w['disabled_reason']}",
                    "pending": w["deliveries"]["pending"],
                    "delivered": w["deliveries"]["delivered"],
                    "failed": w["deliveries"]["failed"],
                }
                for w in r
            ],
            ["id", "url", "events", "enabled", "pending", "delivered", "failed"],
        ),
    )


@webhook_app.command("remove")
def remove(
    webhook_id: Annotated[str, typer.Argument(metavar="ID", help="The webhook's id (wh_…).")],
    as_json: JsonFlag = False,
) -> None:
    """Delete a webhook (its group's owners/admins); its pending deliveries are cancelled."""
    result = call(lambda api: api.remove_webhook(webhook_id))
    emit(
        result,
        as_json,
        lambda r: out.print(f"removed webhook {r['id']} ({r['cancelled']} pending deliveries cancelled)", markup=False),
    )


@webhook_app.command("deliveries")
def deliveries(
    webhook_id: Annotated[str, typer.Argument(metavar="ID", help="The webhook's id (wh_…).")],
    status: Annotated[str | None, typer.Option(help="Only pending, delivered, failed or cancelled deliveries.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-200), newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """A webhook's deliveries, newest first: status, attempts, the last answer; --json has every attempt
    (status code, latency, error)."""
    rows = call(lambda api: api.list_deliveries(webhook_id, status, limit))
    emit(
        rows,
        as_json,
        lambda r: show_table(
            [{**d, "last": d["last_error"] or d["last_status"] or ""} for d in r],
            ["id", "event_type", "status", "attempts", "created_at", "next_attempt_at", "last"],
        ),
    )


@webhook_app.command("redeliver")
def redeliver(
    delivery_id: Annotated[str, typer.Argument(metavar="DELIVERY", help="The delivery's id (dlv_…, its webhook-id).")],
    as_json: JsonFlag = False,
) -> None:
    """Send a delivery again now, with the same webhook-id and a fresh 24-hour retry window (owners/admins);
    a webhook disabled after 24 hours of failures is enabled again."""
    result = call(lambda api: api.redeliver(delivery_id))
    emit(result, as_json, lambda r: out.print(f"delivery {r['id']} queued again ({r['status']})", markup=False))
