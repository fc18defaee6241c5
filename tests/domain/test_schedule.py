from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import UserError
from bot.domain.schedule import (
    MAX_OCCURRENCES,
    Repeat,
    ScheduleError,
    describe_repeat,
    occurrences,
    parse_repeat,
    parse_when,
    repeat_choices,
    rrule_text,
    utc_rrule,
    wall_to_utc,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
# Sunday 29 Nov 2026, 17:00 in London (GMT).
NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


def wall(when: datetime, zone: ZoneInfo) -> datetime:
    return when.astimezone(zone).replace(tzinfo=None)


def exists(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether some instant shows ``naive`` on a clock in ``zone`` (independent of fold rules)."""
    return any(
        wall(naive.replace(tzinfo=zone, fold=f).astimezone(UTC), zone) == naive for f in (0, 1)
    )


def instants_showing(naive: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every UTC minute within a day of ``naive`` whose wall clock in ``zone`` is ``naive``."""
    guess = naive.replace(tzinfo=UTC)
    found = []
    for minutes in range(-24 * 60, 24 * 60 + 1):
        instant = guess + timedelta(minutes=minutes)
        if wall(instant, zone) == naive:
            found.append(instant)
    return found


# --- parse_when: accepted forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 09:00", datetime(2026, 12, 1, 9, 0)),
        ("2026-12-01T09:00", datetime(2026, 12, 1, 9, 0)),
        ("2026-12-1 9:00", datetime(2026, 12, 1, 9, 0)),
        ("Mon 9:00", datetime(2026, 11, 30, 9, 0)),
        ("monday at 9am", datetime(2026, 11, 30, 9, 0)),
        ("Wed 17:30", datetime(2026, 12, 2, 17, 30)),
        ("tomorrow 14:30", datetime(2026, 11, 30, 14, 30)),
        ("today 18:00", datetime(2026, 11, 29, 18, 0)),
        ("9am", datetime(2026, 11, 30, 9, 0)),
        ("6pm", datetime(2026, 11, 29, 18, 0)),
        ("2:30 pm", datetime(2026, 11, 30, 14, 30)),
        ("noon", datetime(2026, 11, 30, 12, 0)),
        ("1 Dec 09:00", datetime(2026, 12, 1, 9, 0)),
        ("Dec 1st 2026 at 2:30 pm", datetime(2026, 12, 1, 14, 30)),
        ("9:00 tomorrow", datetime(2026, 11, 30, 9, 0)),
        ("  TOMORROW   14:30 ", datetime(2026, 11, 30, 14, 30)),
        ("1 Jan 10:00", datetime(2027, 1, 1, 10, 0)),
    ],
)
def test_parse_when_accepts(text: str, expected: datetime) -> None:
    result = parse_when(text, LONDON, NOW)
    assert result.tzinfo is LONDON
    assert result.replace(tzinfo=None) == expected
    assert result > NOW


def test_parse_when_weekday_means_today_while_the_time_is_still_ahead() -> None:
    # NOW is Sunday 17:00 London.
    assert parse_when("Sun 17:30", LONDON, NOW).date() == date(2026, 11, 29)
    assert parse_when("Sun 16:00", LONDON, NOW).date() == date(2026, 12, 6)
    assert parse_when("Sun 17:00", LONDON, NOW).date() == date(2026, 12, 6)


def test_parse_when_time_alone_means_today_if_ahead_else_tomorrow() -> None:
    assert parse_when("17:01", LONDON, NOW).date() == date(2026, 11, 29)
    assert parse_when("16:59", LONDON, NOW).date() == date(2026, 11, 30)


def test_parse_when_uses_the_members_zone_for_today() -> None:
    # 17:00 UTC is 22:30 in Kolkata: "today 22:00" there has passed, "23:00" has not.
    assert parse_when("23:00", KOLKATA, NOW) == datetime(2026, 11, 29, 23, 0, tzinfo=KOLKATA)
    assert parse_when("22:00", KOLKATA, NOW).date() == date(2026, 11, 30)
    with pytest.raises(ScheduleError, match="already passed"):
        parse_when("today 22:00", KOLKATA, NOW)


def test_parse_when_month_day_without_year_is_the_next_such_date() -> None:
    # 29 Nov 16:00 has passed today, so it is next year's; 18:00 is still ahead today.
    assert parse_when("29 Nov 16:00", LONDON, NOW).date() == date(2027, 11, 29)
    assert parse_when("29 Nov 18:00", LONDON, NOW).date() == date(2026, 11, 29)
    assert parse_when("1 Dec 9:00", LONDON, NOW).date() == date(2026, 12, 1)


def test_parse_when_keeps_a_gap_wall_time_and_its_instant_is_shifted_forward() -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    result = parse_when("2027-03-28 01:30", LONDON, now)
    assert result.replace(tzinfo=None) == datetime(2027, 3, 28, 1, 30)
    assert result.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 BST


def test_schedule_error_is_a_value_error_and_a_user_error() -> None:
    with pytest.raises(ScheduleError) as err:
        parse_when("Funday", LONDON, NOW)
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value, UserError)


# --- parse_when: refused forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("25:00", "hours go from 0 to 23"),
        ("24:00", "hours go from 0 to 23"),
        ("9:60", "minutes from 00 to 59"),
        ("Funday", "“Funday”"),
        ("Funday 9:00", "“Funday”"),
        ("13pm", "with am or pm the hour goes from 1 to 12"),
        ("0am", "with am or pm the hour goes from 1 to 12"),
        ("today 09:00", "already passed"),
        ("2026-11-01 09:00", "already passed"),
        ("yesterday 12:00", "Sat 28 Nov 2026 12:00 (Europe/London) has already passed"),
        ("noon yesterday", "Sat 28 Nov 2026 12:00 (Europe/London) has already passed"),
        ("yesterday", "has no time of day"),
        ("2026-12-01 09:00 please", "“please”"),
        ("next-ish monday 9:00", "“next-ish”"),
        ("12/01 9:00", "12/01 is 12 January in the UK and 1 December in the US"),
        ("1/12/2026 9:00", "reads differently in different countries"),
        ("9", "9 could mean 09:00 or 21:00"),
        ("mon 9", "9 could mean 09:00 or 21:00"),
        ("Mon", "has no time of day"),
        ("tomorrow", "has no time of day"),
        ("", "Give a start time"),
        ("2026-02-30 09:00", "does not exist"),
        ("31 Apr 09:00", "does not exist"),
        ("2026-12-01 9:00 10:00", "more than one time"),
        ("2028-01-01 09:00", "more than a year away"),
        ("9:5", "“9:5”"),
        ("x" * 200, "too long"),
    ],
)
def test_parse_when_refuses(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_when(text, LONDON, NOW)
    message = str(err.value)
    assert says in message
    assert len(message) < 300


def test_parse_when_refusal_says_what_is_allowed() -> None:
    with pytest.raises(ScheduleError) as err:
        parse_when("Funday", LONDON, NOW)
    assert "2026-12-01 09:00, Mon 9:00, tomorrow 14:30 or 9am" in str(err.value)


def test_parse_when_past_refusal_names_the_time_it_is_now() -> None:
    with pytest.raises(ScheduleError) as err:
        parse_when("today 09:00", NEW_YORK, NOW)
    assert "Sun 29 Nov 2026 09:00 (America/New_York) has already passed" in str(err.value)
    assert "it is now Sun 29 Nov 2026 12:00 there" in str(err.value)


# --- wall_to_utc: gaps and folds -----------------------------------------------------------------

# (zone, a wall time inside the spring-forward gap, the gap in minutes, a wall time that repeats)
TRANSITIONS = [
    (LONDON, datetime(2027, 3, 28, 1, 30), 60, datetime(2027, 10, 31, 1, 30)),
    (NEW_YORK, datetime(2027, 3, 14, 2, 30), 60, datetime(2027, 11, 7, 1, 30)),
    (SYDNEY, datetime(2026, 10, 4, 2, 30), 60, datetime(2027, 4, 4, 2, 30)),
    (LORD_HOWE, datetime(2026, 10, 4, 2, 15), 30, datetime(2027, 4, 4, 1, 45)),
]


@pytest.mark.parametrize(("zone", "gap", "minutes", "fold"), TRANSITIONS)
def test_wall_to_utc_shifts_a_gap_time_forward_by_the_gap(
    zone: ZoneInfo, gap: datetime, minutes: int, fold: datetime
) -> None:
    assert instants_showing(gap, zone) == []  # really a gap
    result = wall_to_utc(gap, zone)
    assert result.tzinfo is UTC
    assert wall(result, zone) == gap + timedelta(minutes=minutes)


@pytest.mark.parametrize(("zone", "gap", "minutes", "fold"), TRANSITIONS)
def test_wall_to_utc_takes_the_earlier_instant_of_a_repeated_time(
    zone: ZoneInfo, gap: datetime, minutes: int, fold: datetime
) -> None:
    both = instants_showing(fold, zone)
    assert len(both) == 2  # really a repeat
    assert both[1] - both[0] == timedelta(minutes=minutes)
    assert wall_to_utc(fold, zone) == both[0]


def test_wall_to_utc_in_kolkata_is_always_exact() -> None:
    # India has no DST: every wall time exists exactly once, 5:30 ahead of UTC.
    for day in range(0, 365, 7):
        naive = datetime(2027, 1, 1, 2, 30) + timedelta(days=day)
        assert instants_showing(naive, KOLKATA) == [wall_to_utc(naive, KOLKATA)]
        assert wall_to_utc(naive, KOLKATA) == naive.replace(tzinfo=UTC) - timedelta(
            hours=5, minutes=30
        )


@pytest.mark.parametrize(("zone", "gap", "minutes", "fold"), TRANSITIONS)
def test_daily_series_through_the_gap_and_the_fold(
    zone: ZoneInfo, gap: datetime, minutes: int, fold: datetime
) -> None:
    for special, check in ((gap, "gap"), (fold, "fold")):
        first = special - timedelta(days=3)
        starts = occurrences(
            first, zone.key, "FREQ=DAILY", first.replace(tzinfo=UTC) - timedelta(days=2), 7
        )
        assert len(starts) == 7
        walls = [wall(s, zone) for s in starts]
        for day, shown in zip(range(7), walls, strict=True):
            expected = first + timedelta(days=day)
            if check == "gap" and expected == special:
                assert shown == special + timedelta(minutes=minutes)
            else:
                assert shown == expected
        if check == "fold":
            assert starts[3] == instants_showing(fold, zone)[0]
        assert starts == sorted(set(starts))


# --- parse_repeat --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", Repeat()),
        ("", Repeat()),
        ("once", Repeat()),
        ("daily", Repeat("daily")),
        ("every day", Repeat("daily")),
        ("every 2 days", Repeat("daily", interval=2)),
        ("weekdays", Repeat("weekdays", (0, 1, 2, 3, 4))),
        ("weekly", Repeat("weekly")),
        ("Weekly", Repeat("weekly")),
        ("weekly mon,wed", Repeat("weekly", (0, 2))),
        ("weekly on Mon, Wed", Repeat("weekly", (0, 2))),
        ("weekly wed mon mon", Repeat("weekly", (0, 2))),
        ("every monday", Repeat("weekly", (0,))),
        ("mondays and thursdays", Repeat("weekly", (0, 3))),
        ("tue thu", Repeat("weekly", (1, 3))),
        ("every 2 weeks", Repeat("weekly", interval=2)),
        ("fortnightly", Repeat("weekly", interval=2)),
        ("every other week", Repeat("weekly", interval=2)),
        ("every 2 weeks on tue thu", Repeat("weekly", (1, 3), interval=2)),
        ("every two weeks on tuesday, thursday", Repeat("weekly", (1, 3), interval=2)),
    ],
)
def test_parse_repeat_accepts(text: str, expected: Repeat) -> None:
    assert parse_repeat(text) == expected


def test_parse_repeat_until_and_count() -> None:
    assert parse_repeat("weekly", until="2027-03-01") == Repeat("weekly", until=date(2027, 3, 1))
    assert parse_repeat("daily", count=10) == Repeat("daily", count=10)
    assert parse_repeat("daily", count=MAX_OCCURRENCES).count == MAX_OCCURRENCES
    assert parse_repeat("weekly", until="  ") == Repeat("weekly")


@pytest.mark.parametrize(
    ("text", "kwargs", "says"),
    [
        ("sometimes", {}, "not a repeat I know"),
        ("weekly funday", {}, "not a repeat I know"),
        ("every 0 weeks", {}, "every 1 to 12 weeks"),
        ("every 13 weeks", {}, "every 1 to 12 weeks"),
        ("every 45 days", {}, "every 1 to 30 days"),
        ("every 2 days on mon", {}, "a daily repeat has no weekdays"),
        ("daily on mon", {}, "not a repeat I know"),
        ("weekly", {"count": 0}, "1 to 500 sessions"),
        ("weekly", {"count": 501}, "1 to 500 sessions"),
        ("weekly", {"until": "01/03/2027"}, "year-month-day"),
        ("weekly", {"until": "2027-02-30"}, "not a day that exists"),
        ("weekly", {"until": "2027-03-01", "count": 5}, "not both"),
        ("none", {"count": 5}, "does not repeat has no end date or count"),
        ("x" * 200, {}, "too long"),
    ],
)
def test_parse_repeat_refuses(text: str, kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(ScheduleError, match=says):
        parse_repeat(text, **kwargs)


def test_repeat_choices_all_parse_and_fit_autocomplete() -> None:
    choices = repeat_choices()
    assert choices[0] == ("Does not repeat", "none")
    for label, value in choices:
        assert len(label) <= 100
        assert len(value) <= 100
        parse_repeat(value)


# --- rrule_text and describe_repeat --------------------------------------------------------------

MONDAY_9 = datetime(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("repeat", "rule", "words"),
    [
        (Repeat(), None, "does not repeat"),
        (Repeat("daily"), "FREQ=DAILY", "every day"),
        (Repeat("daily", interval=3), "FREQ=DAILY;INTERVAL=3", "every 3 days"),
        (Repeat("weekdays", (0, 1, 2, 3, 4)), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        (Repeat("weekly"), "FREQ=WEEKLY;BYDAY=MO", "every Monday"),
        (
            Repeat("weekly", (0, 2), until=date(2027, 3, 1)),
            "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T235959",
            "every Monday and Wednesday until 1 Mar 2027",
        ),
        (
            Repeat("weekly", (0, 3), interval=2, count=10),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO;COUNT=10",
            "every 2 weeks on Monday and Thursday, 10 times",
        ),
        (
            Repeat("weekly", (0, 2, 4)),
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            "every Monday, Wednesday and Friday",
        ),
        (Repeat("daily", count=1), "FREQ=DAILY;COUNT=1", "every day, once"),
    ],
)
def test_rrule_text_and_its_description(repeat: Repeat, rule: str | None, words: str) -> None:
    assert rrule_text(MONDAY_9, repeat) == rule
    assert describe_repeat(rule) == words


def test_rrule_text_accepts_an_aware_first_start() -> None:
    assert rrule_text(MONDAY_9.replace(tzinfo=LONDON), Repeat("weekly")) == "FREQ=WEEKLY;BYDAY=MO"


def test_rrule_text_refuses_a_start_that_is_not_a_repeat_day() -> None:
    with pytest.raises(ScheduleError) as err:
        rrule_text(datetime(2026, 12, 1, 9, 0), Repeat("weekly", (0, 2)))
    assert "Tue 1 Dec 2026, is not one of the repeat days (Monday and Wednesday)" in str(err.value)
    assert "Wed 2 Dec 2026" in str(err.value)
    with pytest.raises(ScheduleError, match="not one of the repeat days"):
        rrule_text(datetime(2026, 12, 5, 9, 0), Repeat("weekdays", (0, 1, 2, 3, 4)))


def test_rrule_text_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ScheduleError, match="before the first start"):
        rrule_text(MONDAY_9, Repeat("weekly", until=date(2026, 11, 29)))
    assert rrule_text(MONDAY_9, Repeat("weekly", until=date(2026, 11, 30))) is not None


def test_rrule_text_refuses_more_than_max_occurrences() -> None:
    with pytest.raises(ScheduleError, match="more than 500 sessions"):
        rrule_text(MONDAY_9, Repeat("daily", until=date(2028, 6, 1)))
    # 500 exactly is fine: daily from 30 Nov 2026, the 500th day is 13 Apr 2028.
    last = MONDAY_9.date() + timedelta(days=MAX_OCCURRENCES - 1)
    rule = rrule_text(MONDAY_9, Repeat("daily", until=last))
    starts = occurrences(MONDAY_9, "UTC", rule, NOW - timedelta(days=1), 1000)
    assert len(starts) == MAX_OCCURRENCES


def test_open_ended_series_is_allowed() -> None:
    rule = rrule_text(MONDAY_9, Repeat("daily"))
    starts = occurrences(MONDAY_9, "Europe/London", rule, datetime(2036, 1, 1, tzinfo=UTC), 3)
    assert [wall(s, LONDON) for s in starts] == [
        datetime(2036, 1, 1, 9, 0),
        datetime(2036, 1, 2, 9, 0),
        datetime(2036, 1, 3, 9, 0),
    ]


def test_describe_repeat_reads_a_utc_until() -> None:
    assert describe_repeat("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301T235959Z") == (
        "every Tuesday until 1 Mar 2027"
    )
    assert describe_repeat("RRULE:FREQ=WEEKLY") == "every week"


def test_utc_rrule_converts_until_in_the_series_zone() -> None:
    rule = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301T235959"
    assert utc_rrule(rule, "America/New_York") == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270302T045959Z"
    assert utc_rrule(rule, "Asia/Kolkata") == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301T182959Z"
    assert utc_rrule("FREQ=DAILY", "Europe/London") == "FREQ=DAILY"


# --- occurrences ---------------------------------------------------------------------------------


def test_one_off_occurs_once_while_ahead() -> None:
    first = datetime(2026, 12, 1, 9, 0)
    assert occurrences(first, "Europe/London", None, NOW, 5) == [
        datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    ]
    assert occurrences(first, "Europe/London", None, datetime(2026, 12, 1, 9, tzinfo=UTC), 5) == []
    assert occurrences(first, "Europe/London", None, NOW, 0) == []


def test_london_weekly_0900_stays_0900_local_across_march_and_october() -> None:
    first = datetime(2027, 3, 15, 9, 0)  # a Monday, GMT
    rule = rrule_text(first, Repeat("weekly"))
    starts = occurrences(first, "Europe/London", rule, datetime(2027, 3, 1, tzinfo=UTC), 35)
    assert all(
        wall(s, LONDON) == datetime.combine(wall(s, LONDON).date(), first.time()) for s in starts
    )
    assert [s.astimezone(LONDON).weekday() for s in starts] == [0] * 35
    by_day = {s.date(): s.hour for s in starts}
    assert by_day[date(2027, 3, 22)] == 9  # GMT: 09:00 is 09:00 UTC
    assert by_day[date(2027, 3, 29)] == 8  # after the March change: BST, 08:00 UTC
    assert by_day[date(2027, 10, 25)] == 8  # last Monday of BST
    assert by_day[date(2027, 11, 1)] == 9  # after the October change: GMT again


def test_occurrences_are_after_the_given_instant_and_limited() -> None:
    first = datetime(2026, 11, 30, 9, 0)
    rule = "FREQ=WEEKLY;BYDAY=MO,WE"
    after = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # exactly the Wednesday start
    starts = occurrences(first, "Europe/London", rule, after, 3)
    assert starts == [
        datetime(2026, 12, 7, 9, tzinfo=UTC),
        datetime(2026, 12, 9, 9, tzinfo=UTC),
        datetime(2026, 12, 14, 9, tzinfo=UTC),
    ]


def test_occurrences_stop_at_until_in_the_series_wall_clock() -> None:
    first = datetime(2026, 11, 30, 21, 0)  # 21:00 New York is 02:00 UTC the next day
    rule = rrule_text(first, Repeat("weekly", until=date(2026, 12, 14)))
    starts = occurrences(first, "America/New_York", rule, NOW, 10)
    assert [wall(s, NEW_YORK).date() for s in starts] == [
        date(2026, 11, 30),
        date(2026, 12, 7),
        date(2026, 12, 14),
    ]
    # The same rule with UNTIL in UTC (as a calendar writes it) gives the same starts.
    assert (
        occurrences(first, "America/New_York", utc_rrule(rule or "", "America/New_York"), NOW, 10)
        == starts
    )


def test_occurrences_with_count() -> None:
    first = datetime(2026, 11, 30, 9, 0)
    rule = rrule_text(first, Repeat("weekdays", (0, 1, 2, 3, 4), count=7))
    starts = occurrences(first, "Europe/London", rule, NOW, 100)
    assert len(starts) == 7
    assert starts[-1] == datetime(2026, 12, 8, 9, tzinfo=UTC)
    later = occurrences(first, "Europe/London", rule, datetime(2026, 12, 4, 10, tzinfo=UTC), 100)
    assert later == starts[5:]


def test_every_two_weeks_on_two_days() -> None:
    first = datetime(2026, 12, 1, 18, 0)  # Tuesday
    rule = rrule_text(first, Repeat("weekly", (1, 3), interval=2))
    starts = occurrences(first, "Europe/London", rule, NOW, 6)
    assert [wall(s, LONDON).date() for s in starts] == [
        date(2026, 12, 1),
        date(2026, 12, 3),
        date(2026, 12, 15),
        date(2026, 12, 17),
        date(2026, 12, 29),
        date(2026, 12, 31),
    ]


def test_kolkata_member_series_for_a_new_york_server() -> None:
    # A member in Kolkata types "Mon 19:30" in their own zone; the series keeps Kolkata's wall
    # clock. India has no DST, so the instant is fixed and New York sees it move with its own DST.
    now = datetime(2027, 2, 28, tzinfo=UTC)
    start = parse_when("Mon 19:30", KOLKATA, now)
    first = start.replace(tzinfo=None)
    rule = rrule_text(first, parse_repeat("weekly"))
    starts = occurrences(first, "Asia/Kolkata", rule, now, 4)
    assert all(
        wall(s, KOLKATA) == datetime.combine(s.astimezone(KOLKATA).date(), first.time())
        for s in starts
    )
    assert {s.astimezone(UTC).time().isoformat() for s in starts} == {"14:00:00"}
    new_york = [wall(s, NEW_YORK) for s in starts]
    assert new_york[0] == datetime(2027, 3, 1, 9, 0)  # EST
    assert new_york[2] == datetime(2027, 3, 15, 10, 0)  # EDT from 14 March


def test_new_york_series_seen_from_kolkata() -> None:
    # The other way round: the series is New York's 09:00; Kolkata sees 19:30, then 18:30.
    first = datetime(2027, 3, 8, 9, 0)
    starts = occurrences(
        first, "America/New_York", "FREQ=WEEKLY;BYDAY=MO", datetime(2027, 3, 1, tzinfo=UTC), 2
    )
    assert [wall(s, NEW_YORK) for s in starts] == [
        datetime(2027, 3, 8, 9),
        datetime(2027, 3, 15, 9),
    ]
    assert [wall(s, KOLKATA) for s in starts] == [
        datetime(2027, 3, 8, 19, 30),
        datetime(2027, 3, 15, 18, 30),
    ]


# --- property: the wall time holds except in a gap ------------------------------------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
]


@settings(max_examples=150, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    rule=st.sampled_from(
        ["FREQ=DAILY", "FREQ=WEEKLY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2"]
    ),
)
def test_every_occurrence_keeps_the_series_wall_time_except_in_a_gap(
    zone_name: str, day: date, hour: int, minute: int, rule: str
) -> None:
    zone = ZoneInfo(zone_name)
    first = datetime(day.year, day.month, day.day, hour, minute)
    if rule.startswith("FREQ=WEEKLY"):
        rule += ";BYDAY=" + ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
    starts = occurrences(first, zone_name, rule, first.replace(tzinfo=UTC) - timedelta(days=2), 120)
    assert len(starts) == 120
    assert starts == sorted(set(starts))
    for start in starts:
        shown = wall(start, zone)
        nominal = datetime.combine(shown.date(), first.time())
        if shown == nominal:
            continue
        # Only a wall time that does not exist may move, and only forward, by at most an hour.
        nominal = datetime.combine(start.astimezone(zone).date(), first.time())
        if not exists(nominal, zone):
            assert timedelta(0) < shown - nominal <= timedelta(hours=1)
            continue
        nominal -= timedelta(days=1)  # a gap time shifted across midnight (not in these zones)
        assert not exists(nominal, zone)
