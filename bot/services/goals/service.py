"""Goals: /goal, /done, /goals list|edit|drop|undo, and carrying open goals over.

A goal belongs either to a sprint (``scope`` "sprint") or to an accountability week of its server
("week"). Adding a sprint goal joins the member to the sprint. Every change that the sprint card
shows (goal progress) asks the sprint service to refresh the card in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.goals import GoalStatus, Scope
from bot.domain.text import clean_goal_text, split_lines_goals
from bot.render import goals as render
from bot.services.context import ServiceContext
from bot.services.events import SprintMembership
from bot.services.goals import carry, lookup, messages, queries
from bot.services.goals.types import (
    MAX_GOAL_LEN,
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
from bot.services.goals.week import WeekGoals
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import current_week_start
from db import repositories as repo
from db.models import (
    AccountabilityConfig,
    AccountabilityWeek,
    Goal,
    Sprint,
)

__all__ = ["GoalService"]

log = logging.getLogger(__name__)

ACTIVE = repo.ACTIVE_STATUSES
AUTOCOMPLETE_LIMIT = lookup.AUTOCOMPLETE_LIMIT

WeekListener = Callable[[int], Awaitable[Any]]


def _limit_reason(sprint: bool, limit: int) -> str:
    if sprint:
        return (
            f"You already have {limit} open goals in this sprint (the most allowed). Tick one "
            "off with `/done` or remove one with `/goals drop` first."
        )
    return (
        f"You already have {limit} goals for this week (the most allowed). Remove one with "
        "`/goals drop` first."
    )


class GoalService:
    def __init__(self, ctx: ServiceContext, sprints: SprintMembership) -> None:
        self.ctx = ctx
        self.sprints = sprints  # joins and card refreshes, in our transaction
        self._week_listeners: list[WeekListener] = []
        self.week = WeekGoals(self)

    def on_week_changed(self, listener: WeekListener) -> None:
        """``listener(week_id)`` runs after a change of a week's goals is committed (weekly
        accountability refreshes the week's summary)."""
        self._week_listeners.append(listener)

    # -- where a goal goes ---------------------------------------------------------------------

    async def current_week_start(self, session: AsyncSession, guild_id: int) -> date:
        return await current_week_start(session, guild_id, self.ctx.clock.now())

    async def current_week(
        self, session: AsyncSession, guild_id: int, channel_id: int, *, lock: bool = False
    ) -> AccountabilityWeek:
        """This server's accountability week row for today (created when missing)."""
        start = await self.current_week_start(session, guild_id)
        config = await session.get(AccountabilityConfig, guild_id)
        home = config.channel_id if config is not None else channel_id
        week, _ = await repo.get_or_create_week(session, guild_id, start, home)
        if lock:
            week = await queries.week_for_update(session, week.id)
        return week

    # -- joining the sprint --------------------------------------------------------------------

    async def ensure_participant(
        self, session: AsyncSession, sprint: Sprint, user_id: int, display_name: str
    ) -> bool:
        """Make the member an active participant of ``sprint`` through the sprint service (its
        one join), inside the caller's transaction so the goal and the join commit together;
        True when they joined now. The caller refreshes the card."""
        return await self.sprints.add_participant(session, sprint.id, user_id, display_name)

    async def card_changed(self, session: AsyncSession, sprint_id: int | None) -> None:
        """Refresh the sprint card in the caller's transaction (goal progress, check-ins)."""
        if sprint_id is not None:
            await self.sprints.refresh_card(session, sprint_id)

    async def week_changed(self, week_id: int | None) -> None:
        """After the commit: tell the listeners a week's goals changed (never fails us)."""
        if week_id is None:
            return
        for listener in self._week_listeners:
            try:
                await listener(week_id)
            except Exception:
                log.exception("refreshing week %s after a goal change failed", week_id)

    # -- adding --------------------------------------------------------------------------------

    async def add(self, actor: Actor, text: str, *, scope: Scope | None = None) -> AddResult:
        """/goal text: one goal; bad text or a full list raises with what the member wrote."""
        try:
            cleaned = clean_goal_text(text, MAX_GOAL_LEN)
        except ValidationError as err:
            raise ValidationError(str(err) + lookup.echo(text)) from None
        result = await self._add(actor, [(1, text, cleaned)], [], scope=scope, sprint_id=None)
        if not result.added:
            reason = result.rejected[0].reason if result.rejected else "It was not saved."
            raise Conflict(reason + lookup.echo(text))
        return result

    async def add_many(
        self, actor: Actor, text: str, *, scope: Scope | None = None, sprint_id: int | None = None
    ) -> AddResult:
        """The goal modal: one goal per line. Good lines are saved, bad ones come back."""
        lines = split_lines_goals(text)
        if not lines:
            raise ValidationError(
                "There was no goal in what you sent. Write one goal per line, "
                "1–200 characters each."
            )
        good: list[tuple[int, str, str]] = []
        bad: list[Rejected] = []
        for i, line in enumerate(lines, start=1):
            try:
                good.append((i, line, clean_goal_text(line, MAX_GOAL_LEN)))
            except ValidationError as err:
                bad.append(Rejected(i, line, str(err)))
        return await self._add(actor, good, bad, scope=scope, sprint_id=sprint_id)

    async def _add(
        self,
        actor: Actor,
        good: list[tuple[int, str, str]],
        bad: list[Rejected],
        *,
        scope: Scope | None,
        sprint_id: int | None,
    ) -> AddResult:
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, actor.user_id)  # issue 16: don't track me
            sprint, moved = await lookup.target_sprint(
                session, actor, scope, sprint_id, good[0][1] if good else None
            )
            week: AccountabilityWeek | None = None
            if sprint is not None:
                limit = MAX_OPEN_PER_SPRINT
                count = await queries.goals_counting_toward_limit(
                    session, actor.user_id, sprint_id=sprint.id
                )
            else:
                week = await self.current_week(session, actor.guild_id, actor.channel_id, lock=True)
                limit = MAX_OPEN_PER_WEEK
                count = await queries.goals_counting_toward_limit(
                    session, actor.user_id, week_id=week.id
                )
            room = max(limit - count, 0)
            take, over = good[:room], good[room:]
            for line, original, _ in over:
                bad.append(Rejected(line, original, _limit_reason(sprint is not None, limit)))
            joined = False
            if take and sprint is not None:
                joined = await self.ensure_participant(
                    session, sprint, actor.user_id, actor.display_name
                )
            added = [
                Goal(
                    guild_id=actor.guild_id,
                    user_id=actor.user_id,
                    text=cleaned,
                    scope=Scope.SPRINT if sprint is not None else Scope.WEEK,
                    sprint_id=sprint.id if sprint is not None else None,
                    week_id=week.id if week is not None else None,
                    status=GoalStatus.OPEN,
                    created_at=now,
                )
                for _, _, cleaned in take
            ]
            session.add_all(added)
            await session.flush()
            if added and sprint is not None:
                await self.card_changed(session, sprint.id)
            result = AddResult(
                added=tuple(GoalInfo.of(g) for g in added),
                scope=Scope.SPRINT if sprint is not None else Scope.WEEK,
                sprint_id=sprint.id if sprint is not None else None,
                sprint_title=sprint.title if sprint is not None else None,
                week_start=week.week_start if week is not None else None,
                rejected=tuple(sorted(bad, key=lambda r: r.line)),
                joined=joined,
                moved_to_week=moved,
                open_count=count + len(added),
                limit=limit,
            )
        self.ctx.delivery.wake()
        if result.added and week is not None:
            await self.week_changed(week.id)
        return result

    async def sprint_for_modal(self, guild_id: int, channel_id: int) -> Sprint | None:
        """The running sprint of a channel, so the goal modal can name it."""
        async with self.ctx.db.transaction() as session:
            sprint = await repo.active_sprint_in_channel(session, channel_id)
            return sprint if sprint is not None and sprint.guild_id == guild_id else None

    async def sprint_title(self, sprint_id: int) -> str | None:
        """The title of a sprint that is still running (None once it has ended)."""
        async with self.ctx.db.transaction() as session:
            sprint = await session.get(Sprint, sprint_id)
            return sprint.title if sprint is not None and sprint.status in ACTIVE else None

    # -- finding goals -------------------------------------------------------------------------

    async def _is_manager(self, session: AsyncSession, actor: Actor) -> bool:
        if actor.manage_guild:
            return True
        settings = await repo.guild_settings(session, actor.guild_id)
        return actor.may_manage(settings.manager_role_id)

    async def is_manager(self, actor: Actor) -> bool:
        async with self.ctx.db.transaction() as session:
            return await self._is_manager(session, actor)

    async def open_goals(
        self,
        guild_id: int,
        user_id: int,
        channel_id: int | None = None,
        query: str = "",
        limit: int = AUTOCOMPLETE_LIMIT,
    ) -> list[GoalInfo]:
        """The member's current open goals for autocomplete, filtered by what they typed."""
        async with self.ctx.db.transaction() as session:
            rows = await lookup.open_goal_rows(
                session, guild_id, user_id, channel_id, self.ctx.clock.now()
            )
        return lookup.matching(rows, query, limit)

    async def goals_for_autocomplete(
        self, actor: Actor, query: str, *, statuses: tuple[str, ...], owner_id: int | None = None
    ) -> list[GoalInfo]:
        """Goals to pick for edit/drop/undo: recent goals with the given statuses."""
        owner = owner_id if owner_id is not None else actor.user_id
        async with self.ctx.db.transaction() as session:
            if owner != actor.user_id and not await self._is_manager(session, actor):
                owner = actor.user_id
            if statuses == (GoalStatus.OPEN,):
                rows = await lookup.open_goal_rows(
                    session, actor.guild_id, owner, actor.channel_id, self.ctx.clock.now()
                )
            else:
                rows = await queries.recent_goals_with_status(
                    session, actor.guild_id, owner, statuses
                )
        return lookup.matching(rows, query, AUTOCOMPLETE_LIMIT)

    async def resolve(
        self, actor: Actor, value: str, *, statuses: tuple[str, ...], owner_id: int | None = None
    ) -> int:
        """A goal id from an autocomplete value, or from text typed without picking."""
        value = value.strip()
        if value.isdigit():
            return int(value)
        matches = await self.goals_for_autocomplete(
            actor, value, statuses=statuses, owner_id=owner_id
        )
        return lookup.choose_one(value, matches)

    async def list_goals(
        self, actor: Actor, owner_id: int, scope: Scope | None = None
    ) -> list[GoalInfo]:
        """/goals list: the member's goals in this channel's sprint and/or the current week."""
        async with self.ctx.db.transaction() as session:
            return await lookup.goals_listed(
                session, actor.guild_id, actor.channel_id, owner_id, scope, self.ctx.clock.now()
            )

    # -- changing goals ------------------------------------------------------------------------

    async def _goal_for_change(self, session: AsyncSession, actor: Actor, goal_id: int) -> Goal:
        goal = await queries.goal_for_update(session, goal_id)
        if goal is None or goal.guild_id != actor.guild_id:
            raise NotFound(
                "I can't find that goal. Pick one from the list that appears as you type."
            )
        if goal.user_id != actor.user_id and not await self._is_manager(session, actor):
            raise PermissionDenied(
                "That's someone else's goal. Only its owner or a server manager (Manage Server "
                "or the manager role) can change it."
            )
        return goal

    async def _sprint_of(self, session: AsyncSession, goal: Goal) -> Sprint | None:
        if goal.scope != Scope.SPRINT or goal.sprint_id is None:
            return None
        return await session.get(Sprint, goal.sprint_id)

    async def _refresh_card_of(self, session: AsyncSession, goal: Goal) -> None:
        """The goal's sprint card shows goal progress: refresh it while the sprint runs."""
        sprint = await self._sprint_of(session, goal)
        if sprint is not None and sprint.status in ACTIVE:
            await self.card_changed(session, sprint.id)

    async def done(
        self, actor: Actor, goal_id: int | None = None, *, owner_id: int | None = None
    ) -> DoneResult:
        """Mark a goal done; without an id, the owner's only open goal (or ask which).

        ``owner_id`` (someone else) is for managers ticking off a member's goal.
        """
        if goal_id is None:
            goal_id = await self._only_open_goal(actor, owner_id)
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            result = await self.mark_goal_done(
                session, goal, guild_id=actor.guild_id, here={"channel_id": actor.channel_id}
            )
        self.ctx.delivery.wake()
        await self.week_changed(result.goal.week_id)
        return result

    async def _only_open_goal(self, actor: Actor, owner_id: int | None) -> int:
        owner = owner_id if owner_id is not None else actor.user_id
        if owner != actor.user_id and not await self.is_manager(actor):
            raise PermissionDenied(
                "Only server managers (Manage Server or the manager role) can tick off "
                "someone else's goals."
            )
        goals = await self.open_goals(actor.guild_id, owner, actor.channel_id)
        if not goals:
            raise NotFound(
                "You have no open goals to tick off. Add one with `/goal`."
                if owner == actor.user_id
                else f"<@{owner}> has no open goals right now."
            )
        if len(goals) > 1:
            raise ChooseGoal(goals)
        return goals[0].id

    async def mark_goal_done(
        self, session: AsyncSession, goal: Goal, *, guild_id: int, here: dict[str, Any]
    ) -> DoneResult:
        """The rules of ticking a goal off, in the caller's transaction: refuse done or dropped
        goals; celebrate in the sprint's channel, else where the member is (``here``: the
        ``Outgoing`` channel arguments), unless the server is quiet; refresh the sprint card."""
        if goal.status == GoalStatus.DONE:
            raise Conflict(
                f"“{render.user_text(goal.text, 100)}” is already done. "
                "Use `/goals undo` to reopen it."
            )
        if goal.status == GoalStatus.DROPPED:
            raise Conflict(
                f"“{render.user_text(goal.text, 100)}” was dropped, so it can't be "
                "ticked off. Add it again with `/goal` if you still want it."
            )
        goal.status = GoalStatus.DONE
        goal.done_at = self.ctx.clock.now()
        await session.flush()
        done, total = await queries.status_counts_beside(session, goal)
        sprint = await self._sprint_of(session, goal)
        settings = await repo.guild_settings(session, guild_id)
        celebrate = not settings.quiet_done
        if celebrate:
            where = {"channel_id": sprint.channel_id} if sprint is not None else here
            await enqueue(
                session,
                messages.celebration(
                    goal,
                    done,
                    total,
                    guild_id=guild_id,
                    sprint_id=sprint.id if sprint is not None else None,
                    **where,
                ),
            )
        if sprint is not None and sprint.status in ACTIVE:
            await self.card_changed(session, sprint.id)
        return DoneResult(GoalInfo.of(goal), celebrate, done, total)

    async def undo(self, actor: Actor, goal_id: int) -> GoalInfo:
        """Reopen a done goal."""
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status != GoalStatus.DONE:
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” isn't done, so there's nothing to undo."
                )
            if goal.scope == Scope.SPRINT:  # a week's limit counts done goals already
                count = await queries.goals_counting_toward_limit(
                    session, goal.user_id, sprint_id=goal.sprint_id
                )
                if count >= MAX_OPEN_PER_SPRINT:
                    raise Conflict(
                        f"That would make {MAX_OPEN_PER_SPRINT + 1} open goals in this sprint; "
                        f"the most allowed is {MAX_OPEN_PER_SPRINT}. Tick one off or drop one "
                        "first."
                    )
            goal.status = GoalStatus.OPEN
            goal.done_at = None
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self.week_changed(info.week_id)
        return info

    async def drop(self, actor: Actor, goal_id: int) -> GoalInfo:
        """Remove a goal from the lists (it stays stored as "dropped")."""
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status == GoalStatus.DROPPED:
                raise Conflict(f"“{render.user_text(goal.text, 100)}” was already dropped.")
            goal.status = GoalStatus.DROPPED
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self.week_changed(info.week_id)
        return info

    async def edit(self, actor: Actor, goal_id: int, text: str) -> GoalInfo:
        try:
            cleaned = clean_goal_text(text, MAX_GOAL_LEN)
        except ValidationError as err:
            raise ValidationError(str(err) + lookup.echo(text)) from None
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status == GoalStatus.DROPPED:
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” was dropped; add it again with "
                    "`/goal` instead." + lookup.echo(text)
                )
            goal.text = cleaned
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self.week_changed(info.week_id)
        return info

    async def set_quiet_done(self, actor: Actor, quiet: bool) -> None:
        async with self.ctx.db.transaction() as session:
            if not await self._is_manager(session, actor):
                raise PermissionDenied(
                    "Only server managers (Manage Server or the manager role) can change this."
                )
            settings = await repo.guild_settings(session, actor.guild_id)
            settings.quiet_done = quiet

    # -- carrying over -------------------------------------------------------------------------

    async def carry_over(self, actor: Actor, from_sprint_id: int, to: Scope) -> CarryResult:
        """Copy the member's open goals of an ended sprint to the channel's running sprint or
        to their week (``carry.py``)."""
        return await carry.carry_over(self, actor, from_sprint_id, to)

    async def carry_options(self, actor: Actor, from_sprint_id: int) -> tuple[int, Sprint | None]:
        """How many of the member's goals could be carried, and the sprint they could go to."""
        return await carry.carry_options(self, actor, from_sprint_id)

    # -- the sprint card -----------------------------------------------------------------------

    async def progress(self, session: AsyncSession, sprint_id: int) -> dict[int, tuple[int, int]]:
        """(done, total) goals per member of a sprint, dropped goals not counted."""
        return await queries.sprint_goal_counts(session, sprint_id)

    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        return {
            user_id: render.progress_line(done, total)
            for user_id, (done, total) in (await self.progress(session, sprint_id)).items()
        }
