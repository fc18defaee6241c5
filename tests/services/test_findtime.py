"""Finding a time at the service level: stored hours in four zones, across the US autumn change,
members without hours, and bad input. Real SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.domain.errors import ValidationError
from bot.scheduler import Timers
from bot.services.availability import AvailabilityService
from bot.services.availability.find import find_time
from bot.services.context import NullWaker, ServiceContext
from bot.settings import Settings
from db.engine import Database

GUILD, OTHER_GUILD = 10**17 + 1, 10**17 + 9
ANA, BEN, KIR, SAM, NOBODY = 1, 2, 3, 4, 5


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def context(database: Database, now: datetime) -> ServiceContext:
    return ServiceContext(
        settings=Settings(),
        db=database,
        clock=FakeClock(now),
        timers=Timers(),
        delivery=NullWaker(),
    )


async def stored(ctx: ServiceContext) -> None:
    hours = AvailabilityService(ctx)
    await hours.set(GUILD, ANA, "Mon 13:00-15:00", "Europe/London")  # 13–15 UTC in winter
    await hours.set(GUILD, BEN, "Mon 09:00-11:00", "America/New_York")  # 13–15 / 14–16 UTC
    await hours.set(GUILD, KIR, "Mon 18:00-21:00", "Asia/Kolkata")  # 12:30–15:30 UTC
    await hours.set(GUILD, SAM, "Tue 00:00-02:00", "Australia/Sydney")  # Mon 13–15 UTC (AEDT)
    await hours.set(OTHER_GUILD, NOBODY, "every day 00:00-24:00", "UTC")  # another server


async def test_four_zones_before_and_after_new_york_falls_back(database: Database) -> None:
    ctx = context(database, utc(2027, 10, 31, 12))  # Sunday: London on GMT, New York on EDT
    await stored(ctx)
    view = await find_time(ctx, GUILD, [ANA, BEN, KIR, SAM, NOBODY], days=2)
    assert view.missing == (NOBODY,)  # hours in another server don't count here
    assert view.zones == {
        ANA: "Europe/London",
        BEN: "America/New_York",
        KIR: "Asia/Kolkata",
        SAM: "Australia/Sydney",
    }
    assert [(s.start, s.end, s.count) for s in view.slots] == [
        (utc(2027, 11, 1, 13), utc(2027, 11, 1, 14), 4),
        (utc(2027, 11, 1, 14), utc(2027, 11, 1, 15), 4),
    ]
    # A week later New York is on EST: 09–11 there is 14–16 UTC; all four only 14–15 UTC.
    later = context(database, utc(2027, 11, 7, 12))
    view = await find_time(later, GUILD, [ANA, BEN, KIR, SAM], days=2, length_minutes=30)
    best = view.slots[0]
    assert (best.start, best.members) == (utc(2027, 11, 8, 14), {ANA, BEN, KIR, SAM})
    assert all(s.count < 4 for s in view.slots[2:])
    # Two of them at least: slots where only one member is free are not suggested.
    assert all(s.count >= 2 for s in view.slots) and len(view.slots) <= 5


async def test_one_member_with_hours_and_no_fitting_slot(database: Database) -> None:
    ctx = context(database, utc(2027, 10, 31, 12))
    await stored(ctx)
    alone = await find_time(ctx, GUILD, [ANA, NOBODY], days=2)
    assert [s.start for s in alone.slots] == [utc(2027, 11, 1, 13), utc(2027, 11, 1, 14)]
    assert alone.missing == (NOBODY,)
    too_long = await find_time(ctx, GUILD, [ANA, KIR], days=2, length_minutes=4 * 60)
    assert too_long.slots == ()


@pytest.mark.parametrize(
    ("ids", "length", "days", "sentence"),
    [
        ([], 60, 14, "Name at least one member"),
        ([ANA], 10, 14, "pick a length from 15 to 480 minutes"),
        ([ANA], 481, 14, "pick a length from 15 to 480 minutes"),
        ([ANA], 60, 0, "pick from 1 to 28 days"),
        ([ANA], 60, 29, "pick from 1 to 28 days"),
        (list(range(100, 230)), 60, 14, "at most 100 at once"),
        ([NOBODY], 60, 14, "That member hasn't set their usual hours here yet"),
        ([NOBODY, 77], 60, 14, "Nobody you named has set their usual hours"),
    ],
)
async def test_bad_input_gets_a_sentence(
    database: Database, ids: list[int], length: int, days: int, sentence: str
) -> None:
    ctx = context(database, utc(2027, 10, 31, 12))
    await stored(ctx)
    with pytest.raises(ValidationError) as err:
        await find_time(ctx, GUILD, ids, length_minutes=length, days=days)
    assert sentence in str(err.value)
    if "hours" in sentence:
        assert "/availability set" in str(err.value)
