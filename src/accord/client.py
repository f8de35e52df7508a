"""The Python client: the same operations as `accord.api.Api`, over HTTP (filled in by the gates feature)."""

from __future__ import annotations

from accord.domain.errors import UnavailableError


class AccordClient:
    """Talks to an `accord serve` at `url` as the member of `token`."""

    def __init__(self, url: str, token: str | None) -> None:
        raise UnavailableError("remote mode (ACCORD_URL) is not available yet")
