"""Member tokens (SPEC §1 rev. 2): ids, lifetimes, when a token stops being accepted, `last_used_at`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accord.domain.errors import AuthError, ValidationError

MAX_LIFETIME = timedelta(days=365)
MAX_LABEL = 200
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^([0-9]{1,6})([smhdw])$")


def parse_expires_in(value: str | int | None) -> timedelta | None:
    """`--expires-in` as a lifetime: `90s`, `15m`, `12h`, `30d`, `2w` (or whole seconds), 1 s to 365 days;
    None for a token that does not expire. ValidationError naming `expires_in` otherwise (SPEC §13)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError("expires_in must be a duration such as 30d, not a boolean", field="expires_in")
    text = str(value).strip().lower()
    if len(text) > 16:  # length first: nothing long is ever converted
        raise ValidationError("expires_in is too long: use e.g. 90s, 15m, 12h, 30d or 2w", field="expires_in")
    if text.isdigit():
        text += "s"
    match = _DURATION.match(text)
    if match is None:
        raise ValidationError(
            f"expires_in {value!r} is not a duration: use a number and a unit s, m, h, d or w (e.g. 30d), "
            "at most 365 days",
            field="expires_in",
        )
    lifetime = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    if not timedelta(seconds=1) <= lifetime <= MAX_LIFETIME:
        raise ValidationError(f"expires_in must be 1s-365d, got {value}", field="expires_in")
    return lifetime


def check_label(label: str | None) -> str | None:
    """A token's label: free text of at most 200 characters (None or blank: no label)."""
    if label is None or not label.strip():
        return None
    if len(label) > MAX_LABEL:
        raise ValidationError(f"label must be at most {MAX_LABEL} characters, got {len(label)}", field="label")
    if "\x00" in label:
        raise ValidationError("label must not contain NUL characters", field="label")
    return label.strip()


def instant_text(at: datetime) -> str:
    """An instant as messages show it: ISO 8601 in UTC to the second, with Z."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def to_minute(at: datetime) -> datetime:
    """`at` cut to the minute: the precision of `last_used_at`."""
    return at.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Credential:
    """The token a call was made with (never the secret): what a held feed re-checks (SPEC §8 rev. 2)."""

    id: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def refusal(self, now: datetime) -> AuthError | None:
        """Why this token is no longer accepted at `now` (revoked, then expired), or None."""
        if self.revoked_at is not None:
            return revoked(self.id, self.revoked_at)
        if self.expires_at is not None and now >= self.expires_at:
            return expired(self.id, self.expires_at)
        return None

    def seconds_left(self, now: datetime) -> float | None:
        """Seconds until the expiry instant (0 once passed), None for a token that does not expire."""
        if self.expires_at is None:
            return None
        return max(0.0, (self.expires_at - now).total_seconds())

    def use_due(self, now: datetime) -> bool:
        """Whether `last_used_at` should move to this minute (it is written at most once a minute)."""
        return self.last_used_at is None or self.last_used_at < to_minute(now)


def revoked(token_id: str, at: datetime) -> AuthError:
    return AuthError(
        f"token revoked: token {token_id} was revoked at {instant_text(at)}",
        reason="token_revoked",
        token_id=token_id,
    )


def expired(token_id: str, at: datetime) -> AuthError:
    return AuthError(
        f"token expired: token {token_id} expired at {instant_text(at)}", reason="token_expired", token_id=token_id
    )


def status(credential: Credential, now: datetime) -> str:
    """`active`, `expired` or `revoked`, as listings show it."""
    if credential.revoked_at is not None:
        return "revoked"
    if credential.expires_at is not None and now >= credential.expires_at:
        return "expired"
    return "active"
