"""`accord webhook ...` (group webhooks) and `accord worker` (the outbox's sender run apart), SPEC §11."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer

from accord.entrypoints.cli.common import JsonFlag, emit, handled, new_app, out
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
    from accord.bootstrap import build_services
    from accord.storage.migrate import upgrade

    with handled():
        services = build_services(Settings().database_url, existing=True)
        upgrade(services.ctx.engine)
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
