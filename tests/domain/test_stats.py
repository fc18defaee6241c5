"""Pure stats figures: focus per local day/hour, streaks, shares and leaderboard windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.focus import focus_seconds
from bot.domain.sprint import Span
from bot.domain.stats import (
    SprintSpans,
    day_streak,
    focus_between,
    focus_by_day,
    focus_by_hour,
    last_days,
    last_weeks,
    leaderboard_window,
    share_done,
    week_streak,
)

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=400)
PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


def sprint(start: datetime, minutes: int, *, joined: int = 0, speed: float = 1.0) -> SprintSpans:
    end = start + timedelta(minutes=minutes)
    return SprintSpans(
        work=[Span(start, end)],
        presence=[Span(start + timedelta(minutes=joined), end)],
        speed=speed,
    )


def test_a_sprint_over_local_midnight_is_split_between_the_two_local_days() -> None:
    # 23:30–00:30 in Tokyo (UTC+9) is 14:30–15:30 UTC: one day in UTC, two in Tokyo.
    start = datetime(2031, 3, 3, 14, 30, tzinfo=UTC)
    spans = [sprint(start, 60)]
    assert focus_by_day(spans, ZoneInfo("UTC"), NOW) == {date(2031, 3, 3): 60.0}
    assert focus_by_day(spans, TOKYO, NOW) == {date(2031, 3, 3): 30.0, date(2031, 3, 4): 30.0}


def test_focus_counts_only_time_present_while_work_ran() -> None:
    spans = [sprint(T0, 25, joined=10)]
    assert focus_by_day(spans, PARIS, NOW) == {date(2031, 3, 3): 15.0}


def test_speed_scales_minutes_like_the_debrief() -> None:
    assert focus_by_day([sprint(T0, 1, speed=25)], PARIS, NOW) == {date(2031, 3, 3): 25.0}


@settings(deadline=None, max_examples=60)  # no per-example deadline: the machine is shared
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=60 * 24 * 20), min_size=1, max_size=12),
    lengths=st.lists(st.integers(min_value=1, max_value=300), min_size=12, max_size=12),
    zone=st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"]),
)
def test_days_and_hours_add_up_to_the_one_focus_definition(
    offsets: list[int], lengths: list[int], zone: str
) -> None:
    spans = [sprint(T0 + timedelta(minutes=o), n) for o, n in zip(offsets, lengths, strict=False)]
    expected = sum(focus_seconds(s.work, s.presence, NOW) for s in spans) / 60
    by_day = focus_by_day(spans, ZoneInfo(zone), NOW)
    by_hour = focus_by_hour(spans, ZoneInfo(zone), NOW)
    assert abs(sum(by_day.values()) - expected) < 1e-6
    assert abs(sum(by_hour.values()) - expected) < 1e-6
    assert abs(focus_between(spans, T0 - timedelta(days=1), NOW, NOW) - expected) < 1e-6


def test_hours_are_bucketed_in_the_given_zone() -> None:
    # 09:00 UTC on a Monday is 10:00 in Paris (winter time).
    assert focus_by_hour([sprint(T0, 30)], PARIS, NOW) == {(0, 10): 30.0}


def test_day_streak_counts_back_from_today_or_yesterday() -> None:
    today = date(2031, 3, 10)
    days = {today - timedelta(days=i) for i in (1, 2, 3)} | {date(2031, 2, 1), date(2031, 2, 2)}
    assert day_streak(days, today).current == 3  # today not done yet: yesterday keeps it alive
    assert day_streak(days | {today}, today).current == 4
    assert day_streak({today - timedelta(days=2)}, today).current == 0
    assert day_streak(days, today).best == 3


def test_best_day_streak_is_the_longest_run_ever() -> None:
    run = {date(2031, 1, 1) + timedelta(days=i) for i in range(10)}
    assert day_streak(run | {date(2031, 3, 9)}, date(2031, 3, 10)).best == 10


def test_week_streak_counts_weeks_with_a_goal_done() -> None:
    today = date(2031, 3, 12)  # Wednesday
    done = [date(2031, 3, 4), date(2031, 2, 25), date(2031, 2, 26), date(2031, 2, 10)]
    streak = week_streak(done, today)
    assert streak.current == 2  # last week and the week before; this week is still open
    assert streak.best == 2
    assert week_streak([*done, today], today).current == 3


def test_share_done_is_none_without_goals() -> None:
    assert share_done(0, 0) is None
    assert share_done(3, 4) == 0.75


def test_last_days_and_weeks_end_today_oldest_first() -> None:
    today = date(2031, 3, 12)
    assert last_days(today, 3) == [date(2031, 3, 10), date(2031, 3, 11), today]
    assert last_weeks(today, 2) == [date(2031, 3, 3), date(2031, 3, 10)]


def test_leaderboard_shows_the_top_and_the_rows_around_me() -> None:
    values = {uid: 1000 - uid for uid in range(1, 21)}  # user 1 is first, 20 is last
    window = leaderboard_window(values, 12, top=3, around=1)
    assert [r.user_id for r in window.top] == [1, 2, 3]
    assert [r.user_id for r in window.around] == [11, 12, 13]
    assert window.me is not None and window.me.rank == 12
    assert window.total == 20


def test_leaderboard_ties_share_a_rank_and_a_viewer_in_the_top_gets_no_extra_rows() -> None:
    window = leaderboard_window({1: 50, 2: 50, 3: 10}, 2, top=5)
    assert [(r.rank, r.user_id) for r in window.top] == [(1, 1), (1, 2), (3, 3)]
    assert window.around == []


def test_leaderboard_without_me_has_no_me() -> None:
    window = leaderboard_window({1: 5}, 99)
    assert window.me is None and window.around == []
