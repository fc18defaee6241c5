"""Goals: sprint goals and week goals (the owner of both), their lists, and carrying them over.

``service.py`` has the use cases, ``lookup.py`` what autocomplete and lists read, ``queries.py``
the SQL, ``messages.py`` what a change posts, ``types.py`` what cogs and render get.
"""

from __future__ import annotations

from bot.domain.goals import GoalStatus, Scope
from bot.services.goals.service import GoalService
from bot.services.goals.types import (
    MAX_OPEN_PER_SPRINT,
    MAX_OPEN_PER_WEEK,
    Actor,
    AddResult,
    CarryResult,
    ChooseGoal,
    DoneResult,
    GoalInfo,
    Rejected,
)

__all__ = [
    "MAX_OPEN_PER_SPRINT",
    "MAX_OPEN_PER_WEEK",
    "Actor",
    "AddResult",
    "CarryResult",
    "ChooseGoal",
    "DoneResult",
    "GoalInfo",
    "GoalService",
    "GoalStatus",
    "Rejected",
    "Scope",
]
