"""What the availability service hands to cogs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.availability import Interval, Window
from bot.views.when import MemberTime, WhenView

__all__ = ["AvailabilityView", "MemberTime", "WhenView"]


@dataclass(frozen=True)
class AvailabilityView:
    zone: str
    zone_source: str  # "given" | "stored" | "personal" | "server"
    windows: tuple[Window, ...]
    text: str  # the windows as the member reads them, e.g. "Weekdays 08:00–12:00"
    local_now: datetime  # the member's wall clock now
    upcoming: tuple[Interval, ...]  # the next few available stretches, real time
    weekly_minutes: int  # available minutes in the coming week
