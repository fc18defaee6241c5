"""``/session edit`` this and all future ones with a new start, at the service level: the moved
session's weekday is replaced by the new one and the series' other days stay; a move that would
merge two days or leave sessions out is refused and changes nothing; a count keeps what is left.

Real SQLite (and PostgreSQL when configured); the sessions that follow are read by skipping
through them, as the runner materialises them.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain.errors import ValidationError
from bot.services.sessions import EditRequest
from db.engine import Database
from tests.services.test_sessions import GUILD, HOST, World, make_world, utc

# T0 is Sunday 23 March 2031, 12:00 UTC; London is on GMT until Sunday 30 March (then BST).


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


async def following(world: World, sid: int, n: int) -> list[datetime | None]:
    """The next session and the ``n - 1`` after it (skipping through them)."""
    view = await world.sessions.show(GUILD, sid)
    found: list[datetime | None] = [view.next.starts_at]
    for _ in range(n - 1):
        _, view = await world.sessions.skip(world.actor(HOST), sid)
        found.append(view.next.starts_at if view.next is not None else None)
    return found


async def test_moving_mondays_session_to_tuesday_keeps_the_wednesday_and_friday_ones(
    world: World,
) -> None:
    sid = await world.schedule(repeat="weekly mon,wed,fri", reminders="none")
    view = await world.sessions.edit(
        world.actor(HOST), sid, EditRequest(future=True, when="Tue 9:00")
    )
    assert view.rrule == "FREQ=WEEKLY;BYDAY=TU,WE,FR"
    assert view.repeat_text == "every Tuesday, Wednesday and Friday"
    assert await following(world, sid, 5) == [
        utc(2031, 3, 25, 9),
        utc(2031, 3, 26, 9),
        utc(2031, 3, 28, 9),
        utc(2031, 4, 1, 8),  # 09:00 BST; no Monday 31 March
        utc(2031, 4, 2, 8),
    ]


async def test_a_new_time_on_the_same_day_moves_every_day_of_the_series(world: World) -> None:
    sid = await world.schedule(repeat="weekly mon,wed,fri", reminders="none")
    view = await world.sessions.edit(
        world.actor(HOST), sid, EditRequest(future=True, when="Mon 10:30")
    )
    assert view.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert await following(world, sid, 4) == [
        utc(2031, 3, 24, 10, 30),
        utc(2031, 3, 26, 10, 30),
        utc(2031, 3, 28, 10, 30),
        utc(2031, 3, 31, 9, 30),  # 10:30 BST
    ]


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("Wed 9:00", "Wednesday is already one of this series' days"),
        ("Thu 9:00", "leave out the sessions of the series' other days in between"),
    ],
)
async def test_a_move_that_would_lose_sessions_is_refused_and_changes_nothing(
    world: World, when: str, words: str
) -> None:
    sid = await world.schedule(repeat="weekly mon,wed,fri", reminders="none")
    with pytest.raises(ValidationError, match=words):
        await world.sessions.edit(
            world.actor(HOST), sid, EditRequest(future=True, when=when, title="Renamed")
        )
    view = await world.sessions.show(GUILD, sid)
    assert view.title == "Writing club" and view.rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert view.next is not None and view.next.starts_at == utc(2031, 3, 24, 9)
    assert view.first_local == datetime(2031, 3, 24, 9, 0)


async def test_a_series_of_three_moved_after_one_still_has_three(world: World) -> None:
    sid = await world.schedule(count=3, reminders="none")
    await world.sessions.skip(world.actor(HOST), sid)  # Monday 24 March: one of the three
    view = await world.sessions.edit(
        world.actor(HOST), sid, EditRequest(future=True, when="Tue 10:00")
    )
    assert view.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=2"
    assert await following(world, sid, 3) == [
        utc(2031, 3, 25, 10),
        utc(2031, 4, 1, 9),  # 10:00 BST
        None,  # the third was the first one, skipped
    ]


async def test_a_move_past_the_end_date_is_refused_and_changes_nothing(world: World) -> None:
    sid = await world.schedule(until="2031-04-14", reminders="none")  # Mondays to 14 April
    with pytest.raises(ValidationError, match=r"after the series' last date, Mon 14 Apr 2031"):
        await world.sessions.edit(
            world.actor(HOST), sid, EditRequest(future=True, when="2031-04-15 09:00")
        )
    view = await world.sessions.show(GUILD, sid)
    assert view.rrule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20310414T235959"
    assert view.next is not None and view.next.starts_at == utc(2031, 3, 24, 9)
    assert view.first_local == datetime(2031, 3, 24, 9, 0)


async def test_a_move_into_the_spring_forward_gap_starts_when_schedule_would(
    world: World,
) -> None:
    # 01:30 on Sunday 30 March 2031 does not exist in London; /session schedule shifts it
    # forward by the gap, to 02:30 BST (01:30 UTC). Edit must give the same instant.
    scheduled = await world.schedule(when="2031-03-30 01:30", repeat="none", reminders="none")
    expected = (await world.sessions.show(GUILD, scheduled)).next
    assert expected is not None and expected.starts_at == utc(2031, 3, 30, 1, 30)
    sid = await world.schedule(reminders="none")
    view = await world.sessions.edit(
        world.actor(HOST), sid, EditRequest(future=True, when="2031-03-30 01:30")
    )
    assert view.next is not None and view.next.starts_at == expected.starts_at
    assert await following(world, sid, 2) == [utc(2031, 3, 30, 1, 30), utc(2031, 4, 6, 0, 30)]
    one = await world.schedule(reminders="none")
    view = await world.sessions.edit(world.actor(HOST), one, EditRequest(when="2031-03-30 01:30"))
    assert view.next is not None and view.next.starts_at == expected.starts_at
