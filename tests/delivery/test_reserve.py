"""The urgent reserve: bulk rows leave a token (and a transmission slot) for phase announcements.

A herd of bulk rows (session reminders and starts, cards) used to keep the global bucket empty, so
an announcement committed in the middle waited one token interval (1/45 s) behind it. Now bulk
rows only go while the bucket holds one token more than the reserve.
"""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from bot.delivery import Outgoing, Priority
from bot.delivery.limits import Limits, SlidingCap, TokenBucket
from db.engine import Database
from tests.db.test_outbox_sender import CHANNEL, FakeDiscord, eventually, make_sender, put, say


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def most_in_one_second(times: list[float]) -> int:
    window: deque[float] = deque()
    worst = 0
    for at in sorted(times):
        window.append(at)
        while window and window[0] <= at - 1.0:
            window.popleft()
        worst = max(worst, len(window))
    return worst


# -- the limits ----------------------------------------------------------------------------------


def test_defaults_are_46_per_second_with_one_token_in_reserve() -> None:
    limits = Limits()
    assert limits.bucket.rate == 46.0
    assert limits.bucket.burst == 3.0  # one reserved, one to send, one of slack
    assert limits.reserve == 1
    assert limits.bucket.rate + limits.bucket.burst <= 49  # the bucket alone stays under 50/s


@pytest.mark.parametrize("rate", [47, 48, 49])
def test_a_bucket_too_small_for_a_reserve_with_slack_keeps_none(rate: int) -> None:
    limits = Limits(rate, time=FakeTime())  # burst 2 or 1: bulk rows go on the last token
    assert limits.reserve == 0
    limits.bucket.try_take()
    assert limits.delay(urgent=False) == limits.delay(urgent=True)


def test_bucket_delay_for_several_tokens() -> None:
    t = FakeTime()
    bucket = TokenBucket(47, burst=2, time=t)
    assert bucket.delay(2) == 0.0
    assert bucket.try_take()
    assert bucket.delay(1) == 0.0
    assert bucket.delay(2) == pytest.approx(1 / 47)
    assert bucket.delay(5) == pytest.approx(1 / 47)  # never more than a full bucket


async def test_cap_delay_for_several_slots() -> None:
    t = FakeTime()
    cap = SlidingCap(limit=3, period=1.0, time=t)
    cap.finish(await cap.wait())
    assert cap.delay(2) == 0.0
    cap.finish(await cap.wait())
    assert cap.delay(1) == 0.0
    assert cap.delay(2) == pytest.approx(1.0)  # until the first answer ages out
    t.advance(1.0)
    assert cap.delay(2) == 0.0


async def test_cap_counts_one_second_after_the_answer() -> None:
    t = FakeTime()
    cap = SlidingCap(limit=1, time=t)
    ticket = await cap.wait()
    t.advance(0.2)
    cap.finish(ticket)
    assert cap.delay() == pytest.approx(1.0)


def test_bulk_waits_for_a_token_beyond_the_reserve_urgent_does_not() -> None:
    t = FakeTime()
    limits = Limits(46, time=t)
    limits.bucket.try_take()
    assert limits.delay(urgent=False) == 0.0
    limits.bucket.try_take()  # two bulk rows went: one token left, the reserve
    assert limits.delay(urgent=True) == 0.0
    assert limits.delay(urgent=False) == pytest.approx(1 / 46)


async def test_a_greedy_herd_drains_at_the_rate_and_announcements_never_wait() -> None:
    """Ten seconds of a dispatcher that always has bulk rows, with an announcement every 370 ms
    and a 100 ms round trip (so the transmission cap binds bulk rows): no announcement
    waits for a token or a transmission slot, bulk drains at what is left, and no second holds
    more than 49 requests."""
    t = FakeTime()
    limits = Limits(46, time=t)
    start = t.now
    due = [start + 0.37 * k for k in range(1, 27)]
    pending: list[float] = []
    sent: list[float] = []
    answers: deque[tuple[float, int]] = deque()  # (answered at, cap ticket)
    waits: list[float] = []
    bulk = 0
    step = 0.0005

    async def send() -> None:
        assert limits.cap.delay() == 0.0  # never held at the wire
        limits.bucket.try_take()
        answers.append((t.now + 0.1, await limits.cap.wait()))
        sent.append(t.now)

    while t.now < start + 10.0:
        while answers and answers[0][0] <= t.now:
            limits.cap.finish(answers.popleft()[1])
        while due and due[0] <= t.now:
            pending.append(due.pop(0))
        while pending and limits.delay(urgent=True) == 0.0:
            waits.append(t.now - pending.pop(0))
            await send()
        while limits.delay(urgent=False) == 0.0:
            await send()
            bulk += 1
        t.advance(step)

    assert len(waits) == 26 and max(waits) < step
    assert most_in_one_second(sent) <= 49
    # The cap binds: a request counts from sending until a second after its answer (1.1 s), and
    # bulk rows keep one of its 49 slots free: 48 / 1.1 s, less what the announcements took.
    assert bulk >= 10 * 48 / 1.1 - 26 - 3
    assert len(sent) <= 10 * 46 + 3


@pytest.mark.parametrize("wake_late", [0.0005, 0.005])
def test_without_round_trips_bulk_drains_at_the_full_rate(wake_late: float) -> None:
    """A dispatcher that wakes ``wake_late`` after each token interval loses nothing: the
    bucket keeps filling past the two tokens a bulk row waits for."""
    t = FakeTime()
    limits = Limits(46, time=t)
    sent = 0
    while t.now < 1010.0:
        while limits.delay(urgent=False) == 0.0:
            limits.bucket.try_take()
            sent += 1
        t.advance(limits.delay(urgent=False) + wake_late)
    assert 10 * 46 - 1 <= sent <= 10 * 46 + 2


# -- the sender ----------------------------------------------------------------------------------


def line(i: int) -> Outgoing:
    """A bulk row (a session line) in a channel of its own."""
    return say(f"herd {i}", channel_id=CHANNEL + 100 + i, priority=Priority.CARD)


async def test_an_announcement_during_a_herd_goes_on_the_reserved_token_at_once(
    database: Database,
) -> None:
    t = FakeTime()  # the limits' clock stands still unless the test moves it
    fake = FakeDiscord()
    sender = make_sender(database, fake, limits=Limits(46, time=t))
    await sender.start()
    try:
        await put(database, *[line(i) for i in range(6)])
        await eventually(lambda: len(fake.requests) == 2)
        await asyncio.sleep(0.1)
        assert len(fake.requests) == 2  # the third token is the reserve: the herd waits

        await put(database, say("Break time!", priority=Priority.ANNOUNCE))
        await eventually(lambda: len(fake.requests) == 3)
        assert fake.requests[2].payload["content"] == "Break time!"

        # The herd goes on as the bucket refills: one row per token interval, the reserve kept.
        interval = 1.001 / 46  # a hair over one token interval, whatever the rounding
        t.advance(interval)
        await asyncio.sleep(0.1)
        assert len(fake.requests) == 3  # one token back: that is the reserve again
        for sent in range(4, 8):
            t.advance(interval)
            await eventually(lambda n=sent: len(fake.requests) == n)
            assert sender.limits.bucket.tokens == pytest.approx(1.0, abs=0.01)
    finally:
        await sender.stop()
    assert sorted(r.payload["content"] for r in fake.requests[3:]) == [
        f"herd {i}" for i in range(2, 6)
    ]


async def test_a_herd_never_goes_faster_than_the_budget(database: Database) -> None:
    """60 bulk rows at 46/s with a burst of 3 take at least 57/46 s of real time."""
    fake = FakeDiscord()
    sender = make_sender(database, fake, limits=Limits(46))
    await put(database, *[line(i) for i in range(60)])
    loop = asyncio.get_running_loop()
    await sender.start()
    began = loop.time()
    try:
        await eventually(lambda: len(fake.requests) == 60, seconds=20.0)
        took = loop.time() - began
    finally:
        await sender.stop()
    assert took >= (60 - 3) / 46
