"""Discord-like rate limits: a global per-token limit and per-route buckets.

Every answer carries ``X-RateLimit-*`` headers for its bucket; a 429 has a JSON body with
``retry_after`` and ``global``, a ``Via`` header (without it discord.py assumes a Cloudflare ban)
and ``X-RateLimit-Scope``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]


@dataclass(frozen=True)
class RateLimitConfig:
    enabled: bool = True
    global_limit: int = 50
    global_window: float = 1.0
    message_limit: int = 5  # create + edit, per channel
    message_window: float = 5.0
    rename_limit: int = 2  # channel name/topic edits, per channel
    rename_window: float = 600.0
    route_limit: int = 50  # any other route, per route and major parameter
    route_window: float = 1.0


@dataclass
class Window:
    """A fixed window of ``limit`` requests per ``period`` seconds."""

    limit: int
    period: float
    count: int = 0
    resets_at: float = 0.0

    def _roll(self, now: float) -> None:
        if now >= self.resets_at:
            self.count = 0
            self.resets_at = now + self.period

    def allows(self, now: float) -> bool:
        self._roll(now)
        return self.count < self.limit

    def hit(self, now: float) -> None:
        self._roll(now)
        self.count += 1

    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def reset_after(self, now: float) -> float:
        return max(self.resets_at - now, 0.0)


@dataclass(frozen=True)
class BucketKey:
    kind: str
    major: str
    limit: int
    period: float

    @property
    def hash(self) -> str:
        return hashlib.sha1(self.kind.encode()).hexdigest()[:16]


class RateLimited(Exception):
    """Raised to answer 429; carries the body and headers."""

    def __init__(self, retry_after: float, *, is_global: bool, headers: dict[str, str]) -> None:
        super().__init__(f"rate limited for {retry_after:.3f}s (global={is_global})")
        self.retry_after = retry_after
        self.is_global = is_global
        self.headers = {
            **headers,
            "Retry-After": str(math.ceil(retry_after)),
            "Via": "1.1 google",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            self.headers["X-RateLimit-Global"] = "true"

    def body(self) -> dict[str, Any]:
        return {
            "message": "You are being rate limited.",
            "retry_after": math.ceil(self.retry_after * 1000) / 1000,
            "global": self.is_global,
            "code": 0,
        }


@dataclass
class RateLimiter:
    config: RateLimitConfig
    clock: Clock = time.monotonic
    _global: dict[str, Window] = field(default_factory=dict)
    _buckets: dict[tuple[str, str], Window] = field(default_factory=dict)

    def acquire(self, token: str | None, bucket: BucketKey) -> dict[str, str]:
        """Count a request against the global limit (if ``token``) and its bucket.

        Returns the bucket's headers, or raises :class:`RateLimited`.
        """
        if not self.config.enabled:
            return {}
        now = self.clock()
        window = self._window(bucket)
        if token is not None:
            limit = self._global.setdefault(
                token, Window(self.config.global_limit, self.config.global_window)
            )
            if not limit.allows(now):
                raise RateLimited(limit.reset_after(now), is_global=True, headers={})
        if not window.allows(now):
            raise RateLimited(
                window.reset_after(now), is_global=False, headers=self._headers(bucket, window, now)
            )
        if token is not None:
            self._global[token].hit(now)
        window.hit(now)
        return self._headers(bucket, window, now)

    def check_extra(self, bucket: BucketKey) -> None:
        """A sub-limit found inside a handler (e.g. channel renames): count it or raise."""
        if not self.config.enabled:
            return
        now = self.clock()
        window = self._window(bucket)
        if not window.allows(now):
            raise RateLimited(
                window.reset_after(now), is_global=False, headers=self._headers(bucket, window, now)
            )
        window.hit(now)

    def _window(self, bucket: BucketKey) -> Window:
        key = (bucket.kind, bucket.major)
        window = self._buckets.get(key)
        if window is None:
            window = self._buckets[key] = Window(bucket.limit, bucket.period)
        return window

    @staticmethod
    def _headers(bucket: BucketKey, window: Window, now: float) -> dict[str, str]:
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining()),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.hash,
        }

    def bucket_for(self, method: str, route: str, params: dict[str, str]) -> BucketKey:
        cfg = self.config
        if (method, route) in _MESSAGE_METHODS:
            return BucketKey(
                "message-send", params["channel_id"], cfg.message_limit, cfg.message_window
            )
        major = ":".join(
            params[name]
            for name in ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")
            if name in params
        )
        return BucketKey(f"{method} {route}", major, cfg.route_limit, cfg.route_window)

    def rename_bucket(self, channel_id: int) -> BucketKey:
        return BucketKey(
            "channel-rename", str(channel_id), self.config.rename_limit, self.config.rename_window
        )


_MESSAGE_METHODS = {
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
}
