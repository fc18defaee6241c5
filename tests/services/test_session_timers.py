"""Series that wake at the same instant share one timer (the Monday-morning herd is one job).

Real SQLite (and PostgreSQL when configured) and the real scheduler: a test that needs the timer
to fire starts it; the others read what is armed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.sessions import instant_key
from db.engine import Database
from tests.services.test_sessions import World, make_world, utc


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


def traced(world: World, ran: list[int], wanted: int) -> asyncio.Event:
    """Record which series the timers run; the event is set once ``wanted`` have run."""
    done = asyncio.Event()
    run_due = world.sessions.runner.run_due

    async def traced_run_due(series_id: int) -> list[str]:
        result: list[str] = await run_due(series_id)
        ran.append(series_id)
        if len(ran) >= wanted:
            done.set()
        return result

    world.sessions.runner.run_due = traced_run_due
    return done


async def test_two_series_due_at_one_instant_share_one_timer(world: World) -> None:
    before = len(world.timers)
    a = await world.schedule(title="Writing club")
    b = await world.schedule(title="Reading club")
    reminder = utc(2031, 3, 24, 8, 45)
    assert world.sessions.runner.when(a) == world.sessions.runner.when(b) == reminder
    assert world.timers.when(instant_key(reminder)) == reminder
    assert len(world.timers) == before + 1


async def test_the_last_series_to_leave_an_instant_cancels_its_timer(world: World) -> None:
    a = await world.schedule(title="Writing club")
    b = await world.schedule(title="Reading club")
    reminder = utc(2031, 3, 24, 8, 45)
    runner = world.sessions.runner
    runner.arm(a, reminder + timedelta(minutes=5))
    assert world.timers.when(instant_key(reminder)) == reminder  # b still wakes then
    assert runner.when(a) == reminder + timedelta(minutes=5)
    runner.arm(b, None)
    assert world.timers.when(instant_key(reminder)) is None
    assert runner.when(b) is None
    runner.arm(a, reminder + timedelta(minutes=5))  # again at the same time: nothing changes
    assert world.timers.when(instant_key(reminder + timedelta(minutes=5))) is not None


async def test_a_series_cancelled_from_a_shared_instant_does_not_run_and_the_other_does(
    world: World,
) -> None:
    a = await world.schedule(title="Writing club", reminders="none")
    b = await world.schedule(title="Reading club", reminders="none")
    ran: list[int] = []
    done = traced(world, ran, 1)
    due = datetime.now(UTC) + timedelta(milliseconds=200)
    world.sessions.runner.arm(a, due)
    world.sessions.runner.arm(b, due)
    world.sessions.runner.arm(a, None)
    world.timers.start()
    try:
        async with asyncio.timeout(10):
            await done.wait()
        await asyncio.sleep(0.2)
    finally:
        await world.timers.aclose()
    assert ran == [b]
    assert world.sessions.runner.when(a) is None


async def test_a_series_armed_for_an_instant_already_running_still_runs(world: World) -> None:
    """While the instant's series run, one armed for that same (now past) instant gets a timer
    of its own instead of joining a list that was already read."""
    ids = [await world.schedule(title=f"Club {i}", reminders="none") for i in range(3)]
    late = await world.schedule(title="Late club", reminders="none")
    runner = world.sessions.runner
    ran: list[int] = []
    run_due = runner.run_due
    done = asyncio.Event()
    due = datetime.now(UTC) + timedelta(milliseconds=200)

    async def traced_run_due(series_id: int) -> list[str]:
        result: list[str] = await run_due(series_id)
        ran.append(series_id)
        if series_id == ids[0]:
            runner.arm(late, due)  # e.g. an RSVP that made something due at once
        if late in ran:
            done.set()
        return result

    runner.run_due = traced_run_due
    for series_id in ids:
        runner.arm(series_id, due)
    world.timers.start()
    try:
        async with asyncio.timeout(10):
            await done.wait()
    finally:
        await world.timers.aclose()
    assert sorted(ran) == sorted([*ids, late])


async def test_restore_arms_a_herd_of_series_with_one_timer(database: Database) -> None:
    world = make_world(database)
    ids = [await world.schedule(title=f"Club {i}") for i in range(5)]
    odd = await world.schedule(title="Tuesday club", when="Tue 10:00")

    again = make_world(database)
    await again.services.restore()
    reminder = utc(2031, 3, 24, 8, 45)
    assert {again.sessions.runner.when(i) for i in ids} == {reminder}
    assert again.sessions.runner.when(odd) == utc(2031, 3, 25, 9, 45)
    assert again.timers.when(instant_key(reminder)) == reminder
    assert len(again.timers) == 2  # one per instant, not one per series
    assert await again.tick(ids[0]) == ["reminded 1"]
    assert again.sessions.runner.when(ids[0]) == utc(2031, 3, 24, 9)  # the start
    assert again.sessions.runner.when(ids[1]) == reminder  # the others still wait for it
