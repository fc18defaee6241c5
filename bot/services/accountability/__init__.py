"""Weekly accountability: the week's thread, its posts on time, its summary and review.

``service.py`` has the use cases; ``posts.py`` the timer and the posts; ``stats.py`` the week's
figures; ``health.py`` delivery failures; ``config.py`` the schedule's options; ``queries.py`` the
SQL; ``messages.py`` what a post is; ``types.py`` what cogs get.
"""

from __future__ import annotations

from bot.services.accountability.config import (
    FORUM_PERMISSIONS,
    MAX_WEEK_GOALS,
    TEXT_PERMISSIONS,
    missing_permissions,
    timer_key,
)
from bot.services.accountability.service import AccountabilityService
from bot.services.accountability.types import (
    AddGoalsResult,
    CarryResult,
    ConfigView,
    WeekStarted,
)

__all__ = [
    "FORUM_PERMISSIONS",
    "MAX_WEEK_GOALS",
    "TEXT_PERMISSIONS",
    "AccountabilityService",
    "AddGoalsResult",
    "CarryResult",
    "ConfigView",
    "WeekStarted",
    "missing_permissions",
    "timer_key",
]
