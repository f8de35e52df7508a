"""What each operations mixin holds: the services and the member they act as."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from accord.bootstrap import Services
from accord.domain import limits
from accord.domain.errors import ValidationError
from accord.domain.members import Member


class ApiBase:
    def __init__(self, services: Services, actor: Member) -> None:
        self.services = services
        self.actor = actor


def parse_instant(value: str | datetime | None, field: str) -> datetime | None:
    """An ISO-8601 instant with a time zone ('Z' allowed), or a ValidationError naming `field`."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} {value!r} is not an ISO-8601 instant (e.g. 2026-05-01T12:00:00Z)", field=field
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{field} must include a time zone (e.g. 2026-05-01T12:00:00Z)", field=field)
    return parsed


C = TypeVar("C", bound=type)
OPAQUE = frozenset({"payload"})  # opaque JSON: its numbers follow canonical JSON's rule (gate_verify says which)


def checked_inputs(cls: C) -> C:
    """Every public operation of `cls` first checks its arguments against SPEC §13 (`limits.check_input`: no NUL
    or lone surrogate in any text, no integer beyond ±2^53), naming the argument, before a service runs: one place
    for every face (REST, MCP, CLI, web), which all call these operations."""
    for name in dir(cls):
        if name.startswith("_") or isinstance(inspect.getattr_static(cls, name), staticmethod | classmethod):
            continue
        fn = getattr(cls, name)
        if inspect.isfunction(fn) and len(inspect.signature(fn).parameters) > 1:
            setattr(cls, name, _guarded(fn))
    return cls


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(fn)

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return  # the call itself says what is wrong with it
        for name, value in bound.arguments.items():
            if name != "self":
                limits.check_input(value, name, integers=name not in OPAQUE)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            check(args, kwargs)
            return await fn(*args, **kwargs)

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        check(args, kwargs)
        return fn(*args, **kwargs)

    return run
