"""What every service shares: the engine, the clock and the event hub."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy import Engine

from accord.clock import Clock
from accord.proof.chain import chainable
from accord.storage.engine import is_sqlite
from accord.storage.event_log import PendingEvent
from accord.storage.group_commit import GroupCommit
from accord.storage.notify import EventHub
from accord.storage.uow import UnitOfWork


class Wakeup(Protocol):
    """What a wait holds on the event hub (`ctx.hub.subscribe(refs)`): sleep until a matching event, then close."""

    def wait(self, timeout: float) -> bool: ...

    async def wait_async(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


T = TypeVar("T")


@dataclass
class Context:
    engine: Engine
    clock: Clock
    hub: EventHub
    # Where private signing keys live (None: in the store) and who issues receipts (the `iss` claim), SPEC §12.
    key_file: str | None = None
    issuer: str = "http://127.0.0.1:8000"
    # Outbox targets (SPEC §11): whether hosts resolving to loopback/private/link-local addresses may be sent to.
    allow_private_targets: bool = False
    _group_commit: GroupCommit | None = field(default=None, init=False, repr=False, compare=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _deciding: int = field(default=0, init=False, repr=False, compare=False)
    # token id -> the minute this process last wrote its `last_used_at` (at most one write a minute, SPEC §1)
    _uses: dict[str, datetime] = field(default_factory=dict, init=False, repr=False, compare=False)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A new unit of work; committing it wakes this process's waiters at once."""
        return UnitOfWork(self.engine, write=write, on_commit=self.hub.poke)

    def write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work(uow)` in a write transaction and commit it; returns what `work` returned, or raises what
        it raised with nothing written. On a SQLite file, concurrent writes share one COMMIT (group commit);
        elsewhere each is its own transaction. `work` must not commit."""
        group = self._group()
        if group is not None:
            return group.run(work)
        with self.uow() as uow:
            result = work(uow)
            uow.commit()
        return result

    async def write_async(self, work: Callable[[UnitOfWork], T]) -> T:
        """`write` for async faces: the event loop keeps serving while the transaction runs."""
        group = self._group()
        if group is not None:
            return await group.run_async(work)
        return await anyio.to_thread.run_sync(self.write, work)

    def _group(self) -> GroupCommit | None:
        if self._group_commit is None:
            if not is_sqlite(self.engine) or self.engine.url.database in (None, "", ":memory:"):
                return None  # an in-memory database lives in one connection: no writer thread can share it
            with self._guard:
                if self._group_commit is None:
                    self._group_commit = GroupCommit(self.engine, on_commit=self.hub.poke)
        return self._group_commit

    def now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Marks a decision under way in this process (finalize, gate vote/close, resolve, cancel): shared waits
        hold their wake-up until it has answered, so the deciding request is answered first (SPEC §8 rev. 2)."""
        with self._guard:
            self._deciding += 1
        try:
            yield
        finally:
            with self._guard:
                self._deciding -= 1

    def decision_under_way(self) -> bool:
        return self._deciding > 0

    def claim_use(self, token_id: str, minute: datetime) -> bool:
        """True for the first caller in this process to note `token_id`'s use in `minute`."""
        with self._guard:
            last = self._uses.get(token_id)
            if last is not None and last >= minute:
                return False
            if len(self._uses) > 100_000:  # a bound on memory; at worst one more write a minute per token
                self._uses.clear()
            self._uses[token_id] = minute
            return True

    def forget_use(self, token_id: str) -> None:
        with self._guard:
            self._uses.pop(token_id, None)


S = TypeVar("S", bound="HasContext")
P = ParamSpec("P")


class HasContext(Protocol):
    ctx: Context


def decision(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """A service method that may decide something waiters wait on (see `Context.deciding`)."""

    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self.ctx.deciding():
            return method(self, *args, **kwargs)

    functools.update_wrapper(run, method)  # its name and docstring stay the method's
    return run


def record(
    uow: UnitOfWork,
    type: str,
    *,
    at: datetime,
    actor: str | None,
    group: str | None,
    ref: str | None,
    readers: Iterable[str] | None = None,
    **data: Any,
) -> PendingEvent:
    """Append an event in the caller's transaction (it commits, or vanishes, with the change); its id and
    hash are set when the transaction commits (`uow.events.after_flush` runs work that needs them). With
    `readers`, only those members (and store administrators) see it in any feed (SPEC §8 rev. 2)."""
    data = chainable(jsonable(data))
    restricted = None if readers is None else frozenset(readers)
    return uow.events.append(type, at=at, actor=actor, group=group, ref=ref, data=data, readers=restricted)


def jsonable(value: Any) -> Any:
    """`value` with datetimes as ISO text, fractions as floats and anything else unknown as text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "numerator"):
        return float(value)
    return str(value)
