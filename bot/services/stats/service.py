"""Use cases for /stats and the opt-in leaderboard.

Figures come from stored spans and goals with the one definition of focus time in
``bot.domain.focus`` (cut at local days/hours by ``bot.domain.stats``). Rows are read in one short
transaction, in partitions so the loop gets turns; the arithmetic and the chart run in the chart
worker process (``worker.py``, ``compute.py``), so the event loop is never held up by a year of
history or by matplotlib.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import stats as figures
from bot.domain.errors import NotFound, PermissionDenied, ValidationError
from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import local_to_utc, week_start
from bot.services.context import ServiceContext
from bot.services.focus import focus_minutes
from bot.services.privacy.gate import refuse_untracked
from bot.services.stats import compute, queries
from bot.services.stats.types import (
    LeaderboardView,
    MemberReport,
    MemberStats,
    Metric,
    Period,
    ServerReport,
)
from bot.services.stats.worker import ChartWorker
from bot.services.timezones import guild_zone, member_zone
from db.models import GuildSettings, LeaderboardMember

__all__ = ["StatsService", "parse_metric", "parse_period"]

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


class StatsService:
    def __init__(self, ctx: ServiceContext, worker: ChartWorker | None = None) -> None:
        self.ctx = ctx
        self.worker = worker or ChartWorker()

    async def aclose(self) -> None:
        await self.worker.aclose()

    async def _member_zone(self, session: AsyncSession, user_id: int, guild_id: int) -> ZoneInfo:
        return await member_zone(session, user_id) or await guild_zone(session, guild_id)

    async def member_report(self, guild_id: int, user_id: int) -> MemberReport:
        """/stats me: the member's figures here and their chart (NotFound if never took part)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            zone = await self._member_zone(session, user_id, guild_id)
            joined = await queries.sprints_joined(session, guild_id, user_id)
            goals = await queries.goal_counts(session, guild_id, user_id)
            if joined == 0 and goals[0] == 0:
                raise NotFound(NEVER_USED)
            presence = await queries.member_presence_rows(session, guild_id, user_id)
            work = await queries.work_rows(session, (row[1] for row in presence))
            done_at = await queries.goals_done_at(session, guild_id, user_id)
            attendance = await queries.member_attendance(session, guild_id, user_id)
        report = await self.worker.run(
            compute.member_report, user_id, zone, now, presence, work, joined, goals, done_at
        )
        going, came = figures.show_ups(attendance)
        stats = replace(report.stats, sessions_going=going, sessions_came=came)
        return replace(report, stats=stats)

    async def member_stats(self, guild_id: int, user_id: int) -> MemberStats:
        """The figures of :meth:`member_report` (its chart is drawn as well)."""
        return (await self.member_report(guild_id, user_id)).stats

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
            first = figures.last_weeks(now.astimezone(zone).date(), compute.SERVER_WEEKS)[0]
            since = local_to_utc(first, datetime.min.time(), zone)
            presence = await queries.guild_presence_rows(session, guild_id, since)
            work = await queries.work_rows(session, {row[1] for row in presence})
            starts = await queries.sprint_starts(session, guild_id, since)
            held = await queries.occurrences_held(session, guild_id, since)
            attendance = await queries.attendance_of(session, (o for o, _s, _t in held))
        report = await self.worker.run(
            compute.server_report, guild_id, zone, now, presence, work, starts
        )
        series = figures.series_attendance(held, attendance)
        return replace(report, stats=replace(report.stats, series=series))

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
            else:  # the one loader of focus minutes (bot/services/focus.py)
                values = await focus_minutes(session, guild_id=guild_id, since=lo, until=hi)
        ranked = {uid: values.get(uid, 0) for uid in members}
        return LeaderboardView(
            guild_id=guild_id,
            metric=chosen_metric,
            period=chosen_period,
            window=figures.leaderboard_window(ranked, viewer_id),
            viewer_opted_in=viewer_id in ranked,
        )
