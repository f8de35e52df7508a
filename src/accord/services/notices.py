"""System messages into members' inboxes (REQUEST, VETO, NOTICE), written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.services.context import record
from accord.services.ids import new_id
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
    ids = []
    for member in to:
        message_id = new_id("msg")
        uow.messages.add(
            {
                "id": message_id,
                "group_name": group,
                "sender": SYSTEM,
                "recipient": member,
                "type": type,
                "subject": subject,
                "content": content,
                "payload": payload,
                "created_at": at,
            },
            [member],
        )
        record(
            uow,
            "message.sent",
            at=at,
            actor=SYSTEM,
            group=group,
            ref=f"inbox:{member}",
            message_id=message_id,
            message_type=type,
            to=member,
            subject=subject,
        )
        ids.append(message_id)
    return ids
