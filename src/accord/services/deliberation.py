"""Deliberation (filled in by the deliberation feature)."""

from __future__ import annotations

from accord.services.context import Context


class DeliberationService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
