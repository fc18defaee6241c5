"""Moving a series from its next session on (``/session edit``, this and all future ones):
:func:`bot.domain.schedule.moved_rule`. The moved session's weekday is replaced by the new one,
the rule's other days stay, and every day takes the new time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.schedule import ScheduleError, describe_repeat, moved_rule, occurrences

LONDON = "Europe/London"
FIRST = datetime(2027, 1, 4, 9, 0)  # Monday 4 Jan 2027, 09:00 London (GMT: 09:00 UTC)
MON_11 = datetime(2027, 1, 11, 9, 0)


def local(*args: int) -> datetime:
    return datetime(*args)


def starts(first: datetime, rule: str | None, n: int) -> list[datetime]:
    """The first ``n`` sessions of a series starting at ``first`` (UTC; London is on GMT)."""
    return occurrences(first, LONDON, rule, datetime(2027, 1, 1, tzinfo=UTC), n)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_one_day_weekly_series_moves_to_the_new_day_and_time() -> None:
    to = local(2027, 1, 12, 10, 0)  # Tuesday 10:00
    rule = moved_rule("FREQ=WEEKLY;BYDAY=MO", FIRST, LONDON, MON_11, to)
    assert rule == "FREQ=WEEKLY;BYDAY=TU"
    assert starts(to, rule, 2) == [utc(2027, 1, 12, 10), utc(2027, 1, 19, 10)]


def test_moving_mondays_session_of_a_mon_wed_fri_series_to_tuesday_keeps_wed_and_fri() -> None:
    to = local(2027, 1, 12, 9, 0)
    rule = moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, MON_11, to)
    assert rule == "FREQ=WEEKLY;BYDAY=TU,WE,FR"
    assert describe_repeat(rule) == "every Tuesday, Wednesday and Friday"
    assert starts(to, rule, 4) == [
        utc(2027, 1, 12, 9),
        utc(2027, 1, 13, 9),
        utc(2027, 1, 15, 9),
        utc(2027, 1, 19, 9),
    ]


def test_a_new_time_on_the_same_day_moves_every_day_of_the_series() -> None:
    to = local(2027, 1, 11, 10, 30)
    rule = moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, MON_11, to)
    assert rule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert starts(to, rule, 3) == [
        utc(2027, 1, 11, 10, 30),
        utc(2027, 1, 13, 10, 30),
        utc(2027, 1, 15, 10, 30),
    ]


def test_a_session_moved_to_an_earlier_day_takes_that_day() -> None:
    wed = local(2027, 1, 13, 9, 0)  # the next session is Wednesday's; it moves to Tuesday
    rule = moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, wed, local(2027, 1, 12, 9, 0))
    assert rule == "FREQ=WEEKLY;BYDAY=MO,TU,FR"


def test_the_weekdays_series_moved_from_monday_to_the_saturday_before() -> None:
    rule = moved_rule(
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", FIRST, LONDON, MON_11, local(2027, 1, 9, 9, 0)
    )
    assert rule == "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA"


def test_every_two_weeks_keeps_its_interval_and_week_start() -> None:
    rule = moved_rule(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=MO", FIRST, LONDON, FIRST, local(2027, 1, 5, 9, 0)
    )
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,WE;WKST=MO"


def test_moving_onto_another_of_its_days_is_refused_rather_than_merging_the_two() -> None:
    with pytest.raises(ScheduleError, match="Wednesday is already one of this series' days"):
        moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, MON_11, local(2027, 1, 13, 9))


def test_jumping_over_sessions_of_the_other_days_is_refused_naming_them() -> None:
    with pytest.raises(ScheduleError, match=r"leave out .*Wed 13 Jan 2027\)") as err:
        moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, MON_11, local(2027, 1, 14, 9))
    assert "before Wed 13 Jan 2027" in str(err.value)
    with pytest.raises(ScheduleError, match="Wed 20 Jan 2027 and 1 more"):  # two weeks on: 4
        moved_rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", FIRST, LONDON, MON_11, local(2027, 1, 26, 9))


def test_a_daily_series_goes_on_daily_from_the_new_start() -> None:
    assert moved_rule("FREQ=DAILY", FIRST, LONDON, MON_11, local(2027, 1, 14, 8)) == "FREQ=DAILY"


def test_a_count_keeps_only_the_sessions_left() -> None:
    third = local(2027, 1, 18, 9, 0)  # two sessions held (4 and 11 Jan), eight left
    to = local(2027, 1, 19, 10, 0)
    rule = moved_rule("FREQ=WEEKLY;BYDAY=MO;COUNT=10", FIRST, LONDON, third, to)
    assert rule == "FREQ=WEEKLY;BYDAY=TU;COUNT=8"
    assert len(starts(to, rule, 20)) == 8


def test_an_end_date_stays_and_a_one_off_has_no_rule() -> None:
    rule = moved_rule(
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T235959", FIRST, LONDON, MON_11, local(2027, 1, 12, 9)
    )
    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301T235959"
    assert moved_rule(None, FIRST, LONDON, FIRST, local(2027, 1, 5, 9)) is None


def test_a_move_past_the_end_date_is_refused_naming_the_last_date() -> None:
    with pytest.raises(ScheduleError) as err:
        moved_rule(
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T235959",
            FIRST,
            LONDON,
            MON_11,
            local(2027, 3, 2, 9),
        )
    assert "after the series' last date" in str(err.value)
    assert "1 Mar 2027" in str(err.value)
    # The last date itself is still allowed.
    assert (
        moved_rule(
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T235959",
            FIRST,
            LONDON,
            MON_11,
            local(2027, 3, 1, 9),
        )
        == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T235959"
    )
