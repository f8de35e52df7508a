"""CLI commands of the milestones feature."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this feature's command groups to `app`."""
