"""Inbox (filled in by the inbox feature)."""

from __future__ import annotations

from accord.services.context import Context


class InboxService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
