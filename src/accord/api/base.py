"""What each operations mixin holds: the services and the member they act as."""

from __future__ import annotations

from datetime import datetime

from accord.bootstrap import Services
from accord.domain.errors import ValidationError
from accord.domain.members import Member


class ApiBase:
    def __init__(self, services: Services, actor: Member) -> None:
        self.services = services
        self.actor = actor


def parse_instant(value: str | datetime | None, field: str) -> datetime | None:
    """An ISO-8601 instant with a time zone ('Z' allowed), or a ValidationError naming `field`."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} {value!r} is not an ISO-8601 instant (e.g. 2026-05-01T12:00:00Z)", field=field
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{field} must include a time zone (e.g. 2026-05-01T12:00:00Z)", field=field)
    return parsed
