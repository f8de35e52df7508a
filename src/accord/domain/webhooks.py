"""Group webhooks' rules (SPEC §11): which events a webhook receives, what URL it may have, which addresses
are refused. Pure: addresses are resolved by the caller."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from accord.domain.errors import ValidationError

MAX_URL = 2000
MAX_FILTERS = 50
_FILTER = re.compile(r"^\*$|^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$")


def check_url(url: str) -> str:
    """The webhook URL, trimmed; ValidationError (field `url`) unless it is http(s) with a host."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("url must not be empty: give the http(s) address that receives the POSTs", field="url")
    if len(url) > MAX_URL:
        raise ValidationError(f"url is {len(url)} characters; at most {MAX_URL} are allowed", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValidationError(f"url {url!r} is not a valid URL: {exc}", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"url {url!r} must use http or https, not {parts.scheme or 'no scheme'}", field="url")
    if not parts.hostname:
        raise ValidationError(f"url {url!r} has no host", field="url")
    if parts.fragment:
        raise ValidationError(f"url {url!r} must not have a #fragment", field="url")
    return url


def masked(url: str) -> str:
    """The URL as events show it to the whole group: scheme, host and port only (a path or query may hold a
    secret token, e.g. chat services' hook URLs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def check_filters(events: Sequence[str] | None) -> list[str]:
    """Event filters as given (`proposal.*`, `gate.requested`, `*`), deduplicated; an empty list means every
    event. ValidationError (field `events`) for anything else."""
    if events is None:
        return []
    if isinstance(events, str):
        events = [events]
    result: list[str] = []
    for raw in events:
        name = raw.strip() if isinstance(raw, str) else ""
        if not _FILTER.match(name):
            raise ValidationError(
                f"events filter {raw!r} is not an event type (e.g. gate.requested), a family (proposal.*) or *",
                field="events",
            )
        if name not in result:
            result.append(name)
    if len(result) > MAX_FILTERS:
        raise ValidationError(f"at most {MAX_FILTERS} event filters are allowed, got {len(result)}", field="events")
    return [] if "*" in result else result


def matches(filters: Sequence[str] | None, event_type: str) -> bool:
    """True when an event of `event_type` passes `filters` (none: every event)."""
    if not filters:
        return True
    for pattern in filters:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def is_webhook_event(event_type: str, data: dict[str, Any] | None) -> bool:
    """Events a group webhook may receive: all of the group's but those about a direct message (SPEC §8: a
    `message.*` event whose `to` is anything but `*` is seen only by its sender and recipient)."""
    if event_type.startswith("message."):
        return isinstance(data, dict) and data.get("to") == "*"
    return True


def refused_address(addresses: Iterable[str]) -> str | None:
    """The first address that is loopback, private, link-local or otherwise not a public unicast address
    (SPEC §11 Targets), or None when every one is public."""
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            return text
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            address = mapped
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_unspecified
            or address.is_multicast
            or address.is_reserved
            or not address.is_global
        ):
            return text
    return None
