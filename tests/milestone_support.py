"""Helpers for milestone tests: checkpoint lists, and refusals that must leave everything as it was."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.domain.errors import AccordError
from accord.storage import milestone_tables as mt
from accord.storage import tables as t
from tests.support import World


def chain(*titles: str) -> list[dict[str, Any]]:
    """Checkpoints where each depends on the one before (seed 003's 'Ship Feature X')."""
    return [{"title": title, **({"depends_on": [i]} if i else {})} for i, title in enumerate(titles)]


def store_counts(world: World) -> dict[str, int]:
    """Rows in every table a milestone operation may write."""
    tables = [mt.milestones, mt.checkpoints, mt.checkpoint_deps, t.proposals, t.events, t.messages]
    with world.services.ctx.engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one() for table in tables}


def refused(
    world: World,
    op: Callable[[], Any],
    error: type[AccordError],
    message: str,
    *,
    milestones: Sequence[str] = (),
) -> AccordError:
    """Run `op`, expect `error` whose message contains `message`, and check nothing was written:
    the milestones read the same (every field of every checkpoint) and no table gained or lost a row."""
    admin = world.services.milestones
    before = [admin.get(world.admin, ms) for ms in milestones]
    counts = store_counts(world)
    with pytest.raises(error) as caught:
        op()
    assert message in caught.value.message, caught.value.message
    assert [admin.get(world.admin, ms) for ms in milestones] == before
    assert store_counts(world) == counts
    return caught.value
