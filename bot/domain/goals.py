"""Goal and check-in states (the strings stored in the database, as enums for the code)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LISTED_STATUSES", "CheckInStatus", "GoalStatus", "Scope"]


class GoalStatus(StrEnum):
    """A goal's state; the ``goals.status`` column stores these values."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class Scope(StrEnum):
    """Where a goal belongs: a sprint, or the server's accountability week."""

    SPRINT = "sprint"
    WEEK = "week"


class CheckInStatus(StrEnum):
    """A member's check-in for a break round; the ``checkins.status`` column stores these."""

    DONE = "done"
    PROGRESS = "progress"
    STUCK = "stuck"


# Goals that are shown and counted (a dropped goal is kept only for the record).
LISTED_STATUSES: tuple[GoalStatus, ...] = (GoalStatus.OPEN, GoalStatus.DONE)
