"""What the stats service hands to render and cogs (plain, frozen data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.domain.stats import HourSlot, LeaderboardWindow, Streak

__all__ = [
    "LeaderboardView",
    "MemberReport",
    "MemberStats",
    "Metric",
    "Period",
    "ServerReport",
    "ServerStats",
]


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
    # The chart: focus minutes per day (last 28 days) and goals done per week (last 8 weeks).
    daily_focus: tuple[tuple[date, int], ...] = ()
    weekly_goals: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class MemberReport:
    stats: MemberStats
    chart_png: bytes
    chart_name: str = "my-stats.png"


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
