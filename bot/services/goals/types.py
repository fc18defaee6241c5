"""What the goals service hands to cogs and render: plain frozen dataclasses and typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.errors import UserError
from bot.domain.goals import GoalStatus, Scope
from bot.domain.weeks import week_label
from bot.services.actor import Actor
from db.models import Goal

__all__ = [
    "MAX_GOAL_LEN",
    "MAX_OPEN_PER_SPRINT",
    "MAX_OPEN_PER_WEEK",
    "Actor",
    "AddResult",
    "CarryResult",
    "ChooseGoal",
    "DoneResult",
    "GoalInfo",
    "GoalStatus",
    "Rejected",
    "Scope",
    "WeekAddResult",
    "WeekCarryResult",
    "week_goals_phrase",
]

MAX_OPEN_PER_SPRINT = 10
MAX_OPEN_PER_WEEK = 20
MAX_GOAL_LEN = 200


@dataclass(frozen=True)
class GoalInfo:
    id: int
    user_id: int
    text: str
    scope: str
    status: str
    sprint_id: int | None
    week_id: int | None
    carried_from_id: int | None
    created_at: datetime
    done_at: datetime | None
    where: str = ""  # "Sprint: title" / "Week of 3 Mar"
    channel_id: int | None = None  # the sprint's channel for sprint goals

    @classmethod
    def of(cls, goal: Goal, where: str = "", channel_id: int | None = None) -> GoalInfo:
        return cls(
            id=goal.id,
            user_id=goal.user_id,
            text=goal.text,
            scope=goal.scope,
            status=goal.status,
            sprint_id=goal.sprint_id,
            week_id=goal.week_id,
            carried_from_id=goal.carried_from_id,
            created_at=goal.created_at,
            done_at=goal.done_at,
            where=where,
            channel_id=channel_id,
        )


@dataclass(frozen=True)
class Rejected:
    line: int  # 1-based line of the input
    text: str  # as the member typed it, so nothing is lost
    reason: str


def week_goals_phrase(start: date) -> str:
    """``your goals for the week of 3 Mar``."""
    label = week_label(start)
    return f"your goals for the {label[:1].lower()}{label[1:]}"


@dataclass(frozen=True)
class AddResult:
    added: tuple[GoalInfo, ...]
    scope: Scope
    sprint_id: int | None = None
    sprint_title: str | None = None
    week_start: date | None = None
    rejected: tuple[Rejected, ...] = ()
    joined: bool = False  # the member was added to the sprint
    moved_to_week: bool = False  # asked for a sprint that had ended: saved to the week instead
    open_count: int = 0  # open goals in the target after adding
    limit: int = 0

    @property
    def where(self) -> str:
        if self.scope is Scope.SPRINT:
            return f"the sprint “{self.sprint_title}”" if self.sprint_title else "the sprint"
        return week_goals_phrase(self.week_start) if self.week_start else "your week goals"


@dataclass(frozen=True)
class DoneResult:
    goal: GoalInfo
    celebrated: bool
    done: int  # goals done in the same sprint/week by the owner
    total: int


@dataclass(frozen=True)
class CarryResult:
    carried: tuple[GoalInfo, ...]
    scope: Scope
    where: str
    already: tuple[GoalInfo, ...] = ()  # carried earlier (nothing duplicated)
    left_over: tuple[GoalInfo, ...] = ()  # did not fit under the open-goal limit


class ChooseGoal(UserError):
    """/done without a goal while several are open: the cog shows a select menu."""

    def __init__(self, goals: Sequence[GoalInfo], action: str = "done") -> None:
        super().__init__(f"You have {len(goals)} open goals. Which one?")
        self.goals = list(goals)
        self.action = action


@dataclass(frozen=True)
class WeekAddResult:
    """Goals added to a week from the week thread's form."""

    week_id: int
    week_start: date
    added: tuple[str, ...]
    duplicates: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (line as typed, why)
    over_limit: tuple[str, ...] = ()  # lines not stored because of MAX_OPEN_PER_WEEK


@dataclass(frozen=True)
class WeekCarryResult:
    next_week: date
    carried: tuple[str, ...]
    already: tuple[str, ...]
