"""Milestones operations (filled in by the milestones feature)."""

from __future__ import annotations

from accord.api.base import ApiBase


class MilestoneApi(ApiBase):
    pass
