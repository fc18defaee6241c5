"""Use cases for /stats and the opt-in leaderboard.

Figures come from stored spans and goals with the one definition of focus time in
``bot.domain.focus`` (cut at local days/hours by ``bot.domain.stats``). Reading happens in one
short transaction; the arithmetic and the chart run in a worker thread (``asyncio.to_thread``) so
the event loop is never held up by a year of history or by matplotlib.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import stats as figures
from bot.domain.errors import NotFound, PermissionDenied, ValidationError
from bot.domain.stats import SprintSpans
from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import local_to_utc, week_start
from bot.render import charts
from bot.services.context import ServiceContext
from bot.services.privacy.gate import refuse_untracked
from bot.services.stats import queries
from bot.services.stats.types import (
    LeaderboardView,
    MemberReport,
    MemberStats,
    Metric,
    Period,
    ServerReport,
    ServerStats,
)
from bot.services.timezones import guild_zone, member_zone
from db.models import GuildSettings, LeaderboardMember

__all__ = ["StatsService", "parse_metric", "parse_period"]

CHART_DAYS = 28
CHART_WEEKS = 8
SERVER_WEEKS = 8
NEVER_USED = (
    "You haven't joined a sprint or set a goal in this server yet, so there is nothing to show. "
    "Start with `/sprint start` or `/goal`."
)


def shown_input(value: str) -> str:
    """User input quoted back: one line, escaped, at most 40 characters."""
    return truncate(escape_markdown(" ".join(value.split())), 40)


def parse_period(value: str) -> Period:
    try:
        return Period(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"“{shown_input(value)}” is not a period I know: choose week or month."
        ) from None


def parse_metric(value: str) -> Metric:
    try:
        return Metric(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"“{shown_input(value)}” is not something I rank by: choose focus or goals."
        ) from None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def period_bounds(period: Period, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, now) of the current week or month in ``zone``."""
    today = now.astimezone(zone).date()
    first = week_start(today) if period is Period.WEEK else _month_start(today)
    return local_to_utc(first, datetime.min.time(), zone), now


def member_figures(
    user_id: int,
    zone: ZoneInfo,
    now: datetime,
    spans: Sequence[SprintSpans],
    sprints_joined: int,
    goals: tuple[int, int],
    done_at: Sequence[datetime],
) -> MemberStats:
    """Every figure of /stats me from loaded rows (pure; runs in a worker thread)."""
    today = now.astimezone(zone).date()
    daily = figures.focus_by_day(spans, zone, now)
    this_week, this_month = week_start(today), _month_start(today)
    done_days = [figures.local_date(d, zone) for d in done_at]
    per_week: dict[date, int] = {}
    for day in done_days:
        per_week[week_start(day)] = per_week.get(week_start(day), 0) + 1
    goals_set, goals_done = goals
    return MemberStats(
        user_id=user_id,
        zone=zone.key,
        today=today,
        focus_week=round(sum(m for d, m in daily.items() if d >= this_week)),
        focus_month=round(sum(m for d, m in daily.items() if d >= this_month)),
        focus_all=round(sum(daily.values())),
        sprints_joined=sprints_joined,
        goals_set=goals_set,
        goals_done=goals_done,
        share_done=figures.share_done(goals_done, goals_set),
        day_streak=figures.day_streak(figures.days_with_focus(daily), today),
        week_streak=figures.week_streak(done_days, today),
        daily_focus=tuple(
            (d, round(daily.get(d, 0.0))) for d in figures.last_days(today, CHART_DAYS)
        ),
        weekly_goals=tuple((w, per_week.get(w, 0)) for w in figures.last_weeks(today, CHART_WEEKS)),
    )


def server_figures(
    guild_id: int,
    zone: ZoneInfo,
    now: datetime,
    spans: dict[int, list[SprintSpans]],
    starts: Sequence[datetime],
) -> ServerStats:
    today = now.astimezone(zone).date()
    weeks = figures.last_weeks(today, SERVER_WEEKS)
    active: dict[date, set[int]] = {w: set() for w in weeks}
    minutes: dict[date, float] = dict.fromkeys(weeks, 0.0)
    busiest: dict[tuple[int, int], float] = {}
    first = weeks[0]
    for user_id, sprints in spans.items():
        for week, value in figures.by_week(figures.focus_by_day(sprints, zone, now)).items():
            if week >= first and value > 0:
                active[week].add(user_id)
                minutes[week] += value
        for slot, value in figures.focus_by_hour(sprints, zone, now).items():
            busiest[slot] = busiest.get(slot, 0.0) + value
    sprint_weeks: dict[date, int] = dict.fromkeys(weeks, 0)
    for start in starts:
        week = week_start(figures.local_date(start, zone))
        if week in sprint_weeks:
            sprint_weeks[week] += 1
    return ServerStats(
        guild_id=guild_id,
        zone=zone.key,
        weeks=tuple(weeks),
        active_members=tuple(len(active[w]) for w in weeks),
        sprints=tuple(sprint_weeks[w] for w in weeks),
        focus_hours=tuple(round(minutes[w] / 60, 1) for w in weeks),
        busiest=busiest,
        members_ever=len(spans),
    )


def _member_chart(stats: MemberStats) -> bytes:
    return charts.member_chart(
        charts.MemberChart(daily_focus=stats.daily_focus, weekly_goals=stats.weekly_goals)
    )


def _server_chart(stats: ServerStats) -> bytes:
    return charts.server_chart(
        charts.ServerChart(
            weeks=stats.weeks,
            active_members=stats.active_members,
            sprints=stats.sprints,
            focus_hours=stats.focus_hours,
            busiest=stats.busiest,
            zone=stats.zone,
        )
    )


class StatsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def _member_zone(self, session: AsyncSession, user_id: int, guild_id: int) -> ZoneInfo:
        return await member_zone(session, user_id) or await guild_zone(session, guild_id)

    async def member_stats(self, guild_id: int, user_id: int) -> MemberStats:
        """The member's figures in this server (NotFound when they never took part here)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            zone = await self._member_zone(session, user_id, guild_id)
            joined = await queries.sprints_joined(session, guild_id, user_id)
            goals = await queries.goal_counts(session, guild_id, user_id)
            if joined == 0 and goals[0] == 0:
                raise NotFound(NEVER_USED)
            spans = await queries.member_focus_spans(session, guild_id, user_id)
            done_at = await queries.goals_done_at(session, guild_id, user_id)
        return await asyncio.to_thread(
            member_figures, user_id, zone, now, spans, joined, goals, done_at
        )

    async def member_report(self, guild_id: int, user_id: int) -> MemberReport:
        """/stats me: the figures and their chart (drawn off the event loop)."""
        stats = await self.member_stats(guild_id, user_id)
        png = await asyncio.to_thread(_member_chart, stats)
        return MemberReport(stats=stats, chart_png=png)

    async def _is_manager(
        self, session: AsyncSession, guild_id: int, manage_guild: bool, role_ids: frozenset[int]
    ) -> bool:
        if manage_guild:
            return True
        row = await session.get(GuildSettings, guild_id)
        return (
            row is not None and row.manager_role_id is not None and row.manager_role_id in role_ids
        )

    async def server_report(
        self, guild_id: int, *, manage_guild: bool, role_ids: frozenset[int] = frozenset()
    ) -> ServerReport:
        """/stats server (managers): the last weeks in the server's zone, and a chart."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            if not await self._is_manager(session, guild_id, manage_guild, role_ids):
                raise PermissionDenied(
                    "Server stats are for managers (Manage Server permission or the server's "
                    "manager role). Your own figures are in `/stats me`."
                )
            zone = await guild_zone(session, guild_id)
            first = figures.last_weeks(now.astimezone(zone).date(), SERVER_WEEKS)[0]
            since = local_to_utc(first, datetime.min.time(), zone)
            spans = await queries.guild_focus_spans(session, guild_id, since)
            starts = await queries.sprint_starts(session, guild_id, since)
        stats = await asyncio.to_thread(server_figures, guild_id, zone, now, spans, starts)
        png = await asyncio.to_thread(_server_chart, stats)
        return ServerReport(stats=stats, chart_png=png)

    # -- leaderboard ---------------------------------------------------------------------------

    async def join_leaderboard(self, guild_id: int, user_id: int) -> bool:
        """Opt in; False when already on it."""
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)
            if await queries.is_on_leaderboard(session, guild_id, user_id):
                return False
            session.add(
                LeaderboardMember(
                    guild_id=guild_id, user_id=user_id, joined_at=self.ctx.clock.now()
                )
            )
        return True

    async def leave_leaderboard(self, guild_id: int, user_id: int) -> bool:
        """Opt out, at once; False when not on it."""
        async with self.ctx.db.transaction() as session:
            row = await session.get(LeaderboardMember, (guild_id, user_id))
            if row is None:
                return False
            await session.delete(row)
        return True

    async def leaderboard(
        self, guild_id: int, viewer_id: int, metric: str = "focus", period: str = "week"
    ) -> LeaderboardView:
        """Opted-in members ranked by focus minutes or goals done this week or month."""
        chosen_metric, chosen_period = parse_metric(metric), parse_period(period)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            members = await queries.leaderboard_user_ids(session, guild_id)
            if not members:
                raise NotFound(
                    "Nobody has joined this server's leaderboard yet: it only shows members "
                    "who opt in. Join with `/leaderboard join`."
                )
            zone = await guild_zone(session, guild_id)
            lo, hi = period_bounds(chosen_period, now, zone)
            if chosen_metric is Metric.GOALS:
                values = await queries.goals_done_between(session, guild_id, members, lo, hi)
            else:
                spans = await queries.guild_focus_spans(session, guild_id, lo, members)
        if chosen_metric is Metric.FOCUS:
            values = await asyncio.to_thread(
                lambda: {
                    uid: round(figures.focus_between(spans.get(uid, []), lo, hi, now))
                    for uid in members
                }
            )
        ranked = {uid: values.get(uid, 0) for uid in members}
        return LeaderboardView(
            guild_id=guild_id,
            metric=chosen_metric,
            period=chosen_period,
            window=figures.leaderboard_window(ranked, viewer_id),
            viewer_opted_in=viewer_id in ranked,
        )
