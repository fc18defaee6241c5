"""Timers: late jobs still run, keys replace each other, pending jobs report their time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.scheduler import Timers


async def test_a_job_due_in_the_past_still_runs_after_start() -> None:
    timers = Timers()
    ran = asyncio.Event()

    async def fire() -> None:
        ran.set()

    timers.arm("late", datetime.now(UTC) - timedelta(seconds=30), fire)
    timers.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        timers.shutdown()


async def test_arming_the_same_key_replaces_the_earlier_timer() -> None:
    timers = Timers()
    fired: list[str] = []

    async def fire(name: str) -> None:
        fired.append(name)

    soon = datetime.now(UTC) + timedelta(milliseconds=50)
    timers.arm("sprint:1", soon, fire, "first")
    timers.arm("sprint:1", soon, fire, "second")
    assert len(timers) == 1
    timers.start()
    try:
        await asyncio.sleep(0.4)
    finally:
        timers.shutdown()
    assert fired == ["second"]


def test_when_reports_pending_jobs_before_start_and_forgets_cancelled_ones() -> None:
    timers = Timers()
    at = datetime(2030, 1, 1, tzinfo=UTC)

    async def noop() -> None:
        return None

    timers.arm("k", at, noop)
    assert timers.when("k") == at
    timers.cancel("k")
    assert timers.when("k") is None


async def test_closing_lets_a_running_callback_finish_and_fires_nothing_new() -> None:
    timers = Timers()
    started, finished, late = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.2)  # e.g. a transaction in flight
        finished.set()

    async def never() -> None:
        late.set()

    timers.arm("slow", datetime.now(UTC), slow)
    timers.arm("later", datetime.now(UTC) + timedelta(milliseconds=300), never)
    timers.start()
    await asyncio.wait_for(started.wait(), 5)
    await timers.aclose()
    assert finished.is_set()
    await asyncio.sleep(0.3)
    assert not late.is_set()


async def test_callbacks_run_at_most_the_limit_at_once() -> None:
    timers = Timers(max_concurrent=3)
    running = peak = 0

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    now = datetime.now(UTC)
    for i in range(12):
        timers.arm(f"k{i}", now, work)
    timers.start()
    try:
        await asyncio.sleep(0.6)
    finally:
        await timers.aclose()
    assert peak == 3


async def test_keys_armed_before_start_are_replaced_after_it_too() -> None:
    timers = Timers()
    at = datetime(2030, 1, 1, tzinfo=UTC)

    async def noop() -> None:
        return None

    timers.arm("a", at, noop)
    timers.cancel("a")
    timers.arm("a", at + timedelta(minutes=1), noop)
    timers.arm("b", at, noop)
    assert len(timers) == 2 and timers.when("a") == at + timedelta(minutes=1)
    timers.start()
    try:
        timers.arm("a", at + timedelta(minutes=2), noop)
        assert len(timers) == 2 and timers.when("a") == at + timedelta(minutes=2)
    finally:
        timers.shutdown()


async def test_a_key_re_armed_while_its_callback_still_runs_fires_again() -> None:
    """A phase change that arms the next phase and is still busy (waiting on the database, or
    on the callback limit under load) when that next time comes must not lose the next wake-up:
    APScheduler's default of one running instance per job id skipped it, silently."""
    timers = Timers()
    second = asyncio.Event()
    release = asyncio.Event()

    async def later() -> None:
        second.set()

    async def first() -> None:
        timers.arm("sprint:1", datetime.now(UTC) + timedelta(milliseconds=20), later)
        await release.wait()  # still busy when the next wake-up is due

    timers.arm("sprint:1", datetime.now(UTC) + timedelta(milliseconds=20), first)
    timers.start()
    try:
        await asyncio.wait_for(second.wait(), 3)
    finally:
        release.set()
        await timers.aclose()


async def test_bulk_callbacks_run_one_at_a_time_and_after_urgent_ones() -> None:
    """A herd of bulk wake-ups due at one instant never runs side by side and lets an urgent
    wake-up due at the same instant go first (standing sessions vs a sprint's phase change)."""
    timers = Timers(max_concurrent=4)
    running = peak = 0
    order: list[str] = []

    async def bulk(name: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        order.append(name)
        await asyncio.sleep(0.04)
        running -= 1

    async def urgent(name: str) -> None:
        order.append(name)
        await asyncio.sleep(0.05)

    now = datetime.now(UTC)
    for i in range(10):
        timers.arm(f"bulk{i}", now, bulk, f"b{i}", lane="bulk")
    timers.arm("sprint", now, urgent, "urgent")
    timers.start()
    try:
        await asyncio.sleep(0.15)
        # an urgent wake-up arriving while the herd drains is not queued behind it
        started_before = len(order)
        timers.arm("sprint2", datetime.now(UTC), urgent, "urgent2")
        await asyncio.sleep(0.8)
    finally:
        await timers.aclose()
    assert peak == 1
    assert order[0] == "urgent"
    assert sorted(order) == sorted(["urgent", "urgent2", *(f"b{i}" for i in range(10))])
    assert started_before < 8
    assert order.index("urgent2") <= started_before + 1  # at once, not behind the herd
