"""The limits the sender keeps on its own: global token bucket and per-channel budgets."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from bot.delivery.limits import (
    ChannelBudgets,
    Limits,
    SlidingCap,
    TokenBucket,
    channel_budgets,
    default_burst,
)
from bot.delivery.transport import (
    budget_bucket,
    gate_budget_key,
    is_exempt,
    route_label,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_gives_its_burst_at_once_then_waits_for_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(45, burst=4, time=t)
    assert [bucket.try_take() for _ in range(5)] == [True, True, True, True, False]
    assert bucket.delay() == pytest.approx(1 / 45)
    t.advance(1 / 45)
    assert bucket.try_take()


def test_greedy_sender_never_exceeds_49_requests_in_any_second_with_defaults() -> None:
    t = FakeTime()
    bucket = TokenBucket(45, time=t)
    sent: list[float] = []
    step = 0.001
    while t.now < 1010.0:
        while bucket.try_take():
            sent.append(t.now)
        t.advance(step)
    window: deque[float] = deque()
    worst = 0
    for at in sent:
        window.append(at)
        while window and window[0] <= at - 1.0:
            window.popleft()
        worst = max(worst, len(window))
    assert worst <= 49
    assert len(sent) >= 449  # ~45 per second over 10 s, burst included


def test_default_burst_keeps_rate_plus_burst_within_fifty() -> None:
    for rate in (1, 10, 40, 45, 48, 49):
        assert default_burst(rate) + rate <= 50
        assert default_burst(rate) >= 1


def test_pause_empties_the_bucket_until_the_pause_is_over() -> None:
    t = FakeTime()
    bucket = TokenBucket(45, burst=4, time=t)
    bucket.pause(2.0)
    assert not bucket.try_take()
    assert bucket.delay() == pytest.approx(2.0)
    t.advance(2.0)
    assert bucket.delay() == pytest.approx(1 / 45)  # starts empty, refills at the rate
    t.advance(1 / 45)
    assert bucket.try_take()


async def test_take_waits_for_a_token() -> None:
    bucket = TokenBucket(200, burst=1)
    await bucket.take()
    await bucket.take()  # had to wait ~5 ms for the second
    assert bucket.waited > 0


def test_channel_budget_allows_five_per_five_seconds_per_channel() -> None:
    t = FakeTime()
    budgets = channel_budgets(5, 5.0, time=t)
    key = (111, "message")
    for _ in range(5):
        assert budgets.available(key)
        budgets.record(key)
    assert not budgets.available(key)
    assert budgets.available((222, "message"))  # another channel is independent
    t.advance(5.0)
    assert not budgets.available(key)  # a small margin past the window
    t.advance(0.06)
    assert budgets.available(key)


def test_channel_budget_is_sliding_not_reset_all_at_once() -> None:
    t = FakeTime()
    budgets = channel_budgets(5, 5.0, time=t)
    key = (1, "message")
    for _ in range(5):
        budgets.record(key)
        t.advance(1.0)
    # 5 s after the first one exactly one more is allowed, not five.
    t.advance(0.1)
    assert budgets.available(key)
    budgets.record(key)
    assert not budgets.available(key)


def test_discord_block_holds_a_channel_until_reset() -> None:
    t = FakeTime()
    budgets = channel_budgets(time=t)
    budgets.block((7, "message"), 3.0)
    assert not budgets.available((7, "message"))
    t.advance(3.1)
    assert budgets.available((7, "message"))


def test_renames_have_their_own_tight_budget() -> None:
    t = FakeTime()
    budgets: ChannelBudgets = Limits(time=t).channels
    key = (9, "rename")
    budgets.record(key)
    budgets.record(key)
    assert not budgets.available(key)
    t.advance(300)
    assert not budgets.available(key)
    t.advance(301)
    assert budgets.available(key)


def test_creates_and_edits_share_the_message_budget_but_renames_do_not() -> None:
    assert budget_bucket("send", {}) == budget_bucket("edit", {}) == "message"
    assert budget_bucket("channel_edit", {"name": "x"}) == "rename"
    assert budget_bucket("channel_edit", {"archived": True}) == "default"
    assert budget_bucket("voice_status", {"status": "x"}) == "default"


def test_gate_maps_urls_to_the_same_budgets_as_the_sender() -> None:
    assert gate_budget_key("POST", "/channels/123456789/messages") == (123456789, "message")
    assert gate_budget_key("PATCH", "/channels/123456789/messages/987654321") == (
        123456789,
        "message",
    )
    assert gate_budget_key("PUT", "/channels/123456789/voice-status") == (123456789, "default")
    assert gate_budget_key("GET", "/users/@me") is None


def test_interaction_callbacks_and_webhooks_are_exempt_from_the_global_bucket() -> None:
    assert is_exempt("/interactions/123456789/tok/callback")
    assert is_exempt("/webhooks/123456789/tok/messages/@original")
    assert not is_exempt("/channels/123456789/messages")


def test_route_labels_hide_ids_and_tokens() -> None:
    assert route_label("POST", "/channels/123456789012/messages") == "POST /channels/{id}/messages"
    assert (
        route_label("POST", "/interactions/123456789012/secret-token/callback")
        == "POST /interactions/{id}/{token}/callback"
    )


async def test_transmission_cap_holds_the_fiftieth_request_in_a_second() -> None:
    t = FakeTime()
    cap = SlidingCap(limit=49, period=1.0, time=t)
    for _ in range(49):
        cap.finish(await cap.wait())  # each answered at once
    assert cap.delay() == pytest.approx(1.0)
    t.advance(1.0)
    assert cap.delay() == 0.0


async def test_transmission_cap_counts_a_request_until_a_period_after_its_answer() -> None:
    # A request held up on the way reaches Discord late; it must not share a window with the
    # requests sent after it, so it counts from when it went out until a period after its answer.
    t = FakeTime()
    cap = SlidingCap(limit=3, period=1.0, time=t)
    slow = await cap.wait()
    for _ in range(2):
        cap.finish(await cap.wait())
    t.advance(1.5)  # the two fast ones no longer count; the slow one is still out
    assert cap.delay() == 0.0
    for _ in range(2):
        cap.finish(await cap.wait())
    assert cap.delay() > 0.0  # 2 answered within the period + 1 in flight = 3
    t.advance(0.5)
    cap.finish(slow)  # its answer came 2 s after it went out
    t.advance(0.6)  # the two answered at 1.5 s have aged out; the slow one counts until 3.0 s
    assert cap.delay() == 0.0
    cap.finish(await cap.wait())
    cap.finish(await cap.wait())
    assert cap.delay() == pytest.approx(3.0 - 2.6)


async def test_transmission_cap_wakes_a_waiter_when_an_answer_comes() -> None:
    cap = SlidingCap(limit=1, period=0.0)
    first = await cap.wait()
    waiter = asyncio.create_task(cap.wait())
    await asyncio.sleep(0.05)
    assert not waiter.done()  # the only slot is in flight
    cap.finish(first)
    assert await asyncio.wait_for(waiter, 1.0) == first + 1


async def test_transmission_cap_forgets_a_request_whose_answer_is_never_reported() -> None:
    t = FakeTime()
    cap = SlidingCap(limit=1, period=1.0, time=t, lost_after=60.0)
    await cap.wait()
    assert cap.delay() == pytest.approx(60.0)
    t.advance(60.0)
    assert cap.delay() == 0.0
