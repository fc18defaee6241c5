"""The CPU side of stats: rows → figures → chart, run in the chart worker (another process).

Focus here is cut into local days and hours, so it is computed from the spans with the same rule
as the one loader of focus minutes (``bot/services/focus.py``: ``focus_seconds`` × the sprint's
speed / 60, see ``bot.domain.stats``); a test checks that the totals agree with that loader.

Everything here is importable without a database or Discord and takes plain, picklable values,
so :class:`~bot.services.stats.worker.ChartWorker` can run it in a worker process: neither the
arithmetic over a year of history nor matplotlib (whose C code holds the GIL for up to ~150 ms
per chart in a thread, measured) ever holds up the bot's event loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain import stats as figures
from bot.domain.sprint import Span
from bot.domain.stats import (
    MemberReport,
    MemberStats,
    ServerReport,
    ServerStats,
    SprintSpans,
)
from bot.domain.weeks import week_start

__all__ = [
    "CHART_DAYS",
    "CHART_WEEKS",
    "SERVER_WEEKS",
    "member_figures",
    "member_report",
    "server_figures",
    "server_report",
    "spans_by_user",
]

CHART_DAYS = 28
CHART_WEEKS = 8
SERVER_WEEKS = 8

PresenceRow = tuple[int, int, datetime, datetime | None, float]
WorkRow = tuple[int, datetime, datetime | None]


def spans_by_user(
    presence: Sequence[PresenceRow], work: Sequence[WorkRow]
) -> dict[int, list[SprintSpans]]:
    """Per member, one :class:`SprintSpans` per sprint they were in."""
    work_by: dict[int, list[Span]] = defaultdict(list)
    for sprint_id, start, end in work:
        work_by[sprint_id].append(Span(start, end))
    present: dict[tuple[int, int], list[Span]] = defaultdict(list)
    speeds: dict[int, float] = {}
    for user_id, sprint_id, start, end, speed in presence:
        present[(user_id, sprint_id)].append(Span(start, end))
        speeds[sprint_id] = speed or 1.0
    out: dict[int, list[SprintSpans]] = defaultdict(list)
    for (user_id, sprint_id), spans in present.items():
        out[user_id].append(SprintSpans(work_by.get(sprint_id, []), spans, speeds[sprint_id]))
    return dict(out)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def member_figures(
    user_id: int,
    zone: ZoneInfo,
    now: datetime,
    spans: Sequence[SprintSpans],
    sprints_joined: int,
    goals: tuple[int, int],
    done_at: Sequence[datetime],
) -> MemberStats:
    """Every figure of /stats me, dates in the member's zone."""
    today = now.astimezone(zone).date()
    daily = figures.focus_by_day(spans, zone, now)
    this_week, this_month = week_start(today), _month_start(today)
    done_days = [figures.local_date(d, zone) for d in done_at]
    per_week: dict[date, int] = defaultdict(int)
    for day in done_days:
        per_week[week_start(day)] += 1
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


def member_report(
    user_id: int,
    zone: ZoneInfo,
    now: datetime,
    presence: Sequence[PresenceRow],
    work: Sequence[WorkRow],
    sprints_joined: int,
    goals: tuple[int, int],
    done_at: Sequence[datetime],
) -> MemberReport:
    spans = spans_by_user(presence, work).get(user_id, [])
    stats = member_figures(user_id, zone, now, spans, sprints_joined, goals, done_at)
    from bot.render import charts  # here, not at the top: only the chart worker loads matplotlib

    png = charts.member_chart(
        charts.MemberChart(daily_focus=stats.daily_focus, weekly_goals=stats.weekly_goals)
    )
    return MemberReport(stats=stats, chart_png=png)


def server_figures(
    guild_id: int,
    zone: ZoneInfo,
    now: datetime,
    spans: dict[int, list[SprintSpans]],
    starts: Sequence[datetime],
) -> ServerStats:
    """The last weeks of a server in its zone: active members, sprints, focus, busiest hours."""
    today = now.astimezone(zone).date()
    weeks = figures.last_weeks(today, SERVER_WEEKS)
    active: dict[date, set[int]] = {w: set() for w in weeks}
    minutes: dict[date, float] = dict.fromkeys(weeks, 0.0)
    busiest: dict[tuple[int, int], float] = defaultdict(float)
    first = weeks[0]
    for user_id, sprints in spans.items():
        # Active: took part in a sprint that week (even one that ended before work began).
        for sprint in sprints:
            for span in sprint.presence:
                week = week_start(figures.local_date(span.start, zone))
                if week in active:
                    active[week].add(user_id)
        for week, value in figures.by_week(figures.focus_by_day(sprints, zone, now)).items():
            if week >= first:
                minutes[week] += value
        for slot, value in figures.focus_by_hour(sprints, zone, now).items():
            busiest[slot] += value
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
        busiest=dict(busiest),
        members_ever=len(spans),
    )


def server_report(
    guild_id: int,
    zone: ZoneInfo,
    now: datetime,
    presence: Sequence[PresenceRow],
    work: Sequence[WorkRow],
    starts: Sequence[datetime],
) -> ServerReport:
    stats = server_figures(guild_id, zone, now, spans_by_user(presence, work), starts)
    from bot.render import charts  # here, not at the top: only the chart worker loads matplotlib

    png = charts.server_chart(
        charts.ServerChart(
            weeks=stats.weeks,
            active_members=stats.active_members,
            sprints=stats.sprints,
            focus_hours=stats.focus_hours,
            busiest=stats.busiest,
            zone=stats.zone,
        )
    )
    return ServerReport(stats=stats, chart_png=png)
