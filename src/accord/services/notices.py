"""System messages into members' inboxes (REQUEST, VETO, NOTICE), written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.services.inbox import deliver
from accord.storage.uow import UnitOfWork

SYSTEM = "accord"


def send_system(
    uow: UnitOfWork,
    *,
    group: str,
    to: Sequence[str],
    type: str,
    subject: str | None,
    content: str,
    payload: dict[str, Any] | None,
    at: datetime,
) -> list[str]:
    """One message per recipient (each consumes its own); returns the message ids."""
    return [
        deliver(
            uow,
            group=group,
            sender=SYSTEM,
            to=member,
            recipients=[member],
            type=type,
            subject=subject,
            content=content,
            payload=payload,
            ttl_seconds=None,
            at=at,
        )
        for member in to
    ]
