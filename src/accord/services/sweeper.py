"""The background sweeper of `accord serve`: every few seconds, each feature's `sweep()` sends what is due.

Sweeps are idempotent and computed from stored times against the clock, so any number of replicas (and
`accord sweep` from cron) may run them at once; a sweep that fails is logged and retried next time.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance  # the wiring's Services, which this layer does not import

log = logging.getLogger("accord.sweeper")


def sweep_all(services: DataclassInstance) -> dict[str, Any]:
    """Run every service's `sweep()` (those that take no required argument) once; their reports by name.

    `services`: a dataclass whose fields are the services (`bootstrap.Services`)."""
    reports: dict[str, Any] = {}
    for f in dataclasses.fields(services):
        sweep = getattr(getattr(services, f.name), "sweep", None)
        if callable(sweep) and _no_required_arguments(sweep):
            reports[f.name] = sweep()
    return reports


def _no_required_arguments(fn: Any) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


class Sweeper:
    """A daemon thread calling `sweep_all` now and then every `interval` seconds until `stop()`."""

    def __init__(self, services: DataclassInstance, interval: float) -> None:
        self.services = services
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sweeping (an interval of 0 or less disables the sweeper)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="accord-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sweep_all(self.services)
            except Exception:  # keep sweeping: the next run retries what this one could not do
                log.exception("sweep failed")
            self.runs += 1
            self._stop.wait(self.interval)
