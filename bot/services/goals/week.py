"""Week goals from the accountability thread: its form, its "Mark done" menu and its carry-over
button. The goals service owns them (the same rows ``/goal``, ``/done`` and ``/goals list`` use);
the weekly thread supplies only its rule for when a week takes changes (``WeekRules``) and reacts to
the changes afterwards (``GoalService.on_week_changed``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, ValidationError
from bot.domain.goals import GoalStatus, Scope
from bot.domain.text import clean_goal_text, split_lines_goals
from bot.domain.weeks import week_label
from bot.services.goals import queries
from bot.services.goals.types import (
    MAX_GOAL_LEN,
    MAX_OPEN_PER_WEEK,
    GoalInfo,
    WeekAddResult,
    WeekCarryResult,
)
from db import repositories as repo
from db.models import AccountabilityConfig, AccountabilityWeek, Goal

if TYPE_CHECKING:
    from bot.services.goals.service import GoalService

__all__ = ["WeekGoals", "WeekRules"]


class WeekRules(Protocol):
    """What the weekly thread decides about its week (``bot.services.accountability``)."""

    async def live_week(
        self,
        session: AsyncSession,
        week_id: int,
        guild_id: int,
        *,
        allow_reviewed: bool = False,
        lock: bool = False,
    ) -> AccountabilityWeek:
        """The week, if it still takes changes; raises a UserError saying why not."""
        ...

    async def thread_of(self, session: AsyncSession, week: AccountabilityWeek) -> dict[str, Any]:
        """Where a message into the week's thread goes (``Outgoing`` keyword arguments)."""
        ...


class WeekGoals:
    def __init__(self, goals: GoalService) -> None:
        self.goals = goals
        self.ctx = goals.ctx

    async def add_lines(
        self, rules: WeekRules, guild_id: int, week_id: int, user_id: int, text: str
    ) -> WeekAddResult:
        """Store one week goal per non-blank line. Lines that can't be stored are returned with
        the reason (so the member can copy them back); the rest are kept."""
        lines = split_lines_goals(text)
        if not lines:
            raise ValidationError("Write at least one goal, one per line.")
        now = self.ctx.clock.now()
        added: list[str] = []
        duplicates: list[str] = []
        refused: list[tuple[str, str]] = []
        over: list[str] = []
        async with self.ctx.db.transaction() as session:
            week = await rules.live_week(session, week_id, guild_id, lock=True)
            existing = await queries.member_listed_week_goals_for_update(session, week.id, user_id)
            seen = {g.text.casefold() for g in existing}
            count = len(existing)
            for line in lines:
                try:
                    cleaned = clean_goal_text(line, MAX_GOAL_LEN)
                except ValidationError as err:
                    refused.append((line, str(err)))
                    continue
                if cleaned.casefold() in seen:
                    duplicates.append(cleaned)
                    continue
                if count >= MAX_OPEN_PER_WEEK:
                    over.append(cleaned)
                    continue
                session.add(
                    Goal(
                        guild_id=guild_id,
                        user_id=user_id,
                        text=cleaned,
                        scope=Scope.WEEK,
                        week_id=week.id,
                        status=GoalStatus.OPEN,
                        created_at=now,
                    )
                )
                seen.add(cleaned.casefold())
                count += 1
                added.append(cleaned)
            week_start = week.week_start
        if added:
            await self.goals.week_changed(week_id)
        return WeekAddResult(
            week_id=week_id,
            week_start=week_start,
            added=tuple(added),
            duplicates=tuple(duplicates),
            refused=tuple(refused),
            over_limit=tuple(over),
        )

    async def open_goals(
        self, rules: WeekRules, guild_id: int, week_id: int, user_id: int
    ) -> list[GoalInfo]:
        """The member's open goals of the week, oldest first."""
        async with self.ctx.db.transaction() as session:
            await rules.live_week(session, week_id, guild_id)
            return [
                GoalInfo.of(g)
                for g in await queries.member_open_week_goals(session, week_id, user_id)
            ]

    async def mark_done(
        self,
        rules: WeekRules,
        guild_id: int,
        week_id: int,
        user_id: int,
        goal_ids: Iterable[int],
    ) -> list[str]:
        """Tick off the member's own open goals of the week with the rules of ``/done`` (the
        celebration, in the week's thread, unless the server is quiet); goals already done are
        left alone, so two clicks count once."""
        ids = [int(i) for i in goal_ids]
        async with self.ctx.db.transaction() as session:
            week = await rules.live_week(session, week_id, guild_id)
            rows = await queries.member_open_week_goals(
                session, week_id, user_id, goal_ids=ids, for_update=True
            )
            here = await rules.thread_of(session, week) if rows else {}
            for goal in rows:
                await self.goals.mark_goal_done(session, goal, guild_id=guild_id, here=here)
            texts = [g.text for g in rows]
        if texts:
            self.ctx.delivery.wake()
            await self.goals.week_changed(week_id)
        return texts

    async def carry_over(
        self, rules: WeekRules, guild_id: int, week_id: int, user_id: int
    ) -> WeekCarryResult:
        """Copy the member's open goals of the week into next week. Idempotent: a goal already
        carried (a goal with ``carried_from_id`` pointing at it) is not carried again."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            week = await rules.live_week(session, week_id, guild_id, allow_reviewed=True, lock=True)
            open_rows = await queries.member_open_week_goals(
                session, week.id, user_id, for_update=True
            )
            next_start = week.week_start + timedelta(days=7)
            if not open_rows:
                raise Conflict(
                    f"You have no open goals in the {week_label(week.week_start)} to carry over."
                )
            cfg = await session.get(AccountabilityConfig, guild_id)
            channel_id = cfg.channel_id if cfg is not None else week.channel_id
            target, _ = await repo.get_or_create_week(session, guild_id, next_start, channel_id)
            carried_ids = await queries.ids_carried_from(session, [g.id for g in open_rows])
            carried: list[str] = []
            already: list[str] = []
            for goal in open_rows:
                if goal.id in carried_ids:
                    already.append(goal.text)
                    continue
                session.add(
                    Goal(
                        guild_id=guild_id,
                        user_id=user_id,
                        text=goal.text,
                        scope=Scope.WEEK,
                        week_id=target.id,
                        status=GoalStatus.OPEN,
                        carried_from_id=goal.id,
                        created_at=now,
                    )
                )
                carried.append(goal.text)
            target_id = target.id
        if carried:
            await self.goals.week_changed(target_id)
        return WeekCarryResult(next_week=next_start, carried=tuple(carried), already=tuple(already))
