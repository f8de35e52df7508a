"""REST routes of the gates feature."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
