"""Deliberation operations (filled in by the deliberation feature)."""

from __future__ import annotations

from accord.api.base import ApiBase


class DeliberationApi(ApiBase):
    pass
