"""Carrying a member's open goals of an ended sprint over: to the channel's next sprint or to
their week. Each goal is carried at most once (``Goal.carried_from_id``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound
from bot.domain.goals import GoalStatus, Scope
from bot.services.goals import queries
from bot.services.goals.types import (
    MAX_OPEN_PER_SPRINT,
    MAX_OPEN_PER_WEEK,
    Actor,
    CarryResult,
    GoalInfo,
    week_goals_phrase,
)
from db import repositories as repo
from db.models import AccountabilityWeek, Goal, Sprint

if TYPE_CHECKING:
    from bot.services.goals.service import GoalService

__all__ = ["carry_options", "carry_over"]

ACTIVE = repo.ACTIVE_STATUSES


async def _ended_sprint_of(
    session: AsyncSession, actor: Actor, sprint_id: int, running: str
) -> Sprint:
    source = await session.get(Sprint, sprint_id)
    if source is None or source.guild_id != actor.guild_id:
        raise NotFound("I can't find that sprint any more.")
    if source.status in ACTIVE:
        raise Conflict(running)
    return source


async def carry_over(
    service: GoalService, actor: Actor, from_sprint_id: int, to: Scope
) -> CarryResult:
    """Copy the member's open goals of an ended sprint to the channel's running sprint or
    to their week. Each goal is carried at most once (``Goal.carried_from_id``)."""
    async with service.ctx.db.transaction() as session:
        source = await _ended_sprint_of(
            session,
            actor,
            from_sprint_id,
            "This sprint is still running; your goals are already in it. Carry them "
            "over once it has ended.",
        )
        goals = await queries.open_sprint_goals_for_update(session, source.id, actor.user_id)
        if not goals:
            raise NotFound("You have no open goals left from this sprint. Nice work! 🎉")
        children = await queries.carried_copies(session, [g.id for g in goals])
        already = [GoalInfo.of(children[g.id]) for g in goals if g.id in children]
        pending = [g for g in goals if g.id not in children]
        if not pending:
            return CarryResult((), to, "", tuple(already))
        target_sprint: Sprint | None = None
        week: AccountabilityWeek | None = None
        if to is Scope.SPRINT:
            found = await repo.active_sprint_in_channel(session, source.channel_id)
            if found is not None:
                target_sprint = await queries.sprint_for_update(session, found.id)
            if target_sprint is None:
                raise NotFound(
                    f"No sprint is running in <#{source.channel_id}> right now. Start one "
                    "with `/sprint start` and press this again, or carry them to your week."
                )
            count = await queries.goals_counting_toward_limit(
                session, actor.user_id, sprint_id=target_sprint.id
            )
            limit = MAX_OPEN_PER_SPRINT
            where = f"the sprint “{target_sprint.title}”"
        else:
            week = await service.current_week(session, actor.guild_id, source.channel_id, lock=True)
            count = await queries.goals_counting_toward_limit(
                session, actor.user_id, week_id=week.id
            )
            limit = MAX_OPEN_PER_WEEK
            where = week_goals_phrase(week.week_start)
        room = max(limit - count, 0)
        take, left = pending[:room], pending[room:]
        if take and target_sprint is not None:
            await service.ensure_participant(
                session, target_sprint, actor.user_id, actor.display_name
            )
        now = service.ctx.clock.now()
        carried = [
            Goal(
                guild_id=g.guild_id,
                user_id=g.user_id,
                text=g.text,
                scope=to,
                sprint_id=target_sprint.id if target_sprint is not None else None,
                week_id=week.id if week is not None else None,
                status=GoalStatus.OPEN,
                carried_from_id=g.id,
                created_at=now,
            )
            for g in take
        ]
        session.add_all(carried)
        await session.flush()
        if carried and target_sprint is not None:
            await service.card_changed(session, target_sprint.id)
        result = CarryResult(
            tuple(GoalInfo.of(c) for c in carried),
            to,
            where,
            tuple(already),
            tuple(GoalInfo.of(g) for g in left),
        )
    service.ctx.delivery.wake()
    if carried and week is not None:
        await service.week_changed(week.id)
    return result


async def carry_options(
    service: GoalService, actor: Actor, from_sprint_id: int
) -> tuple[int, Sprint | None]:
    """How many of the member's goals could be carried, and the sprint they could go to."""
    async with service.ctx.db.transaction() as session:
        source = await _ended_sprint_of(
            session,
            actor,
            from_sprint_id,
            "This sprint is still running; carry goals over once it has ended.",
        )
        ids = await queries.open_sprint_goal_ids(session, source.id, actor.user_id)
        if not ids:
            raise NotFound("You have no open goals left from this sprint. Nice work! 🎉")
        pending = len(ids) - await queries.count_carried_copies(session, ids)
        if pending <= 0:
            raise Conflict("You've already carried your open goals from this sprint over.")
        target = await repo.active_sprint_in_channel(session, source.channel_id)
        return pending, target
