"""Failed sign-ins per client address (SPEC §13): at most 10 a minute, then 429 with `Retry-After`.

Counted with the `limits` library's moving window in this process's memory: each server process keeps its own
count (several processes behind one address each allow 10 a minute), and a restart forgets them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import limits
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from accord.domain import limits as input_limits
from accord.domain.errors import RateLimitedError


def client_address(scope: Mapping[str, Any]) -> str:
    """The address an ASGI request came from (the socket's peer: behind a proxy, the proxy's address)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class SignInThrottle:
    """Refuses every sign-in attempt from an address that has failed too often in the last minute."""

    def __init__(self, rate: str = input_limits.SIGN_IN_FAILURES) -> None:
        self.item = limits.parse(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, address: str) -> None:
        """RateLimitedError (429, exit 75) with `retry_after` seconds when `address` has no failures left."""
        if self.limiter.test(self.item, address):
            return
        reset = self.limiter.get_window_stats(self.item, address).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))  # `limits` keeps its windows in epoch seconds
        raise RateLimitedError(
            f"too many failed sign-ins from {address}: at most {self.item.amount} a "
            f"{self.item.GRANULARITY.name}; try again in {retry_after} s",
            retry_after=retry_after,
        )

    def failed(self, address: str) -> None:
        """Count one failed sign-in (a bad token) from `address`."""
        self.limiter.hit(self.item, address)
