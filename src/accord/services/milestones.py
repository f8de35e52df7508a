"""Milestones (filled in by the milestones feature)."""

from __future__ import annotations

from accord.services.context import Context


class MilestoneService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
