"""Availability: parsing weekly windows, concrete UTC intervals across DST, overlaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.availability import (
    Availability,
    Interval,
    Window,
    available_at,
    format_windows,
    intersect,
    is_night,
    mask_intervals,
    parse_windows,
    slot_mask,
    total_minutes,
    week_intervals,
    windows_from_json,
    windows_to_json,
)
from bot.domain.errors import ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("weekdays 08:00–12:00", "Weekdays 08:00–12:00"),
        ("Mon, Wed 18:00-21:00; Sat 10-14", "Mon, Wed 18:00–21:00; Sat 10:00–14:00"),
        ("mon to fri 9 to 5", "Weekdays 09:00–17:00"),
        ("Tue 9am-noon, 2pm-5:30pm", "Tue 09:00–12:00, 14:00–17:30"),
        ("weekends 10-24", "Weekends 10:00–24:00"),
        ("every day 07:00-09:00", "Every day 07:00–09:00"),
        ("Mon-Wed 8-10\nFri 8-10", "Mon–Wed, Fri 08:00–10:00"),
        ("sat-mon 10-12", "Mon, Sat, Sun 10:00–12:00"),
    ],
)
def test_parse_and_show(text: str, shown: str) -> None:
    assert format_windows(parse_windows(text)) == shown


def test_a_range_past_midnight_runs_into_the_next_day() -> None:
    assert parse_windows("Fri 22:00-01:30") == (Window(4, 22 * 60, 1440), Window(5, 0, 90))
    assert parse_windows("Sun 23-1") == (Window(0, 0, 60), Window(6, 23 * 60, 1440))


def test_overlapping_windows_merge() -> None:
    assert parse_windows("Mon 8-10; Mon 9-12, 12-13") == (Window(0, 8 * 60, 13 * 60),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sometimes", "has no time range"),
        ("", "Say when you're available"),
        ("Funday 9-5", "“funday” in “Funday 9-5” is not a day"),
        ("Mon 25:00-26:00", "“25:00” is not a time of day"),
        ("Mon 9-9", "is empty"),
        ("9-12", "needs the days first"),
        ("Mon 9-12 maybe", "I couldn't read “maybe”"),
        ("Mon 13pm-2pm", "with am/pm use hours 1–12"),
    ],
)
def test_bad_availability_gets_a_sentence(text: str, says: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_windows(text)
    assert says in str(err.value)


def test_json_round_trip_skips_junk() -> None:
    windows = parse_windows("weekdays 8-12; Sat 10-14")
    assert windows_from_json(windows_to_json(windows)) == windows
    assert windows_from_json([[0, 60, 120], "x", [9, 0, 10], [1, 50, 40]]) == (Window(0, 60, 120),)


def test_week_intervals_follow_the_members_zone() -> None:
    avail = Availability(NEW_YORK, parse_windows("weekdays 09:00-12:00"))
    # Monday 1 March 2027 00:00 UTC: New York is on EST (UTC-5).
    got = week_intervals(avail, utc(2027, 3, 1), days=2)
    assert got == [
        Interval(utc(2027, 3, 1, 14), utc(2027, 3, 1, 17)),
        Interval(utc(2027, 3, 2, 14), utc(2027, 3, 2, 17)),
    ]


def test_week_intervals_are_dst_correct() -> None:
    avail = Availability(BERLIN, parse_windows("every day 01:00-04:00"))
    # Berlin springs forward on Sunday 28 March 2027 at 02:00: that night's window is 2 hours.
    got = week_intervals(avail, utc(2027, 3, 27), days=2)
    assert [iv.minutes for iv in got] == [180, 120, 60]  # the last: Monday 01:00, cut at 00:00 UTC
    assert got[1] == Interval(utc(2027, 3, 28, 0), utc(2027, 3, 28, 2))
    # The same 09:00 start is 08:00 UTC before and 07:00 UTC after the change.
    office = Availability(BERLIN, parse_windows("every day 09:00-10:00"))
    before, after = week_intervals(office, utc(2027, 3, 27), days=2)
    assert (before.start.hour, after.start.hour) == (8, 7)


def test_intervals_are_clipped_to_the_stretch_asked_for() -> None:
    avail = Availability(TOKYO, parse_windows("every day 00:00-24:00"))
    start = utc(2027, 1, 4, 5, 30)
    assert week_intervals(avail, start) == [Interval(start, start + timedelta(days=7))]


def test_shared_hours_across_three_zones() -> None:
    start = utc(2027, 1, 4)
    berlin = week_intervals(Availability(BERLIN, parse_windows("Mon 16:00-20:00")), start)
    new_york = week_intervals(Availability(NEW_YORK, parse_windows("Mon 08:00-12:00")), start)
    tokyo = week_intervals(Availability(TOKYO, parse_windows("Tue 02:00-05:00")), start)
    # Berlin 15–19 UTC, New York 13–17 UTC, Tokyo Mon 17–20 UTC: all three 17:00 only.
    assert intersect(berlin, new_york) == [Interval(utc(2027, 1, 4, 15), utc(2027, 1, 4, 17))]
    assert intersect(berlin, new_york, tokyo) == []
    assert total_minutes(intersect(berlin, tokyo)) == 120


intervals = st.lists(st.tuples(st.integers(0, 7 * 96 - 1), st.integers(1, 40)), max_size=6).map(
    lambda spans: sorted(
        {
            Interval(
                utc(2027, 1, 4) + timedelta(minutes=15 * s),
                utc(2027, 1, 4) + timedelta(minutes=15 * (s + n)),
            )
            for s, n in spans
        }
    )
)


@settings(max_examples=100, deadline=None)
@given(intervals, intervals)
def test_overlap_is_symmetric_and_agrees_with_slot_masks(
    a: list[Interval], b: list[Interval]
) -> None:
    from bot.domain.availability import merge

    a, b = merge(a), merge(b)
    start = utc(2027, 1, 4)
    both = intersect(a, b)
    assert both == intersect(b, a)
    assert total_minutes(both) <= min(total_minutes(a), total_minutes(b))
    common = slot_mask(a, start) & slot_mask(b, start)
    assert common.bit_count() * 15 == total_minutes(both)
    assert merge(mask_intervals(common, start)) == [
        Interval(iv.start, min(iv.end, start + timedelta(days=7 + 1))) for iv in both
    ]


windows_lists = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 95), st.integers(1, 96)).map(
        lambda t: Window(t[0], t[1] * 15, min(1440, max(t[1] + 1, t[2]) * 15))
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(windows_lists)
def test_what_show_prints_parses_back_to_the_same_windows(windows: list[Window]) -> None:
    from bot.domain.availability import normalise

    expected = normalise(windows)
    if not expected:
        return
    assert parse_windows(format_windows(expected)) == expected


# -- one moment (/when) ----------------------------------------------------------------------------


def test_available_at_reads_the_members_own_zone_across_midnight() -> None:
    ny = Availability(ZoneInfo("America/New_York"), (Window(0, 22 * 60, 24 * 60),))  # Mon 22–24
    # Monday 23:30 in New York is Tuesday 04:30 UTC (EST).
    assert available_at(ny, datetime(2031, 3, 4, 4, 30, tzinfo=UTC))
    assert not available_at(ny, datetime(2031, 3, 4, 5, 0, tzinfo=UTC))  # midnight: the end
    assert not available_at(Availability(ZoneInfo("UTC"), ()), datetime(2031, 3, 4, tzinfo=UTC))


def test_night_is_22_to_7_local() -> None:
    day = datetime(2031, 3, 4)
    assert [is_night(day.replace(hour=h)) for h in (6, 7, 21, 22, 0)] == [
        True,
        False,
        False,
        True,
        True,
    ]
