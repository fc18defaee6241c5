"""What the accountability service hands to cogs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.weeks import ScheduledPost, WeekSchedule
from bot.services.goals.types import WeekAddResult, WeekCarryResult

__all__ = ["AddGoalsResult", "CarryResult", "ConfigView", "WeekStarted"]

# Week goals belong to the goals service; the thread's forms answer with its results.
AddGoalsResult = WeekAddResult
CarryResult = WeekCarryResult


@dataclass(frozen=True)
class ConfigView:
    guild_id: int
    channel_id: int
    is_forum: bool
    schedule: WeekSchedule
    zone: str
    role_id: int | None
    archive_after_review: bool
    enabled: bool
    disabled_reason: str | None
    next_posts: tuple[ScheduledPost, ...]
    this_week: date
    this_week_thread_id: int | None
    this_week_started: bool
    kickoff_missed: bool  # this week's kickoff time passed before setup: offer post-now
    problems: tuple[str, ...] = ()
    # Pods channels whose pods run the weekly cycle in their own threads (from the next kickoff).
    pods_channel_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class WeekStarted:
    week_id: int
    week_start: date
    label: str
