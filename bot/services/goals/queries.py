"""Named queries of the goals area: each function says what it returns. No use-case logic here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.goals import LISTED_STATUSES, GoalStatus, Scope
from db.models import AccountabilityWeek, Goal, Sprint
from db.repositories import ACTIVE_STATUSES

__all__ = [
    "GoalRow",
    "carried_copies",
    "count_carried_copies",
    "current_open_goals",
    "goal_for_update",
    "goals_counting_toward_limit",
    "ids_carried_from",
    "latest_sprint_in_channel",
    "member_listed_week_goals_for_update",
    "member_open_week_goals",
    "member_sprint_goals",
    "member_week_goals",
    "open_sprint_goal_ids",
    "open_sprint_goals_for_update",
    "recent_goals_with_status",
    "sprint_for_update",
    "sprint_goal_counts",
    "status_counts_beside",
    "week_for_update",
]

# A goal with the sprint or week it belongs to (either may be None).
GoalRow = tuple[Goal, Sprint | None, AccountabilityWeek | None]


async def sprint_for_update(session: AsyncSession, sprint_id: int) -> Sprint | None:
    """The sprint row, locked for the rest of the transaction."""
    stmt = select(Sprint).where(Sprint.id == sprint_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def week_for_update(session: AsyncSession, week_id: int) -> AccountabilityWeek:
    """The week row, locked for the rest of the transaction."""
    stmt = select(AccountabilityWeek).where(AccountabilityWeek.id == week_id).with_for_update()
    return (await session.scalars(stmt)).one()


async def goals_counting_toward_limit(
    session: AsyncSession,
    user_id: int,
    *,
    sprint_id: int | None = None,
    week_id: int | None = None,
) -> int:
    """How many of the member's goals count toward a limit: open ones in a sprint; open or done
    in a week (the same rule as the week thread's own goal form)."""
    stmt = select(func.count(Goal.id)).where(Goal.user_id == user_id)
    if sprint_id is not None:
        stmt = stmt.where(
            Goal.scope == Scope.SPRINT,
            Goal.sprint_id == sprint_id,
            Goal.status == GoalStatus.OPEN,
        )
    else:
        stmt = stmt.where(
            Goal.scope == Scope.WEEK,
            Goal.week_id == week_id,
            Goal.status.in_(LISTED_STATUSES),
        )
    return int((await session.execute(stmt)).scalar_one())


async def current_open_goals(
    session: AsyncSession, guild_id: int, user_id: int, oldest_week: date
) -> list[GoalRow]:
    """The member's open goals that are current: in running sprints, or in a week starting on
    or after ``oldest_week`` (unordered)."""
    stmt = (
        select(Goal, Sprint, AccountabilityWeek)
        .outerjoin(Sprint, Goal.sprint_id == Sprint.id)
        .outerjoin(AccountabilityWeek, Goal.week_id == AccountabilityWeek.id)
        .where(
            Goal.guild_id == guild_id,
            Goal.user_id == user_id,
            Goal.status == GoalStatus.OPEN,
            or_(
                and_(Goal.scope == Scope.SPRINT, Sprint.status.in_(ACTIVE_STATUSES)),
                and_(Goal.scope == Scope.WEEK, AccountabilityWeek.week_start >= oldest_week),
            ),
        )
    )
    return [(g, s, w) for g, s, w in (await session.execute(stmt)).all()]


async def recent_goals_with_status(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    statuses: Collection[str],
    *,
    limit: int = 200,
) -> list[GoalRow]:
    """The member's latest goals in any of ``statuses``, newest first."""
    stmt = (
        select(Goal, Sprint, AccountabilityWeek)
        .outerjoin(Sprint, Goal.sprint_id == Sprint.id)
        .outerjoin(AccountabilityWeek, Goal.week_id == AccountabilityWeek.id)
        .where(Goal.guild_id == guild_id, Goal.user_id == user_id, Goal.status.in_(statuses))
        .order_by(Goal.created_at.desc(), Goal.id.desc())
        .limit(limit)
    )
    return [(g, s, w) for g, s, w in (await session.execute(stmt)).all()]


async def goal_for_update(session: AsyncSession, goal_id: int) -> Goal | None:
    stmt = select(Goal).where(Goal.id == goal_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def status_counts_beside(session: AsyncSession, goal: Goal) -> tuple[int, int]:
    """(done, done + open) of the owner's goals in the same sprint or week as ``goal``."""
    stmt = select(Goal.status, func.count(Goal.id)).where(
        Goal.user_id == goal.user_id, Goal.status.in_(LISTED_STATUSES)
    )
    if goal.scope == Scope.SPRINT:
        stmt = stmt.where(Goal.sprint_id == goal.sprint_id, Goal.scope == goal.scope)
    else:
        stmt = stmt.where(Goal.week_id == goal.week_id, Goal.scope == goal.scope)
    counts = dict((await session.execute(stmt.group_by(Goal.status))).tuples().all())
    done = int(counts.get(GoalStatus.DONE, 0))
    return done, done + int(counts.get(GoalStatus.OPEN, 0))


async def latest_sprint_in_channel(session: AsyncSession, channel_id: int) -> Sprint | None:
    """The channel's most recently created sprint, running or not."""
    stmt = (
        select(Sprint)
        .where(Sprint.channel_id == channel_id)
        .order_by(Sprint.created_at.desc(), Sprint.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()


async def member_sprint_goals(session: AsyncSession, sprint_id: int, user_id: int) -> list[Goal]:
    """The member's goals of a sprint that are not dropped, oldest first."""
    stmt = (
        select(Goal)
        .where(
            Goal.sprint_id == sprint_id,
            Goal.user_id == user_id,
            Goal.scope == Scope.SPRINT,
            Goal.status != GoalStatus.DROPPED,
        )
        .order_by(Goal.created_at, Goal.id)
    )
    return list(await session.scalars(stmt))


async def member_week_goals(session: AsyncSession, week_id: int, user_id: int) -> list[Goal]:
    """The member's goals of a week that are not dropped, oldest first."""
    stmt = (
        select(Goal)
        .where(
            Goal.week_id == week_id,
            Goal.user_id == user_id,
            Goal.scope == Scope.WEEK,
            Goal.status != GoalStatus.DROPPED,
        )
        .order_by(Goal.created_at, Goal.id)
    )
    return list(await session.scalars(stmt))


async def open_sprint_goals_for_update(
    session: AsyncSession, sprint_id: int, user_id: int
) -> list[Goal]:
    """The member's open goals of a sprint, oldest first, locked."""
    stmt = (
        select(Goal)
        .where(
            Goal.sprint_id == sprint_id,
            Goal.user_id == user_id,
            Goal.scope == Scope.SPRINT,
            Goal.status == GoalStatus.OPEN,
        )
        .order_by(Goal.created_at, Goal.id)
        .with_for_update()
    )
    return list(await session.scalars(stmt))


async def open_sprint_goal_ids(session: AsyncSession, sprint_id: int, user_id: int) -> list[int]:
    stmt = select(Goal.id).where(
        Goal.sprint_id == sprint_id,
        Goal.user_id == user_id,
        Goal.scope == Scope.SPRINT,
        Goal.status == GoalStatus.OPEN,
    )
    return list(await session.scalars(stmt))


async def carried_copies(session: AsyncSession, goal_ids: Sequence[int]) -> dict[int, Goal]:
    """The copies made by carrying these goals over, by the id of the goal they came from."""
    stmt = select(Goal).where(Goal.carried_from_id.in_(list(goal_ids)))
    return {
        c.carried_from_id: c for c in await session.scalars(stmt) if c.carried_from_id is not None
    }


async def count_carried_copies(session: AsyncSession, goal_ids: Sequence[int]) -> int:
    stmt = select(func.count(Goal.id)).where(Goal.carried_from_id.in_(list(goal_ids)))
    return int((await session.execute(stmt)).scalar_one())


async def sprint_goal_counts(session: AsyncSession, sprint_id: int) -> dict[int, tuple[int, int]]:
    """(done, total) sprint goals per member, dropped goals not counted."""
    stmt = (
        select(Goal.user_id, Goal.status, func.count(Goal.id))
        .where(
            Goal.sprint_id == sprint_id,
            Goal.scope == Scope.SPRINT,
            Goal.status.in_(LISTED_STATUSES),
        )
        .group_by(Goal.user_id, Goal.status)
    )
    out: dict[int, list[int]] = {}
    for user_id, status, n in (await session.execute(stmt)).tuples():
        entry = out.setdefault(int(user_id), [0, 0])
        if status == GoalStatus.DONE:
            entry[0] += int(n)
        entry[1] += int(n)
    return {u: (d, t) for u, (d, t) in out.items()}


async def member_listed_week_goals_for_update(
    session: AsyncSession, week_id: int, user_id: int
) -> list[Goal]:
    """The member's open and done goals of a week, locked."""
    stmt = (
        select(Goal)
        .where(Goal.week_id == week_id, Goal.user_id == user_id, Goal.status.in_(LISTED_STATUSES))
        .with_for_update()
    )
    return list(await session.scalars(stmt))


async def member_open_week_goals(
    session: AsyncSession,
    week_id: int,
    user_id: int,
    *,
    goal_ids: Sequence[int] | None = None,
    for_update: bool = False,
) -> list[Goal]:
    """The member's open goals of a week (only ``goal_ids`` when given), oldest first."""
    stmt = (
        select(Goal)
        .where(Goal.week_id == week_id, Goal.user_id == user_id, Goal.status == GoalStatus.OPEN)
        .order_by(Goal.id)
    )
    if goal_ids is not None:
        stmt = stmt.where(Goal.id.in_(list(goal_ids)))
    if for_update:
        stmt = stmt.with_for_update()
    return list(await session.scalars(stmt))


async def ids_carried_from(session: AsyncSession, goal_ids: Sequence[int]) -> set[int]:
    """Which of these goals have been carried over already."""
    stmt = select(Goal.carried_from_id).where(Goal.carried_from_id.in_(list(goal_ids)))
    return {i for i in await session.scalars(stmt) if i is not None}
