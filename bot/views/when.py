"""What ``/when`` shows (made by ``bot/services/availability``, drawn by ``bot/render/when``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["MemberTime", "WhenView"]


@dataclass(frozen=True)
class MemberTime:
    """What a moment is for one member named in ``/when``."""

    user_id: int
    zone: str
    zone_source: str  # "hours" (their /availability) | "personal" (/timezone me) | "server"
    local: datetime  # their wall clock then
    outside_hours: bool | None  # None: they set no hours here
    night: bool  # 22:00–07:00 for them


@dataclass(frozen=True)
class WhenView:
    """A time typed in the asker's zone, and what it is for each member named."""

    at: datetime  # aware UTC
    local: datetime  # as typed, in ``zone``
    zone: str
    zone_source: str  # "personal" | "server"
    members: tuple[MemberTime, ...]
