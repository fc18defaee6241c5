"""Per-client-address limits for the web server: a token bucket for requests, a cap on streams."""

from __future__ import annotations

import time
from collections.abc import Callable

_MAX_TRACKED = 10_000  # addresses remembered before idle ones are forgotten


class RateLimiter:
    """``per_minute`` requests per address with bursts up to a fifth of that (at least 10)."""

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(10, per_minute // 5))
        self._clock = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        now = self._clock()
        tokens, last = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[address] = (tokens - 1.0, now)
        if len(self._buckets) > _MAX_TRACKED:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate  # after this long an address has a full bucket again
        for address, (_, last) in list(self._buckets.items()):
            if now - last > full:
                del self._buckets[address]


class StreamLimiter:
    """At most ``per_address`` open live streams per address."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: dict[str, int] = {}

    def acquire(self, address: str) -> bool:
        count = self._open.get(address, 0)
        if count >= self.per_address:
            return False
        self._open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)
