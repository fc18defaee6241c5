"""StatsService on the real database: my figures, server figures, the opt-in leaderboard."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from bot.domain.errors import NotFound, PermissionDenied, ValidationError
from bot.render.charts import MEMBER_CHART_SIZE, SERVER_CHART_SIZE
from bot.services.focus import focus_minutes
from bot.services.stats.types import Metric, Period
from db.engine import Database
from db.models import SessionAttendance, SessionOccurrence, SessionSeries
from tests.services.stats_world import (
    CHANNEL,
    GUILD,
    HOST,
    ME,
    OTHER,
    T0,
    World,
    make_world,
    play_history,
)


@pytest.fixture
async def world(database: Database) -> World:
    w = make_world(database)
    await play_history(w)
    return w


async def test_my_stats_count_focus_sprints_goals_and_streaks(world: World) -> None:
    stats = await world.services.stats.member_stats(GUILD, ME)
    # Three days, one sprint a day of 2 × 25 min work with me in it from the start.
    assert stats.focus_all == 150 and stats.focus_week == 150 and stats.focus_month == 150
    assert stats.sprints_joined == 3
    assert (stats.goals_set, stats.goals_done) == (3, 2)
    assert stats.share_done == pytest.approx(2 / 3)
    assert stats.day_streak.current == 3 and stats.day_streak.best == 3
    assert stats.week_streak.current == 1
    assert stats.zone == "Europe/Paris"
    assert dict(stats.daily_focus)[date(2031, 3, 4)] == 50
    assert len(stats.daily_focus) == 28 and len(stats.weekly_goals) == 8


async def test_streaks_follow_my_own_zone(world: World) -> None:
    # OTHER lives in Tokyo (UTC+9): 09:00 UTC sprints fall on the same local days there too,
    # but "today" moves: at 16:00 UTC on day 3 it is already day 4 in Tokyo.
    world.clock.set(T0 + timedelta(days=3, hours=16))
    stats = await world.services.stats.member_stats(GUILD, OTHER)
    assert stats.today == date(2031, 3, 7)
    assert stats.day_streak.current == 0  # no sprint yesterday (Tokyo) nor today
    assert stats.day_streak.best == 3


async def test_my_report_has_a_png_chart_of_the_documented_size(world: World) -> None:
    report = await world.services.stats.member_report(GUILD, ME)
    image = Image.open(io.BytesIO(report.chart_png))
    assert image.format == "PNG" and image.size == MEMBER_CHART_SIZE


async def test_the_chart_worker_process_gives_the_same_report_as_a_thread(
    database: Database,
) -> None:
    w = make_world(database, chart_process=True)
    await play_history(w, days=2)
    try:
        in_process = await w.services.stats.member_report(GUILD, ME)
        assert w.services.stats.worker._pool is not None  # a worker process did the work
        w.services.stats.worker.use_process = False
        in_thread = await w.services.stats.member_report(GUILD, ME)
    finally:
        await w.services.aclose()
    assert in_process.stats == in_thread.stats
    assert Image.open(io.BytesIO(in_process.chart_png)).size == MEMBER_CHART_SIZE


async def test_a_member_who_never_took_part_gets_a_clear_answer(world: World) -> None:
    with pytest.raises(NotFound, match="haven't joined a sprint"):
        await world.services.stats.member_stats(GUILD, 123_456_789_012_345_678)


async def test_server_stats_are_for_managers(world: World) -> None:
    with pytest.raises(PermissionDenied, match="managers"):
        await world.services.stats.server_report(GUILD, manage_guild=False)


async def test_server_stats_count_weeks_and_busy_hours(world: World) -> None:
    report = await world.services.stats.server_report(GUILD, manage_guild=True)
    stats = report.stats
    assert stats.weeks[-1] == date(2031, 3, 3)
    assert stats.active_members[-1] == 2 and stats.sprints[-1] == 3
    assert stats.focus_hours[-1] == 5.0  # 2 members × 150 min
    assert sum(stats.busiest.values()) == pytest.approx(300)
    assert set(stats.busiest) <= {(d, h) for d in range(3) for h in (9, 10)}  # UTC server
    assert Image.open(io.BytesIO(report.chart_png)).size == SERVER_CHART_SIZE


async def test_leaderboard_shows_only_members_who_opted_in(world: World) -> None:
    board = await world.services.stats.leaderboard(GUILD, ME, "focus", "week")
    assert {r.user_id for r in board.window.top} == {ME, OTHER}
    assert HOST not in {r.user_id for r in board.window.top}
    assert board.metric is Metric.FOCUS and board.period is Period.WEEK
    assert {r.value for r in board.window.top} == {150}


async def test_opting_out_removes_me_at_once(world: World) -> None:
    assert await world.services.stats.leave_leaderboard(GUILD, ME) is True
    board = await world.services.stats.leaderboard(GUILD, OTHER, "goals", "month")
    assert [r.user_id for r in board.window.top] == [OTHER]
    assert board.window.top[0].value == 3
    assert await world.services.stats.leave_leaderboard(GUILD, ME) is False


async def test_a_leaderboard_nobody_joined_says_so(database: Database) -> None:
    w = make_world(database)
    with pytest.raises(NotFound, match="only shows members who opt in"):
        await w.services.stats.leaderboard(GUILD, ME)


async def test_an_unknown_period_or_metric_is_named(world: World) -> None:
    with pytest.raises(ValidationError, match="“year” is not a period"):
        await world.services.stats.leaderboard(GUILD, ME, "focus", "year")
    with pytest.raises(ValidationError, match="choose focus or goals"):
        await world.services.stats.leaderboard(GUILD, ME, "karma", "week")


async def test_my_focus_totals_agree_with_the_one_focus_loader(world: World) -> None:
    """/stats me cuts focus into local days; its totals are the loader's (bot/services/focus)."""
    world.clock.set(T0 + timedelta(days=3))
    stats = await world.services.stats.member_stats(GUILD, OTHER)
    async with world.db.transaction() as session:
        everything = await focus_minutes(session, guild_id=GUILD, until=world.clock.now())
    assert stats.focus_all == everything[OTHER] == 150
    board = await world.services.stats.leaderboard(GUILD, OTHER, "focus", "month")
    assert {r.user_id: r.value for r in board.window.top} == {ME: 150, OTHER: 150}


def _came(occurrence_id: int, user_id: int, said: str | None, came: bool) -> SessionAttendance:
    return SessionAttendance(
        occurrence_id=occurrence_id, user_id=user_id, said=said, showed_up=came
    )


async def _attendance(world: World) -> None:
    """Two series: Writing club held twice (ME Going both times, came once; OTHER came without
    an RSVP once), Reading hour held once (OTHER Going, came); an upcoming occurrence counts not."""
    async with world.db.transaction() as s:
        writing, reading = (
            SessionSeries(
                guild_id=GUILD,
                channel_id=CHANNEL,
                creator_id=HOST,
                title=title,
                first_local=datetime(2031, 3, 3, 9, 0),
                zone="Europe/Paris",
            )
            for title in ("Writing club", "Reading hour")
        )
        s.add_all([writing, reading])
        await s.flush()
        held = []
        for series, day in ((writing, 0), (writing, 1), (reading, 2), (writing, 3)):
            at = T0 + timedelta(days=day)
            occ = SessionOccurrence(
                series_id=series.id,
                scheduled_at=at,
                starts_at=at,
                status="started" if day < 3 else "upcoming",
                started_at=at if day < 3 else None,
            )
            s.add(occ)
            held.append(occ)
        await s.flush()
        w1, w2, r1, _upcoming = held
        s.add_all(
            [
                SessionAttendance(occurrence_id=w1.id, user_id=ME, said="going", showed_up=True),
                SessionAttendance(occurrence_id=w1.id, user_id=OTHER, said=None, showed_up=True),
                SessionAttendance(occurrence_id=w2.id, user_id=ME, said="going", showed_up=False),
                SessionAttendance(
                    occurrence_id=w2.id, user_id=OTHER, said="maybe", showed_up=False
                ),
                SessionAttendance(occurrence_id=r1.id, user_id=OTHER, said="going", showed_up=True),
            ]
        )


async def test_my_stats_show_how_often_i_showed_up_to_sessions_i_said_going_to(
    world: World,
) -> None:
    await _attendance(world)
    mine = await world.services.stats.member_stats(GUILD, ME)
    assert (mine.sessions_going, mine.sessions_came) == (2, 1)
    other = await world.services.stats.member_stats(GUILD, OTHER)
    assert (other.sessions_going, other.sessions_came) == (1, 1)  # came without an RSVP: not Going


async def test_server_stats_show_the_attendance_of_each_series(world: World) -> None:
    await _attendance(world)
    report = await world.services.stats.server_report(GUILD, manage_guild=True)
    by_title = {a.title: a for a in report.stats.series}
    writing, reading = by_title["Writing club"], by_title["Reading hour"]
    assert (writing.held, writing.going, writing.going_came, writing.attendees) == (2, 2, 1, 2)
    assert writing.show_up == pytest.approx(0.5)
    assert (reading.held, reading.going, reading.going_came, reading.attendees) == (1, 1, 1, 1)
    assert [a.title for a in report.stats.series] == ["Writing club", "Reading hour"]


async def test_no_sessions_no_session_figures(world: World) -> None:
    mine = await world.services.stats.member_stats(GUILD, ME)
    assert (mine.sessions_going, mine.sessions_came) == (0, 0)
    report = await world.services.stats.server_report(GUILD, manage_guild=True)
    assert report.stats.series == ()
