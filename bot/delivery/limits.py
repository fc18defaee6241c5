"""Discord's limits, kept on our side: a global token bucket and per-channel budgets.

Discord allows 50 requests per second per bot (interaction callbacks and webhook follow-ups are not
counted) and, per channel, about 5 message creates/edits per 5 s; channel name/topic edits are
limited to 2 per 10 minutes. discord.py only reacts to 429s (and gives up after 5 of them), so the
sender asks these objects *before* a request and feeds what Discord answers back into them.

Time is injected (``time`` returns seconds from a monotonic clock) so tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as _time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

TimeSource = Callable[[], float]

DISCORD_GLOBAL_LIMIT = 50  # requests per second

# How long after a window ends before the next request may go: covers the few milliseconds by
# which two requests can swap their arrival order on the way to Discord.
WINDOW_MARGIN = 0.05


def default_burst(rate: float) -> int:
    """The bucket size that keeps any one-second window below Discord's 50 requests.

    In any interval of one second a token bucket lets through at most ``burst + rate`` requests,
    so the burst is what is left under 50 after the rate, minus one request of headroom.
    """
    return max(1, min(5, int(DISCORD_GLOBAL_LIMIT - rate) - 1))


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; a pause empties it for a while.

    ``delay()`` / ``try_take()`` are synchronous so a caller can pick *what* to send at the moment a
    token is free (priority order); ``take()`` waits in FIFO order for callers that just need one.
    """

    def __init__(
        self, rate: float, burst: int | None = None, *, time: TimeSource = _time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else default_burst(rate))
        self._time = time
        self._tokens = self.burst
        self._stamp = time()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds callers of take() spent waiting

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            start = max(self._stamp, self._paused_until)
            if now > start:
                self._tokens = min(self.burst, self._tokens + (now - start) * self.rate)
            self._stamp = now

    def delay(self) -> float:
        """Seconds until a token is available (0.0: one is available now)."""
        now = self._time()
        if now < self._paused_until:
            return self._paused_until - now
        self._refill(now)
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def try_take(self) -> bool:
        if self.delay() > 0.0:
            return False
        self._tokens -= 1.0
        return True

    async def take(self) -> None:
        """Wait for a token and take it; waiters are served in arrival order."""
        async with self._lock:
            while (wait := self.delay()) > 0.0:
                self.waited += wait
                await asyncio.sleep(wait)
            self._tokens -= 1.0

    def pause(self, seconds: float) -> None:
        """Discord said stop (a global 429): no token for ``seconds``, then start empty."""
        now = self._time()
        self._refill(now)
        self._tokens = 0.0
        self._paused_until = max(self._paused_until, now + max(0.0, seconds))
        self._stamp = max(self._stamp, now)

    @property
    def tokens(self) -> float:
        self._refill(self._time())
        return self._tokens


class SlidingCap:
    """At most ``limit`` requests in any ``period`` seconds, however Discord times them.

    Discord counts a request when it arrives, which is some moment between our sending it and
    its answer coming back. So a request counts here from the moment it goes out until
    ``period`` after its answer: one held up on the way (a stalled event loop, a slow network)
    cannot land in the same window as the requests sent after it. The token bucket paces
    requests when they are chosen; this is the backstop at transmission time (the HTTP hook):
    ``ticket = await cap.wait()`` before a request, ``cap.finish(ticket)`` when it is answered
    or fails.
    """

    def __init__(
        self,
        limit: int = DISCORD_GLOBAL_LIMIT - 1,
        period: float = 1.0 + WINDOW_MARGIN,
        *,
        time: TimeSource = _time.monotonic,
        lost_after: float = 60.0,
    ) -> None:
        self.limit = limit
        self.period = period
        self.lost_after = lost_after  # an answer never reported: stop counting it after this
        self._time = time
        self._answered: deque[float] = deque()  # when answers came, within the last period
        self._open: dict[int, float] = {}  # ticket -> when it went out, still unanswered
        self._tickets = 0
        self._changed = asyncio.Event()
        self.waited = 0.0

    def _prune(self, now: float) -> None:
        while self._answered and self._answered[0] + self.period <= now:
            self._answered.popleft()
        for ticket in [t for t, at in self._open.items() if at + self.lost_after <= now]:
            del self._open[ticket]

    def delay(self) -> float:
        """Seconds until a request may go (an upper bound when all that count are in flight)."""
        now = self._time()
        self._prune(now)
        if len(self._answered) + len(self._open) < self.limit:
            return 0.0
        waits = [at + self.lost_after - now for at in self._open.values()]
        if self._answered:
            waits.append(self._answered[0] + self.period - now)
        return max(0.0, min(waits))

    async def wait(self) -> int:
        while (wait := self.delay()) > 0.0:
            self._changed.clear()
            started = self._time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
            self.waited += self._time() - started
        self._tickets += 1
        self._open[self._tickets] = self._time()
        return self._tickets

    def finish(self, ticket: int) -> None:
        """The request's answer came (or it failed): it counts for ``period`` from now."""
        if self._open.pop(ticket, None) is not None:
            self._answered.append(self._time())
            self._changed.set()


@dataclass(frozen=True)
class Budget:
    limit: int
    period: float


class _Window:
    """The send times of the last ``limit`` requests, and a block set by Discord's headers."""

    __slots__ = ("blocked_until", "sent")

    def __init__(self, limit: int) -> None:
        self.sent: deque[float] = deque(maxlen=limit)
        self.blocked_until = 0.0


BudgetKey = tuple[int, str]


class ChannelBudgets:
    """Sliding-window budgets per (channel, bucket), e.g. 5 message creates/edits per 5 s.

    ``ready_at(key)`` says when the next request may go; ``record(key)`` counts one; ``block`` is
    what Discord's headers say (remaining 0 until reset, or a 429's retry-after).
    """

    def __init__(self, budgets: dict[str, Budget], *, time: TimeSource = _time.monotonic):
        self.budgets = budgets
        self._time = time
        self._windows: dict[BudgetKey, _Window] = {}
        self._last_prune = time()

    def budget(self, bucket: str) -> Budget:
        return self.budgets.get(bucket) or self.budgets["default"]

    def _window(self, key: BudgetKey) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(self.budget(key[1]).limit)
        return window

    def ready_at(self, key: BudgetKey) -> float:
        """The monotonic time from which a request on ``key`` is within budget."""
        window = self._windows.get(key)
        if window is None:
            return 0.0
        at = window.blocked_until
        budget = self.budget(key[1])
        if len(window.sent) >= budget.limit:
            at = max(at, window.sent[0] + budget.period + WINDOW_MARGIN)
        return at

    def available(self, key: BudgetKey) -> bool:
        return self.ready_at(key) <= self._time()

    def record(self, key: BudgetKey) -> None:
        now = self._time()
        self._window(key).sent.append(now)
        if now - self._last_prune > 60.0:
            self._prune(now)

    def block(self, key: BudgetKey, seconds: float) -> None:
        window = self._window(key)
        window.blocked_until = max(window.blocked_until, self._time() + seconds + WINDOW_MARGIN)

    def _prune(self, now: float) -> None:
        self._last_prune = now
        longest = max(b.period for b in self.budgets.values()) + WINDOW_MARGIN
        stale = [
            key
            for key, w in self._windows.items()
            if w.blocked_until <= now and (not w.sent or now - w.sent[-1] > longest)
        ]
        for key in stale:
            del self._windows[key]

    def __len__(self) -> int:
        return len(self._windows)


def channel_budgets(
    burst: int = 5, per_seconds: float = 5.0, *, time: TimeSource = _time.monotonic
) -> ChannelBudgets:
    """Discord's per-channel limits as buckets.

    ``message``: creates and edits of messages in a channel share one budget (the local server and
    Discord's observed behaviour); ``rename``: channel name/topic edits, 2 per 10 minutes;
    ``default``: anything else per channel (thread starts, deletes, archive, voice status).
    """
    return ChannelBudgets(
        {
            "message": Budget(burst, per_seconds),
            "rename": Budget(2, 600.0),
            "default": Budget(burst, per_seconds),
        },
        time=time,
    )


class Limits:
    """What the sender and the HTTP gate share: the global bucket (plus the transmission cap)
    and the channel budgets."""

    def __init__(
        self,
        global_per_second: float = 45.0,
        channel_burst: int = 5,
        channel_per_seconds: float = 5.0,
        *,
        burst: int | None = None,
        time: TimeSource = _time.monotonic,
    ) -> None:
        self.time = time
        self.bucket = TokenBucket(global_per_second, burst, time=time)
        self.cap = SlidingCap(time=time)
        self.channels = channel_budgets(channel_burst, channel_per_seconds, time=time)
