"""The web page for humans (filled in by the web feature)."""

from __future__ import annotations

from fastapi import FastAPI

from accord.bootstrap import Services


def install_web(app: FastAPI, services: Services) -> None:
    """Add the human pages to `app`."""
