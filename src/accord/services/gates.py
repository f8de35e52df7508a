"""Gates (filled in by the gates feature)."""

from __future__ import annotations

from accord.services.context import Context


class GateService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
