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

# Tokens of the global bucket (and slots of the transmission cap) that bulk rows leave for urgent
# ones (see ``Sender._dispatch``): a herd of bulk rows keeps the bucket at this level instead of
# empty, so a running sprint's announcement never waits a token interval behind them.
URGENT_RESERVE = 1


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

    def delay(self, need: float = 1.0) -> float:
        """Seconds until ``need`` tokens are available (0.0: they are there now).

        ``need`` above ``burst`` can never be met: it answers the time to a full bucket.
        """
        now = self._time()
        if now < self._paused_until:
            return self._paused_until - now
        self._refill(now)
        need = min(need, self.burst)
        if self._tokens >= need:
            return 0.0
        return (need - self._tokens) / self.rate

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
    cannot land in the same window as the requests sent after it. That interval already holds
    the arrival, so ``period`` is one second exactly: a request answered at ``t`` arrived at or
    before ``t``, and one sent after ``t + 1`` arrives more than a second later. (With a margin
    on top every request counted for 1.05 s plus its round trip, so a long burst that keeps a
    slot in reserve could not pass 48 / 1.05 ≈ 45.7/s, less with a longer round trip: under
    the bucket's 46/s.) The token bucket paces
    requests when they are chosen; this is the backstop at transmission time (the HTTP hook):
    ``ticket = await cap.wait()`` before a request, ``cap.finish(ticket)`` when it is answered
    or fails.
    """

    def __init__(
        self,
        limit: int = DISCORD_GLOBAL_LIMIT - 1,
        period: float = 1.0,
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

    def delay(self, need: int = 1) -> float:
        """Seconds until ``need`` requests may go (0.0: now). When they may not, the time until
        the next one stops counting (the earliest answer ages out, or an unanswered request is
        given up): a lower bound for ``need`` > 1, and an upper bound when all that count are
        in flight (an answer may come sooner; ``finish`` says so)."""
        now = self._time()
        self._prune(now)
        if len(self._answered) + len(self._open) + min(need, self.limit) <= self.limit:
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
    and the channel budgets.

    The default rate is 46/s with a burst of 3 (``default_burst``): in any second the bucket
    alone lets through at most 49, under Discord's 50, and the transmission cap holds 49 at the
    wire whatever happens on the way. One token is the urgent reserve: bulk rows only go while
    the bucket holds two, so a phase announcement arriving in the middle of a herd finds its
    token waiting. The third token is slack: while bulk rows wait for their second token the
    bucket keeps filling past it, so the time the dispatcher takes to wake is not lost (with a
    burst of 2 the bucket would be full at that moment and every late wake-up would cost
    throughput: 1 ms a token is 2 requests a second at this rate). So a herd drains at 46/s,
    above the 45/s it is meant to; 47/s leaves a burst of 2 under the 49 rule, too small for a
    reserve with slack, and the old 45/s kept a long herd just under 45/s.
    """

    def __init__(
        self,
        global_per_second: float = 46.0,
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
        # The reserve needs a bucket of reserve + 2 tokens (one to send, one of slack); in a
        # smaller one there is no reserve and urgent rows only go first in line.
        self.reserve = max(0, min(URGENT_RESERVE, int(self.bucket.burst) - 2))

    def delay(self, *, urgent: bool) -> float:
        """Seconds until a row may be sent (0.0: now).

        An urgent row needs one token. A bulk row needs one more than the reserve, in the bucket
        and in the transmission cap, so that what it leaves is there for the next urgent row at
        once: the bucket would otherwise make that row wait for a token, and the cap would hold
        it at the wire behind bulk requests already waiting there.
        """
        if urgent:
            return self.bucket.delay()
        need = 1 + self.reserve
        return max(self.bucket.delay(need), self.cap.delay(need))
