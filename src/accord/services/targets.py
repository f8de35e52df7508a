"""Where Accord may send (SPEC §11 Targets): a host that resolves to a loopback, private or link-local address
is refused unless ACCORD_ALLOW_PRIVATE_TARGETS=1, both when a webhook or channel is added and at each delivery."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from accord.domain.errors import ValidationError
from accord.domain.webhooks import refused_address


def target_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url`'s host may not be sent to now, or None: it does not resolve, or it resolves to an address
    that is not public (unless `allow_private`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        return f"host {host} does not resolve: {exc}"
    if allow_private:
        return None
    addresses = sorted({str(info[4][0]) for info in infos})
    refused = refused_address(addresses)
    if refused is not None:
        return (
            f"host {host} resolves to {refused}, a loopback, private or link-local address (allowed only with "
            "ACCORD_ALLOW_PRIVATE_TARGETS=1)"
        )
    return None


def check_target(url: str, *, allow_private: bool, field: str = "url") -> None:
    """ValidationError naming `field` when `url` may not be sent to (see `target_problem`)."""
    problem = target_problem(url, allow_private=allow_private)
    if problem is not None:
        raise ValidationError(f"{field} {url!r} is refused: {problem}", field=field)
