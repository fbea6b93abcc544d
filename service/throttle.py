"""Throttling of failed authentication: API keys and review-page sign-ins.

Each failure is counted per client address and per key id (the public part of a
presented key, so guessing one key's secret from many addresses is slowed too) in a
moving window (the ``limits`` library). Once an address or a key id has used up its
failures, every authentication attempt from it, right or wrong, answers 429 with
``Retry-After`` until the window has room again. Successful requests never count.

The counts live in the memory of one server process: restarting resets them, and
behind several API processes each counts on its own (N processes behind a proxy let an
address fail up to N times the allowance). The client address is the connection's peer
as the server sees it; behind a TLS proxy, run uvicorn with ``--proxy-headers`` and
``--forwarded-allow-ips`` set to the proxy's address so that it is the client's, not the
proxy's.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["FailureThrottle", "key_id_of"]


def key_id_of(presented: str) -> str | None:
    """The public id of a presented key (``key_<hex>``), or ``None`` if it has none."""
    key_id = presented.strip().partition(".")[0]
    return key_id if key_id.startswith("key_") and len(key_id) <= 40 else None


class FailureThrottle:
    """Counts failed authentications; tells how long a client must wait, if at all.

    ``per_address`` and ``per_key`` are rate strings such as ``"20/minute"``."""

    def __init__(self, per_address: str, per_key: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits: tuple[tuple[str, RateLimitItem], ...] = (
            ("address", parse(per_address)),
            ("key", parse(per_key)),
        )

    def _subjects(self, address: str, key_id: str | None) -> list[tuple[RateLimitItem, str, str]]:
        values = {"address": address, "key": key_id}
        return [(item, kind, value) for kind, item in self._limits if (value := values[kind])]

    def retry_after(self, address: str, key_id: str | None) -> int | None:
        """Seconds until ``address`` (and ``key_id``) may try again, or ``None`` if now."""
        waits = [
            self._limiter.get_window_stats(item, kind, value).reset_time - time.time()
            for item, kind, value in self._subjects(address, key_id)
            if not self._limiter.test(item, kind, value)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, address: str, key_id: str | None) -> None:
        """Count one failed authentication against the address and the key id."""
        for item, kind, value in self._subjects(address, key_id):
            self._limiter.hit(item, kind, value)
