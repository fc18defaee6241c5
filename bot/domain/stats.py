"""Pure figures for /stats: focus per local day or hour, streaks, shares and leaderboard windows.

Focus time has ONE definition, :func:`bot.domain.focus.focus_seconds` (time present while work ran);
this module only cuts a sprint's spans at local boundaries (days in a member's zone, hours in the
server's) and asks that function for each piece. No clock is read here: ``now`` is passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.focus import focus_seconds
from bot.domain.sprint import Span, require_aware
from bot.domain.weeks import local_to_utc, week_start

__all__ = [
    "AttendanceRow",
    "HourSlot",
    "LeaderboardView",
    "LeaderboardWindow",
    "MemberReport",
    "MemberStats",
    "Metric",
    "Period",
    "Ranked",
    "SeriesAttendance",
    "ServerReport",
    "ServerStats",
    "SprintSpans",
    "Streak",
    "by_week",
    "day_streak",
    "days_with_focus",
    "focus_between",
    "focus_by_day",
    "focus_by_hour",
    "last_days",
    "last_weeks",
    "leaderboard_window",
    "local_date",
    "series_attendance",
    "share_done",
    "show_ups",
    "week_streak",
]

HourSlot = tuple[int, int]  # (weekday 0=Monday, hour 0-23) in a zone
_Key = TypeVar("_Key", bound=Hashable)  # a bucket of focus minutes: a day or an HourSlot


@dataclass(frozen=True)
class SprintSpans:
    """One sprint's work spans and one member's presence spans in it (real time)."""

    work: Sequence[Span]
    presence: Sequence[Span]
    speed: float = 1.0


@dataclass(frozen=True)
class Streak:
    current: int
    best: int


@dataclass(frozen=True)
class Ranked:
    rank: int
    user_id: int
    value: int


@dataclass(frozen=True)
class LeaderboardWindow:
    """The top of a ranking and, when the viewer is further down, the rows around them."""

    top: list[Ranked]
    around: list[Ranked] = field(default_factory=list)
    me: Ranked | None = None
    total: int = 0


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    require_aware(moment, "moment")
    return moment.astimezone(zone).date()


def _bounds(spans: Iterable[Span], now: datetime) -> tuple[datetime, datetime] | None:
    starts: list[datetime] = []
    ends: list[datetime] = []
    for span in spans:
        starts.append(span.start)
        ends.append(span.end if span.end is not None else now)
    if not starts:
        return None
    return min(starts), max(ends)


def _clip(spans: Sequence[Span], lo: datetime, hi: datetime, now: datetime) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        end = span.end if span.end is not None else now
        start, stop = max(span.start, lo), min(end, hi)
        if stop > start:
            out.append(Span(start, stop))
    return out


def _day_edges(
    lo: datetime, hi: datetime, zone: ZoneInfo
) -> Iterator[tuple[date, datetime, datetime]]:
    """(local day, its UTC start, its UTC end) for every local day touching [lo, hi)."""
    day = lo.astimezone(zone).date()
    last = hi.astimezone(zone).date()
    while day <= last:
        start = local_to_utc(day, time(0), zone)
        end = local_to_utc(day + timedelta(days=1), time(0), zone)
        yield day, start, end
        day += timedelta(days=1)


def _hour_edges(
    lo: datetime, hi: datetime, zone: ZoneInfo
) -> Iterator[tuple[HourSlot, datetime, datetime]]:
    """((weekday, hour) in ``zone``, UTC start, UTC end) for every local hour touching [lo, hi)."""
    local = lo.astimezone(zone)
    edge = (
        local
        - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    ).astimezone(UTC)
    while edge < hi:
        nxt = edge + timedelta(hours=1)
        wall = edge.astimezone(zone)
        yield (wall.weekday(), wall.hour), edge, nxt
        edge = nxt


def _focus_by(
    sprints: Iterable[SprintSpans],
    now: datetime,
    edges: Callable[[datetime, datetime], Iterator[tuple[_Key, datetime, datetime]]],
) -> dict[_Key, float]:
    """Focus minutes per bucket: each sprint's spans cut at the ``(key, lo, hi)`` edges given.

    Minutes are ``focus_seconds × speed / 60``: real minutes at speed 1, plan minutes in a demo.
    """
    require_aware(now)
    out: dict[_Key, float] = defaultdict(float)
    for sprint in sprints:
        bounds = _bounds([*sprint.work, *sprint.presence], now)
        if bounds is None:
            continue
        for key, lo, hi in edges(bounds[0], bounds[1]):
            seconds = focus_seconds(
                _clip(sprint.work, lo, hi, now), _clip(sprint.presence, lo, hi, now), now
            )
            if seconds > 0:
                out[key] += seconds * sprint.speed / 60
    return dict(out)


def focus_by_day(
    sprints: Iterable[SprintSpans], zone: ZoneInfo, now: datetime
) -> dict[date, float]:
    """Focus minutes per local day in ``zone`` (each sprint's spans cut at local midnights)."""
    return _focus_by(sprints, now, lambda lo, hi: _day_edges(lo, hi, zone))


def focus_by_hour(
    sprints: Iterable[SprintSpans], zone: ZoneInfo, now: datetime
) -> dict[HourSlot, float]:
    """Focus minutes per (weekday, hour) in ``zone``, summed over every sprint given."""
    return _focus_by(sprints, now, lambda lo, hi: _hour_edges(lo, hi, zone))


def days_with_focus(by_day: dict[date, float]) -> set[date]:
    return {day for day, minutes in by_day.items() if minutes > 0}


def _run_streak(marks: set[date], today: date, step: timedelta) -> Streak:
    """Current and best runs of consecutive periods (``step`` apart) found in ``marks``.

    The current run may end at ``today``'s period or the one before it (today is not over yet).
    """
    best = run = 0
    previous: date | None = None
    for mark in sorted(marks):
        run = run + 1 if previous is not None and mark - previous == step else 1
        best = max(best, run)
        previous = mark
    current = 0
    cursor = today if today in marks else today - step
    while cursor in marks:
        current += 1
        cursor -= step
    return Streak(current=current, best=best)


def day_streak(days: Iterable[date], today: date) -> Streak:
    """Consecutive local days with a sprint; today still counts as open (yesterday keeps it)."""
    return _run_streak({d for d in days if d <= today}, today, timedelta(days=1))


def week_streak(weeks_with_goal_done: Iterable[date], today: date) -> Streak:
    """Consecutive weeks (Monday starts) with at least one goal done; this week is still open."""
    marks = {week_start(d) for d in weeks_with_goal_done if d <= today}
    return _run_streak(marks, week_start(today), timedelta(days=7))


def share_done(done: int, total: int) -> float | None:
    """The share of goals done (0..1), or None when no goal was set."""
    if total <= 0:
        return None
    return done / total


AttendanceRow = tuple[str | None, bool]  # (their RSVP at the start, showed up)


def show_ups(rows: Iterable[AttendanceRow]) -> tuple[int, int]:
    """(occurrences said Going to, of those showed up at) from a member's attendance rows."""
    going = came = 0
    for said, showed_up in rows:
        if said == "going":
            going += 1
            came += showed_up
    return going, came


def series_attendance(
    held: Iterable[tuple[int, int, str]],
    rows: Iterable[tuple[int, str | None, bool]],
) -> tuple[SeriesAttendance, ...]:
    """Per series: ``held`` is (occurrence, series, title) of every occurrence that started,
    ``rows`` the attendance (occurrence, RSVP at the start, showed up). Most attendees first."""
    series_of: dict[int, int] = {}
    titles: dict[int, str] = {}
    counts: dict[int, list[int]] = {}  # series -> [held, going, going_came, attendees]
    for occurrence_id, series_id, title in held:
        series_of[occurrence_id] = series_id
        titles.setdefault(series_id, title)
        counts.setdefault(series_id, [0, 0, 0, 0])[0] += 1
    for occurrence_id, said, showed_up in rows:
        if occurrence_id not in series_of:
            continue
        c = counts[series_of[occurrence_id]]
        if said == "going":
            c[1] += 1
            c[2] += showed_up
        c[3] += showed_up
    out = [SeriesAttendance(s, titles[s], *c) for s, c in counts.items()]
    return tuple(sorted(out, key=lambda a: (-a.attendees, a.title, a.series_id)))


def last_days(today: date, count: int) -> list[date]:
    """The ``count`` local days ending with ``today``, oldest first."""
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


def last_weeks(today: date, count: int) -> list[date]:
    """The Mondays of the ``count`` weeks ending with ``today``'s week, oldest first."""
    this = week_start(today)
    return [this - timedelta(days=7 * (count - 1 - i)) for i in range(count)]


def leaderboard_window(
    values: dict[int, int], me: int | None, *, top: int = 5, around: int = 2
) -> LeaderboardWindow:
    """Rank members by value (ties share a rank, then by id for a stable order).

    ``top`` rows from the top; if ``me`` is ranked below them, ``around`` rows either side of me.
    Members with a value of 0 are still ranked (they opted in; zero is a figure too).
    """
    order = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    ranked: list[Ranked] = []
    rank = 0
    previous: int | None = None
    for index, (user_id, value) in enumerate(order):
        if value != previous:
            rank = index + 1
            previous = value
        ranked.append(Ranked(rank=rank, user_id=user_id, value=value))
    mine = next((r for r in ranked if r.user_id == me), None)
    head = ranked[:top]
    near: list[Ranked] = []
    if mine is not None:
        position = ranked.index(mine)
        if position >= top:
            near = ranked[max(top, position - around) : position + around + 1]
    return LeaderboardWindow(top=head, around=near, me=mine, total=len(ranked))


def focus_between(
    sprints: Iterable[SprintSpans], lo: datetime, hi: datetime, now: datetime
) -> float:
    """Focus minutes within [lo, hi) over the sprints given (same definition as above)."""
    require_aware(now)
    total = 0.0
    for sprint in sprints:
        seconds = focus_seconds(
            _clip(sprint.work, lo, hi, now), _clip(sprint.presence, lo, hi, now), now
        )
        total += seconds * sprint.speed / 60
    return total


def by_week(values: dict[date, float]) -> dict[date, float]:
    """Daily figures summed per week (keyed by the week's Monday)."""
    out: dict[date, float] = defaultdict(float)
    for day, value in values.items():
        out[week_start(day)] += value
    return dict(out)


# -- view types (what the stats service hands to render and cogs) ----------------------------


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Metric(StrEnum):
    FOCUS = "focus"
    GOALS = "goals"


@dataclass(frozen=True)
class MemberStats:
    """One member's figures in one server, dates in the member's own zone."""

    user_id: int
    zone: str
    today: date
    focus_week: int
    focus_month: int
    focus_all: int
    sprints_joined: int
    goals_set: int
    goals_done: int
    share_done: float | None
    day_streak: Streak
    week_streak: Streak
    # Standing sessions (attendance recorded at each occurrence's start): occurrences the member
    # said Going to, and how many of those they showed up at.
    sessions_going: int = 0
    sessions_came: int = 0
    # The chart: focus minutes per day (last 28 days) and goals done per week (last 8 weeks).
    daily_focus: tuple[tuple[date, int], ...] = ()
    weekly_goals: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class MemberReport:
    stats: MemberStats
    chart_png: bytes
    chart_name: str = "my-stats.png"


@dataclass(frozen=True)
class SeriesAttendance:
    """One standing-session series over the server report's weeks."""

    series_id: int
    title: str
    held: int  # occurrences that started
    going: int  # Going RSVPs at those starts
    going_came: int  # of them, showed up
    attendees: int  # everyone who showed up, Going or not

    @property
    def show_up(self) -> float | None:
        return share_done(self.going_came, self.going)


@dataclass(frozen=True)
class ServerStats:
    """A server's last weeks, weeks and hours in the server's zone."""

    guild_id: int
    zone: str
    weeks: tuple[date, ...]
    active_members: tuple[int, ...]
    sprints: tuple[int, ...]
    focus_hours: tuple[float, ...]
    busiest: dict[HourSlot, float] = field(default_factory=dict)  # focus minutes per slot
    members_ever: int = 0
    series: tuple[SeriesAttendance, ...] = ()  # most attended first


@dataclass(frozen=True)
class ServerReport:
    stats: ServerStats
    chart_png: bytes
    chart_name: str = "server-stats.png"


@dataclass(frozen=True)
class LeaderboardView:
    guild_id: int
    metric: Metric
    period: Period
    window: LeaderboardWindow
    viewer_opted_in: bool
