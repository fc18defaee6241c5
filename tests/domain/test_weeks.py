from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import ValidationError
from bot.domain.weeks import (
    PostKind,
    ScheduledPost,
    WeekSchedule,
    due_posts,
    local_to_utc,
    next_post,
    parse_day,
    parse_days,
    parse_time,
    posts_for_week,
    week_end,
    week_label,
    week_start,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
DEFAULT = WeekSchedule()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def times(posts: list[ScheduledPost]) -> dict[str, datetime]:
    return {p.key: p.at for p in posts}


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [("mon", 0), ("Monday", 0), ("TUE", 1), ("tues", 1), ("wed", 2), ("Thurs", 3), ("fri", 4)],
)
def test_parse_day_accepts_names_and_abbreviations(text: str, day: int) -> None:
    assert parse_day(text) == day


def test_parse_day_accepts_iso_weekday_number() -> None:
    assert parse_day("1") == 0
    assert parse_day("7") == 6


def test_parse_day_rejects_unknown_day_with_guidance() -> None:
    with pytest.raises(ValidationError) as err:
        parse_day("Funday")
    assert str(err.value) == "Unknown day 'Funday'. Use a weekday name like Monday or Mon."


def test_parse_day_rejects_ambiguous_prefix() -> None:
    with pytest.raises(ValidationError):
        parse_day("t")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:00", time(9, 0)),
        ("17:30", time(17, 30)),
        ("5pm", time(17, 0)),
        ("5:30 pm", time(17, 30)),
        ("12am", time(0, 0)),
        ("12 PM", time(12, 0)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_time_accepts_common_forms(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "24:00", "9:60", "13pm", "0am", "noon", "9", ""])
def test_parse_time_rejects_non_times(text: str) -> None:
    with pytest.raises(ValidationError, match=r"is not a time of day\. Use HH:MM, 24-hour"):
        parse_time(text)


def test_parse_time_message_quotes_input() -> None:
    with pytest.raises(ValidationError) as err:
        parse_time("25:00")
    assert str(err.value) == (
        "'25:00' is not a time of day. Use HH:MM, 24-hour, e.g. 09:00 or 17:30."
    )


@pytest.mark.parametrize(
    ("text", "days"),
    [("wed", (2,)), ("tue,thu", (1, 3)), ("Tue Thu", (1, 3)), ("thu, tue, tue", (1, 3))],
)
def test_parse_days_accepts_lists(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == days


def test_parse_days_none_means_no_checkins() -> None:
    assert parse_days("none") == ()


def test_parse_days_reports_the_bad_day() -> None:
    with pytest.raises(ValidationError, match="Unknown day 'Funday'"):
        parse_days("mon, Funday")


# --- schedule validation -------------------------------------------------------------------------


def test_default_schedule_is_monday_wednesday_friday() -> None:
    assert (DEFAULT.kickoff_day, DEFAULT.kickoff_time) == (0, time(9, 0))
    assert (DEFAULT.checkin_days, DEFAULT.checkin_time) == ((2,), time(12, 0))
    assert (DEFAULT.review_day, DEFAULT.review_time) == (4, time(17, 0))


def test_review_before_kickoff_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"review .* can't come before the kickoff"):
        WeekSchedule(kickoff_day=3, review_day=1)


def test_checkin_outside_kickoff_to_review_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Saturday 12:00 doesn't"):
        WeekSchedule(checkin_days=(5,))


def test_checkin_days_are_sorted_and_deduplicated() -> None:
    assert WeekSchedule(checkin_days=(3, 1, 3)).checkin_days == (1, 3)


def test_schedule_round_trips_through_dict() -> None:
    schedule = WeekSchedule(checkin_days=(1, 3), review_time=time(16, 30))
    assert WeekSchedule.from_dict(schedule.to_dict()) == schedule


# --- weeks and labels ----------------------------------------------------------------------------


def test_week_start_is_monday_of_iso_week() -> None:
    assert week_start(date(2026, 3, 29)) == date(2026, 3, 23)  # Sunday
    assert week_start(date(2026, 3, 23)) == date(2026, 3, 23)  # Monday
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # across a year


def test_week_label_has_no_leading_zero() -> None:
    assert week_label(date(2026, 11, 23)) == "Week of 23 Nov"
    assert week_label(date(2026, 3, 2)) == "Week of 2 Mar"


def test_posts_for_week_requires_monday() -> None:
    with pytest.raises(ValueError, match="Monday"):
        posts_for_week(DEFAULT, date(2026, 3, 3), LONDON)


def test_posts_have_unique_keys_and_are_ordered() -> None:
    schedule = WeekSchedule(checkin_days=(1, 3))
    posts = posts_for_week(schedule, date(2026, 3, 2), LONDON)
    assert [p.key for p in posts] == ["kickoff", "checkin:1", "checkin:3", "review"]
    assert [p.kind for p in posts] == [
        PostKind.KICKOFF,
        PostKind.CHECKIN,
        PostKind.CHECKIN,
        PostKind.REVIEW,
    ]
    assert all(p.at.tzinfo is UTC and p.week_start == date(2026, 3, 2) for p in posts)


# --- post times across zones and DST -------------------------------------------------------------


def test_london_week_before_spring_forward_is_in_gmt() -> None:
    assert times(posts_for_week(DEFAULT, date(2026, 3, 23), LONDON)) == {
        "kickoff": utc(2026, 3, 23, 9),
        "checkin:2": utc(2026, 3, 25, 12),
        "review": utc(2026, 3, 27, 17),
    }


def test_london_week_after_spring_forward_is_in_bst() -> None:
    assert times(posts_for_week(DEFAULT, date(2026, 3, 30), LONDON)) == {
        "kickoff": utc(2026, 3, 30, 8),
        "checkin:2": utc(2026, 4, 1, 11),
        "review": utc(2026, 4, 3, 16),
    }


def test_london_kickoff_in_spring_forward_gap_moves_to_first_valid_instant() -> None:
    # 2026-03-29 01:00 GMT → 02:00 BST; 01:30 does not exist on that Sunday.
    schedule = WeekSchedule(
        kickoff_day=6,
        kickoff_time=time(1, 30),
        checkin_days=(),
        review_day=6,
        review_time=time(20, 0),
    )
    posts = times(posts_for_week(schedule, date(2026, 3, 23), LONDON))
    assert posts["kickoff"] == utc(2026, 3, 29, 1)  # 02:00 BST
    assert posts["kickoff"].astimezone(LONDON).time() == time(2, 0)
    assert posts["review"] == utc(2026, 3, 29, 19)  # 20:00 BST


def test_london_ambiguous_fall_back_time_takes_first_occurrence() -> None:
    # 2026-10-25 02:00 BST → 01:00 GMT; 01:30 happens twice, first at 00:30 UTC.
    assert local_to_utc(date(2026, 10, 25), time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)


def test_london_week_of_fall_back_switches_mid_week() -> None:
    schedule = WeekSchedule(checkin_days=(6,), review_day=6, review_time=time(18, 0))
    posts = times(posts_for_week(schedule, date(2026, 10, 19), LONDON))
    assert posts["kickoff"] == utc(2026, 10, 19, 8)  # BST
    assert posts["checkin:6"] == utc(2026, 10, 25, 12)  # GMT after the change
    assert posts["review"] == utc(2026, 10, 25, 18)


def test_new_york_week_containing_spring_forward() -> None:
    # 2026-03-08 02:00 EST → 03:00 EDT (a Sunday), inside the week of 2 March.
    schedule = WeekSchedule(checkin_days=(2,), review_day=6, review_time=time(17, 0))
    posts = times(posts_for_week(schedule, date(2026, 3, 2), NEW_YORK))
    assert posts["kickoff"] == utc(2026, 3, 2, 14)  # 09:00 EST
    assert posts["checkin:2"] == utc(2026, 3, 4, 17)  # 12:00 EST
    assert posts["review"] == utc(2026, 3, 8, 21)  # 17:00 EDT


def test_new_york_week_after_spring_forward_is_in_edt() -> None:
    assert times(posts_for_week(DEFAULT, date(2026, 3, 9), NEW_YORK))["kickoff"] == utc(
        2026, 3, 9, 13
    )


def test_new_york_gap_time_moves_to_three_am() -> None:
    assert local_to_utc(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7)


def test_sydney_week_after_autumn_fall_back_uses_aest() -> None:
    # Southern hemisphere: DST ends 2026-04-05 03:00 AEDT → 02:00 AEST.
    before = times(posts_for_week(DEFAULT, date(2026, 3, 30), SYDNEY))
    after = times(posts_for_week(DEFAULT, date(2026, 4, 6), SYDNEY))
    assert before["kickoff"] == utc(2026, 3, 29, 22)  # Mon 09:00 AEDT (+11)
    assert after["kickoff"] == utc(2026, 4, 5, 23)  # Mon 09:00 AEST (+10)


def test_sydney_week_after_spring_forward_uses_aedt() -> None:
    # DST starts 2026-10-04 02:00 AEST → 03:00 AEDT.
    before = times(posts_for_week(DEFAULT, date(2026, 9, 28), SYDNEY))
    after = times(posts_for_week(DEFAULT, date(2026, 10, 5), SYDNEY))
    assert before["review"] == utc(2026, 10, 2, 7)  # Fri 17:00 AEST
    assert after["kickoff"] == utc(2026, 10, 4, 22)  # Mon 09:00 AEDT


def test_sydney_sunday_gap_moves_forward() -> None:
    assert local_to_utc(date(2026, 10, 4), time(2, 15), SYDNEY) == utc(2026, 10, 3, 16)


def test_kolkata_half_hour_offset() -> None:
    assert times(posts_for_week(DEFAULT, date(2026, 3, 2), KOLKATA)) == {
        "kickoff": utc(2026, 3, 2, 3, 30),
        "checkin:2": utc(2026, 3, 4, 6, 30),
        "review": utc(2026, 3, 6, 11, 30),
    }


def test_week_end_is_next_local_monday_midnight() -> None:
    assert week_end(date(2026, 3, 23), LONDON) == utc(2026, 3, 29, 23)  # 00:00 BST


# --- week boundaries in local time ---------------------------------------------------------------


def test_utc_sunday_evening_is_already_monday_in_sydney() -> None:
    now = utc(2026, 4, 5, 23, 30)  # Mon 6 Apr 09:30 AEST
    due = due_posts(DEFAULT, SYDNEY, now, set())
    assert [(p.week_start, p.key) for p in due] == [(date(2026, 4, 6), "kickoff")]


def test_utc_monday_early_is_still_sunday_in_new_york() -> None:
    now = utc(2026, 3, 9, 3)  # Sun 8 Mar 23:00 EDT: still the week of 2 March
    due = due_posts(DEFAULT, NEW_YORK, now, set())
    assert {p.week_start for p in due} == {date(2026, 3, 2)}
    assert [p.key for p in due] == ["kickoff", "checkin:2", "review"]


def test_kolkata_week_starts_at_local_midnight() -> None:
    now = utc(2026, 3, 1, 19)  # Mon 2 Mar 00:30 IST
    assert due_posts(DEFAULT, KOLKATA, now, set()) == []
    nxt = next_post(DEFAULT, KOLKATA, now, set())
    assert nxt is not None and nxt.key == "kickoff" and nxt.week_start == date(2026, 3, 2)


# --- due posts and catch-up ----------------------------------------------------------------------


def test_nothing_due_before_kickoff() -> None:
    assert due_posts(DEFAULT, LONDON, utc(2026, 3, 2, 8, 59), set()) == []


def test_post_is_due_exactly_at_its_time() -> None:
    due = due_posts(DEFAULT, LONDON, utc(2026, 3, 2, 9), set())
    assert [p.key for p in due] == ["kickoff"]


def test_catch_up_after_downtime_returns_kickoff_and_checkin_once() -> None:
    now = utc(2026, 3, 4, 13)  # Wed 13:00, bot was down since Monday morning
    due = due_posts(DEFAULT, LONDON, now, set())
    assert [(p.kind, p.key) for p in due] == [
        (PostKind.KICKOFF, "kickoff"),
        (PostKind.CHECKIN, "checkin:2"),
    ]


def test_done_posts_are_not_due_again() -> None:
    now = utc(2026, 3, 4, 13)
    done = {(date(2026, 3, 2), "kickoff"), (date(2026, 3, 2), "checkin:2")}
    assert due_posts(DEFAULT, LONDON, now, done) == []


def test_missed_kickoff_caught_up_before_checkin_and_review() -> None:
    now = utc(2026, 3, 7, 10)  # Saturday: everything this week is overdue
    due = due_posts(WeekSchedule(checkin_days=(1, 3)), LONDON, now, set())
    assert [p.kind for p in due] == [
        PostKind.KICKOFF,
        PostKind.CHECKIN,
        PostKind.CHECKIN,
        PostKind.REVIEW,
    ]


def test_posts_of_a_finished_week_are_not_caught_up() -> None:
    now = utc(2026, 3, 9, 8)  # Monday before the new kickoff; last week never posted
    assert due_posts(DEFAULT, LONDON, now, set()) == []


def test_done_keys_from_another_week_do_not_hide_this_weeks_posts() -> None:
    done = {(date(2026, 2, 23), "kickoff")}
    due = due_posts(DEFAULT, LONDON, utc(2026, 3, 2, 10), done)
    assert [p.key for p in due] == ["kickoff"]


# --- next post -----------------------------------------------------------------------------------


def test_next_post_returns_due_post_first() -> None:
    nxt = next_post(DEFAULT, LONDON, utc(2026, 3, 4, 13), set())
    assert nxt is not None and nxt.key == "kickoff"


def test_next_post_is_strictly_after_now_when_nothing_due() -> None:
    done = {(date(2026, 3, 2), "kickoff")}
    nxt = next_post(DEFAULT, LONDON, utc(2026, 3, 2, 9), done)
    assert nxt is not None and (nxt.key, nxt.at) == ("checkin:2", utc(2026, 3, 4, 12))


def test_next_post_after_review_looks_into_next_week_across_dst() -> None:
    week = date(2026, 3, 23)
    done = {(week, "kickoff"), (week, "checkin:2"), (week, "review")}
    nxt = next_post(DEFAULT, LONDON, utc(2026, 3, 27, 18), done)
    assert nxt is not None
    assert (nxt.week_start, nxt.key, nxt.at) == (date(2026, 3, 30), "kickoff", utc(2026, 3, 30, 8))


def test_next_post_after_missed_week_is_next_kickoff() -> None:
    nxt = next_post(DEFAULT, LONDON, utc(2026, 3, 9, 8), set())
    assert nxt is not None and (nxt.key, nxt.at) == ("kickoff", utc(2026, 3, 9, 9))


# --- properties ----------------------------------------------------------------------------------

ZONES = st.sampled_from([LONDON, NEW_YORK, SYDNEY, KOLKATA, ZoneInfo("UTC")])
INSTANTS = st.integers(0, 366 * 24 * 3600).map(lambda s: utc(2026, 1, 1) + timedelta(seconds=s))


@given(zone=ZONES, now=INSTANTS)
def test_posts_keep_their_local_wall_time_and_week(zone: ZoneInfo, now: datetime) -> None:
    week = week_start(now.astimezone(zone).date())
    posts = posts_for_week(DEFAULT, week, zone)
    assert [p.at for p in posts] == sorted(p.at for p in posts)
    for post in posts:
        local = post.at.astimezone(zone)
        assert week_start(local.date()) == week
        assert local.time() in (time(9, 0), time(12, 0), time(17, 0))


@given(zone=ZONES, now=INSTANTS)
def test_due_posts_are_past_and_next_post_is_due_or_future(zone: ZoneInfo, now: datetime) -> None:
    due = due_posts(DEFAULT, zone, now, set())
    assert all(p.at <= now for p in due)
    done = {p.done_key for p in due}
    assert due_posts(DEFAULT, zone, now, done) == []
    nxt = next_post(DEFAULT, zone, now, done)
    assert nxt is not None and nxt.at > now
    assert nxt.at - now <= timedelta(days=8)
