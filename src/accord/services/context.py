"""What every service shares: the engine, the clock and the event hub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from accord.clock import Clock
from accord.storage.notify import EventHub
from accord.storage.uow import UnitOfWork


@dataclass
class Context:
    engine: Engine
    clock: Clock
    hub: EventHub

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A new unit of work; committing it wakes this process's waiters at once."""
        return UnitOfWork(self.engine, write=write, on_commit=self.hub.poke)

    def now(self) -> datetime:
        return self.clock.now()


def record(
    uow: UnitOfWork,
    type: str,
    *,
    at: datetime,
    actor: str | None,
    group: str | None,
    ref: str | None,
    **data: Any,
) -> int:
    """Append an event in the caller's transaction (it commits, or vanishes, with the change)."""
    return uow.events.append(type, at=at, actor=actor, group=group, ref=ref, data=_jsonable(data))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "numerator") and not isinstance(value, int | bool):
        return float(value)
    return value
