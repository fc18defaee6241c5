"""The weekly schedule's configuration: permissions a channel needs, parsing the options of
``/accountability setup``, and the timer keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.weeks import (
    WeekSchedule,
    local_to_utc,
    parse_day,
    parse_days,
    parse_time,
    week_end,
)
from db.models import AccountabilityConfig

__all__ = [
    "FORUM_PERMISSIONS",
    "MAX_WEEK_GOALS",
    "RETRY_AFTER",
    "TEXT_PERMISSIONS",
    "and_join",
    "missing_permissions",
    "parse_schedule",
    "schedule_of",
    "summary_timer_key",
    "timer_key",
    "week_bounds",
]

MAX_WEEK_GOALS = 20  # per member per week
RETRY_AFTER = timedelta(minutes=1)

# (discord.Permissions attribute, the name a server admin sees in Discord's settings)
TEXT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)
FORUM_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)


def timer_key(guild_id: int) -> str:
    return f"accountability:{guild_id}"


def summary_timer_key(week_id: int) -> str:
    return f"accountability_summary:{week_id}"


def missing_permissions(is_forum: bool, granted: Collection[str]) -> list[str]:
    """Names of the permissions the bot lacks to run weekly threads in a channel of that kind."""
    needed = FORUM_PERMISSIONS if is_forum else TEXT_PERMISSIONS
    missing = [attr for attr, _ in needed if attr not in granted]
    if "send_messages" in missing:
        # Without Send Messages, Discord also withholds Embed Links: granting the first is enough.
        missing = [attr for attr in missing if attr != "embed_links"]
    labels = dict(needed)
    return [labels[attr] for attr in missing]


def and_join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def schedule_of(cfg: AccountabilityConfig) -> WeekSchedule:
    return WeekSchedule(
        kickoff_day=cfg.kickoff_day,
        kickoff_time=cfg.kickoff_time,
        checkin_days=tuple(int(d) for d in cfg.checkin_days),
        checkin_time=cfg.checkin_time,
        review_day=cfg.review_day,
        review_time=cfg.review_time,
    )


def week_bounds(week: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants the server-local week starting Monday ``week`` begins and ends."""
    return local_to_utc(week, time(0, 0), zone), week_end(week, zone)


def parse_schedule(
    day: str | None,
    time_: str | None,
    checkin_days: str | None,
    checkin_time: str | None,
    review_day: str | None,
    review_time: str | None,
) -> WeekSchedule:
    defaults = WeekSchedule()

    def parsed(label: str, value: str | None, parse: Any, default: Any) -> Any:
        if value is None or not value.strip():
            return default
        try:
            return parse(value)
        except ValidationError as err:
            raise ValidationError(f"{label}: {err}") from None

    return WeekSchedule(
        kickoff_day=parsed("Kickoff day", day, parse_day, defaults.kickoff_day),
        kickoff_time=parsed("Kickoff time", time_, parse_time, defaults.kickoff_time),
        checkin_days=parsed("Check-in days", checkin_days, parse_days, defaults.checkin_days),
        checkin_time=parsed("Check-in time", checkin_time, parse_time, defaults.checkin_time),
        review_day=parsed("Review day", review_day, parse_day, defaults.review_day),
        review_time=parsed("Review time", review_time, parse_time, defaults.review_time),
    )
