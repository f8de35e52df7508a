"""Gates operations (filled in by the gates feature)."""

from __future__ import annotations

from accord.api.base import ApiBase


class GateApi(ApiBase):
    pass
