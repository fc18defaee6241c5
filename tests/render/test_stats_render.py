"""/stats embeds: the standing-session lines (show-up rate, each series' attendance)."""

from __future__ import annotations

from datetime import date

from bot.domain.stats import MemberStats, SeriesAttendance, ServerStats, Streak
from bot.render.stats import SERIES_SHOWN, member_embed, server_embed


def _me(going: int = 0, came: int = 0) -> MemberStats:
    return MemberStats(
        user_id=1,
        zone="Europe/London",
        today=date(2031, 3, 5),
        focus_week=50,
        focus_month=50,
        focus_all=50,
        sprints_joined=2,
        goals_set=1,
        goals_done=1,
        share_done=1.0,
        day_streak=Streak(1, 1),
        week_streak=Streak(1, 1),
        sessions_going=going,
        sessions_came=came,
    )


def _server(series: tuple[SeriesAttendance, ...]) -> ServerStats:
    return ServerStats(
        guild_id=1,
        zone="Europe/London",
        weeks=(date(2031, 2, 24), date(2031, 3, 3)),
        active_members=(1, 2),
        sprints=(1, 2),
        focus_hours=(0.5, 1.0),
        series=series,
    )


def test_my_stats_show_the_show_up_rate_only_when_i_said_going_somewhere() -> None:
    assert "Sessions" not in member_embed(_me())["description"]
    text = member_embed(_me(going=4, came=3))["description"]
    assert "showed up to 3 of the 4 sessions you said Going to (75%)" in text


def test_server_stats_list_each_series_with_its_attendance_top_few() -> None:
    assert "Standing sessions" not in server_embed(_server(()))["description"]
    many = tuple(
        SeriesAttendance(i, f"*Series* {i}", held=2, going=4, going_came=3, attendees=5 - i % 5)
        for i in range(SERIES_SHOWN + 2)
    )
    text = server_embed(_server(many))["description"]
    assert "\\*Series\\* 0: 2 sessions, 5 attendances, 75% of Going showed up" in text
    assert "…and 2 more" in text
    assert text.count("• ") == SERIES_SHOWN
