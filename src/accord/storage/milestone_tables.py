"""Tables of the milestone feature, on the shared MetaData."""

from __future__ import annotations

from accord.storage.tables import metadata

__all__ = ["metadata"]
