"""Goals: /goal, /done, /goals list|edit|drop|undo, and carrying open goals over.

A goal belongs either to a sprint (``scope`` "sprint") or to an accountability week of its server
("week"). Adding a sprint goal joins the member to the sprint. Every change that the sprint card
shows (goal progress) asks the sprint service to refresh the card in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, UserError, ValidationError
from bot.domain.text import clean_goal_text, split_lines_goals
from bot.domain.weeks import week_label, week_start
from bot.render import goals as render
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.events import SprintMembership, WeekGoalsListener
from db import repositories as repo
from db.models import (
    AccountabilityConfig,
    AccountabilityWeek,
    Goal,
    Sprint,
)

log = logging.getLogger(__name__)

MAX_OPEN_PER_SPRINT = 10
MAX_OPEN_PER_WEEK = 20
MAX_GOAL_LEN = 200
ACTIVE = repo.ACTIVE_STATUSES
AUTOCOMPLETE_LIMIT = 25
# Week goals from this many past weeks still count as "open" for /done (so a Friday goal can be
# ticked off on Monday).
OPEN_WEEKS_BACK = 1


class Scope(StrEnum):
    SPRINT = "sprint"
    WEEK = "week"


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
            id=goal.id, user_id=goal.user_id, text=goal.text, scope=goal.scope,
            status=goal.status, sprint_id=goal.sprint_id, week_id=goal.week_id,
            carried_from_id=goal.carried_from_id, created_at=goal.created_at,
            done_at=goal.done_at, where=where, channel_id=channel_id,
        )


@dataclass(frozen=True)
class Rejected:
    line: int  # 1-based line of the input
    text: str  # as the member typed it, so nothing is lost
    reason: str


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
        return _week_goals(self.week_start) if self.week_start else "your week goals"


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


def _week_goals(start: date) -> str:
    """``your goals for the week of 3 Mar``."""
    label = week_label(start)
    return f"your goals for the {label[:1].lower()}{label[1:]}"


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


def _echo(text: str) -> str:
    """What the member typed, shown back in a code block so it can be copied."""
    safe = text.replace("```", "`\u200b``")
    return f"\nWhat you wrote:\n```\n{safe[:1500]}\n```"


class GoalService:
    def __init__(
        self, ctx: ServiceContext, sprints: SprintMembership, weeks: WeekGoalsListener | None = None
    ) -> None:
        self.ctx = ctx
        self.sprints = sprints  # joins and card refreshes, in our transaction
        self.weeks = weeks  # told after the commit when a week's goals changed

    # -- where a goal goes ---------------------------------------------------------------------

    async def _zone(self, session: AsyncSession, guild_id: int) -> ZoneInfo:
        settings = await repo.guild_settings(session, guild_id)
        try:
            return ZoneInfo(settings.timezone or "UTC")
        except (KeyError, ValueError):  # an unknown zone stored earlier: fall back, don't fail
            log.warning("guild %s has an unknown time zone %r", guild_id, settings.timezone)
            return ZoneInfo("UTC")

    async def current_week_start(self, session: AsyncSession, guild_id: int) -> date:
        zone = await self._zone(session, guild_id)
        return week_start(self.ctx.clock.now().astimezone(zone).date())

    async def current_week(
        self, session: AsyncSession, guild_id: int, channel_id: int, *, lock: bool = False
    ) -> AccountabilityWeek:
        """This server's accountability week row for today (created when missing)."""
        start = await self.current_week_start(session, guild_id)
        config = await session.get(AccountabilityConfig, guild_id)
        home = config.channel_id if config is not None else channel_id
        week, _ = await repo.get_or_create_week(session, guild_id, start, home)
        if lock:
            stmt = select(AccountabilityWeek).where(AccountabilityWeek.id == week.id)
            week = (await session.execute(stmt.with_for_update())).scalar_one()
        return week

    async def _lock_sprint(self, session: AsyncSession, sprint_id: int) -> Sprint | None:
        stmt = select(Sprint).where(Sprint.id == sprint_id).with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def _open_count(
        self, session: AsyncSession, user_id: int, *, sprint_id: int | None = None,
        week_id: int | None = None,
    ) -> int:
        """Goals that count toward the limit: open ones in a sprint; open or done in a week
        (the same rule as the week thread's own goal form)."""
        stmt = select(func.count(Goal.id)).where(Goal.user_id == user_id)
        if sprint_id is not None:
            stmt = stmt.where(
                Goal.scope == Scope.SPRINT.value, Goal.sprint_id == sprint_id,
                Goal.status == "open",
            )
        else:
            stmt = stmt.where(
                Goal.scope == Scope.WEEK.value, Goal.week_id == week_id,
                Goal.status.in_(("open", "done")),
            )
        return int((await session.execute(stmt)).scalar_one())

    # -- joining the sprint --------------------------------------------------------------------

    async def ensure_participant(
        self, session: AsyncSession, sprint: Sprint, user_id: int, display_name: str
    ) -> bool:
        """Make the member an active participant of ``sprint``; True when they joined now.

        Inside the caller's transaction, so the goal and the join commit together. The caller
        refreshes the card.
        """
        return await self.sprints.add_participant(session, sprint.id, user_id, display_name)

    async def _card_changed(self, session: AsyncSession, sprint_id: int | None) -> None:
        if sprint_id is not None:
            await self.sprints.refresh_card(session, sprint_id)

    async def _week_changed(self, week_id: int | None) -> None:
        """After the commit: let accountability refresh the week's summary (never fails us)."""
        if week_id is None or self.weeks is None:
            return
        try:
            await self.weeks.goals_changed(week_id)
        except Exception:
            log.exception("refreshing week %s after a goal change failed", week_id)

    # -- adding --------------------------------------------------------------------------------

    async def add(
        self, actor: Actor, text: str, *, scope: Scope | None = None
    ) -> AddResult:
        """/goal text: one goal; bad text or a full list raises with what the member wrote."""
        try:
            cleaned = clean_goal_text(text, MAX_GOAL_LEN)
        except ValidationError as err:
            raise ValidationError(str(err) + _echo(text)) from None
        result = await self._add(actor, [(1, text, cleaned)], [], scope=scope, sprint_id=None)
        if not result.added:
            reason = result.rejected[0].reason if result.rejected else "It was not saved."
            raise Conflict(reason + _echo(text))
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
            sprint: Sprint | None = None
            moved = False
            if sprint_id is not None:
                sprint = await self._lock_sprint(session, sprint_id)
                if (
                    sprint is None
                    or sprint.guild_id != actor.guild_id
                    or sprint.status not in ACTIVE
                ):
                    sprint = None
                    moved = True
            elif scope is not Scope.WEEK:
                found = await repo.active_sprint_in_channel(session, actor.channel_id)
                if found is not None:
                    sprint = await self._lock_sprint(session, found.id)
                    if sprint is not None and sprint.status not in ACTIVE:
                        sprint = None
                if sprint is None and scope is Scope.SPRINT:
                    raise NotFound(
                        "There's no sprint running in this channel, so I can't add a sprint "
                        "goal here. Start one with `/sprint start`, or use `scope: week`."
                        + "".join(_echo(t) for _, t, _ in good[:1])
                    )
            week: AccountabilityWeek | None = None
            if sprint is not None:
                limit = MAX_OPEN_PER_SPRINT
                count = await self._open_count(session, actor.user_id, sprint_id=sprint.id)
            else:
                week = await self.current_week(session, actor.guild_id, actor.channel_id, lock=True)
                limit = MAX_OPEN_PER_WEEK
                count = await self._open_count(session, actor.user_id, week_id=week.id)
            room = max(limit - count, 0)
            take, over = good[:room], good[room:]
            for line, original, _ in over:
                bad.append(Rejected(line, original, _limit_reason(sprint is not None, limit)))
            joined = False
            added: list[Goal] = []
            if take and sprint is not None:
                joined = await self.ensure_participant(
                    session, sprint, actor.user_id, actor.display_name
                )
            for _, _, cleaned in take:
                goal = Goal(
                    guild_id=actor.guild_id, user_id=actor.user_id, text=cleaned,
                    scope=(Scope.SPRINT if sprint is not None else Scope.WEEK).value,
                    sprint_id=sprint.id if sprint is not None else None,
                    week_id=week.id if week is not None else None,
                    status="open", created_at=now,
                )
                session.add(goal)
                added.append(goal)
            await session.flush()
            if added and sprint is not None:
                await self._card_changed(session, sprint.id)
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
            await self._week_changed(week.id)
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

    async def _open_goal_rows(
        self, session: AsyncSession, guild_id: int, user_id: int, channel_id: int | None
    ) -> list[tuple[Goal, Sprint | None, AccountabilityWeek | None]]:
        """Open goals that are current: in running sprints, or in this or last week.

        Order: sprint goals (this channel's sprint first), then week goals; newest first.
        """
        start = await self.current_week_start(session, guild_id)
        oldest = start - timedelta(weeks=OPEN_WEEKS_BACK)
        stmt = (
            select(Goal, Sprint, AccountabilityWeek)
            .outerjoin(Sprint, Goal.sprint_id == Sprint.id)
            .outerjoin(AccountabilityWeek, Goal.week_id == AccountabilityWeek.id)
            .where(
                Goal.guild_id == guild_id,
                Goal.user_id == user_id,
                Goal.status == "open",
                or_(
                    and_(Goal.scope == Scope.SPRINT.value, Sprint.status.in_(ACTIVE)),
                    and_(
                        Goal.scope == Scope.WEEK.value, AccountabilityWeek.week_start >= oldest
                    ),
                ),
            )
        )
        rows = [(g, s, w) for g, s, w in (await session.execute(stmt)).all()]

        def key(row: tuple[Goal, Sprint | None, AccountabilityWeek | None]) -> tuple[Any, ...]:
            goal, sprint, _ = row
            here = sprint is not None and sprint.channel_id == channel_id
            return (goal.scope != Scope.SPRINT.value, not here, -goal.created_at.timestamp(),
                    -goal.id)

        rows.sort(key=key)
        return rows

    @staticmethod
    def _where(sprint: Sprint | None, week: AccountabilityWeek | None) -> str:
        if sprint is not None:
            return f"Sprint: {sprint.title}"
        if week is not None:
            return week_label(week.week_start)
        return "Earlier"

    async def open_goals(
        self, guild_id: int, user_id: int, channel_id: int | None = None, query: str = "",
        limit: int = AUTOCOMPLETE_LIMIT,
    ) -> list[GoalInfo]:
        """The member's current open goals for autocomplete, filtered by what they typed."""
        async with self.ctx.db.transaction() as session:
            rows = await self._open_goal_rows(session, guild_id, user_id, channel_id)
        words = query.casefold().split()
        out: list[GoalInfo] = []
        for goal, sprint, week in rows:
            hay = goal.text.casefold()
            if all(w in hay for w in words):
                out.append(
                    GoalInfo.of(goal, self._where(sprint, week),
                                sprint.channel_id if sprint is not None else None)
                )
            if len(out) >= limit:
                break
        return out

    async def goals_for_autocomplete(
        self, actor: Actor, query: str, *, statuses: tuple[str, ...], owner_id: int | None = None
    ) -> list[GoalInfo]:
        """Goals to pick for edit/drop/undo: recent goals with the given statuses."""
        owner = owner_id if owner_id is not None else actor.user_id
        async with self.ctx.db.transaction() as session:
            if owner != actor.user_id and not await self._is_manager(session, actor):
                owner = actor.user_id
            if statuses == ("open",):
                rows = await self._open_goal_rows(session, actor.guild_id, owner, actor.channel_id)
            else:
                stmt = (
                    select(Goal, Sprint, AccountabilityWeek)
                    .outerjoin(Sprint, Goal.sprint_id == Sprint.id)
                    .outerjoin(AccountabilityWeek, Goal.week_id == AccountabilityWeek.id)
                    .where(
                        Goal.guild_id == actor.guild_id, Goal.user_id == owner,
                        Goal.status.in_(statuses),
                    )
                    .order_by(Goal.created_at.desc(), Goal.id.desc())
                    .limit(200)
                )
                rows = [(g, s, w) for g, s, w in (await session.execute(stmt)).all()]
        words = query.casefold().split()
        out = [
            GoalInfo.of(g, self._where(s, w), s.channel_id if s is not None else None)
            for g, s, w in rows
            if all(word in g.text.casefold() for word in words)
        ]
        return out[:AUTOCOMPLETE_LIMIT]

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
        exact = [g for g in matches if g.text.casefold() == value.casefold()]
        if len(exact) == 1:
            return exact[0].id
        if len(matches) == 1:
            return matches[0].id
        if not matches:
            raise NotFound(
                f"I couldn't find a goal matching “{value[:100]}”. Pick one from the list "
                "that appears as you type."
            )
        raise ValidationError(
            f"“{value[:100]}” matches {len(matches)} goals. Pick one from the list that "
            "appears as you type."
        )

    async def _goal_for_change(self, session: AsyncSession, actor: Actor, goal_id: int) -> Goal:
        stmt = select(Goal).where(Goal.id == goal_id).with_for_update()
        goal = (await session.execute(stmt)).scalar_one_or_none()
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

    async def _tally(self, session: AsyncSession, goal: Goal) -> tuple[int, int]:
        stmt = select(Goal.status, func.count(Goal.id)).where(
            Goal.user_id == goal.user_id, Goal.status.in_(("open", "done"))
        )
        if goal.scope == Scope.SPRINT.value:
            stmt = stmt.where(Goal.sprint_id == goal.sprint_id, Goal.scope == goal.scope)
        else:
            stmt = stmt.where(Goal.week_id == goal.week_id, Goal.scope == goal.scope)
        counts = dict((await session.execute(stmt.group_by(Goal.status))).tuples().all())
        done = int(counts.get("done", 0))
        return done, done + int(counts.get("open", 0))

    async def _sprint_of(self, session: AsyncSession, goal: Goal) -> Sprint | None:
        if goal.scope != Scope.SPRINT.value or goal.sprint_id is None:
            return None
        return await session.get(Sprint, goal.sprint_id)

    async def _refresh_card_of(self, session: AsyncSession, goal: Goal) -> None:
        """The goal's sprint card shows goal progress: refresh it while the sprint runs."""
        sprint = await self._sprint_of(session, goal)
        if sprint is not None and sprint.status in ACTIVE:
            await self._card_changed(session, sprint.id)

    # -- changing goals ------------------------------------------------------------------------

    async def done(
        self, actor: Actor, goal_id: int | None = None, *, owner_id: int | None = None
    ) -> DoneResult:
        """Mark a goal done; without an id, the owner's only open goal (or ask which).

        ``owner_id`` (someone else) is for managers ticking off a member's goal.
        """
        if goal_id is None:
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
            goal_id = goals[0].id
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status == "done":
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” is already done. "
                    "Use `/goals undo` to reopen it."
                )
            if goal.status == "dropped":
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” was dropped, so it can't be "
                    "ticked off. Add it again with `/goal` if you still want it."
                )
            goal.status = "done"
            goal.done_at = now
            await session.flush()
            done, total = await self._tally(session, goal)
            sprint = await self._sprint_of(session, goal)
            settings = await repo.guild_settings(session, actor.guild_id)
            celebrate = not settings.quiet_done
            if celebrate:
                channel = sprint.channel_id if sprint is not None else actor.channel_id
                await enqueue(
                    session,
                    Outgoing(
                        "send", render.celebration_payload(goal.user_id, goal.text, done, total),
                        channel_id=channel, priority=Priority.NOTICE, guild_id=actor.guild_id,
                        sprint_id=sprint.id if sprint is not None else None,
                    ),
                )
            if sprint is not None and sprint.status in ACTIVE:
                await self._card_changed(session, sprint.id)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self._week_changed(info.week_id)
        return DoneResult(info, celebrate, done, total)

    async def undo(self, actor: Actor, goal_id: int) -> GoalInfo:
        """Reopen a done goal."""
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status != "done":
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” isn't done, so there's nothing to "
                    "undo."
                )
            if goal.scope == Scope.SPRINT.value:  # a week's limit counts done goals already
                count = await self._open_count(session, goal.user_id, sprint_id=goal.sprint_id)
                if count >= MAX_OPEN_PER_SPRINT:
                    raise Conflict(
                        f"That would make {MAX_OPEN_PER_SPRINT + 1} open goals in this sprint; "
                        f"the most allowed is {MAX_OPEN_PER_SPRINT}. Tick one off or drop one "
                        "first."
                    )
            goal.status = "open"
            goal.done_at = None
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self._week_changed(info.week_id)
        return info

    async def drop(self, actor: Actor, goal_id: int) -> GoalInfo:
        """Remove a goal from the lists (it stays stored as "dropped")."""
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status == "dropped":
                raise Conflict(f"“{render.user_text(goal.text, 100)}” was already dropped.")
            goal.status = "dropped"
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self._week_changed(info.week_id)
        return info

    async def edit(self, actor: Actor, goal_id: int, text: str) -> GoalInfo:
        try:
            cleaned = clean_goal_text(text, MAX_GOAL_LEN)
        except ValidationError as err:
            raise ValidationError(str(err) + _echo(text)) from None
        async with self.ctx.db.transaction() as session:
            goal = await self._goal_for_change(session, actor, goal_id)
            if goal.status == "dropped":
                raise Conflict(
                    f"“{render.user_text(goal.text, 100)}” was dropped; add it again with "
                    "`/goal` instead." + _echo(text)
                )
            goal.text = cleaned
            await session.flush()
            await self._refresh_card_of(session, goal)
            info = GoalInfo.of(goal)
        self.ctx.delivery.wake()
        await self._week_changed(info.week_id)
        return info

    async def set_quiet_done(self, actor: Actor, quiet: bool) -> None:
        async with self.ctx.db.transaction() as session:
            if not await self._is_manager(session, actor):
                raise PermissionDenied(
                    "Only server managers (Manage Server or the manager role) can change this."
                )
            settings = await repo.guild_settings(session, actor.guild_id)
            settings.quiet_done = quiet

    # -- listing -------------------------------------------------------------------------------

    async def list_goals(
        self, actor: Actor, owner_id: int, scope: Scope | None = None
    ) -> list[GoalInfo]:
        """/goals list: the member's goals in this channel's sprint and/or the current week.

        Without a running sprint here, "sprint" shows their goals from the channel's most recent
        sprint.
        """
        async with self.ctx.db.transaction() as session:
            out: list[GoalInfo] = []
            if scope is not Scope.WEEK:
                sprint = await repo.active_sprint_in_channel(session, actor.channel_id)
                if sprint is None:
                    stmt = (
                        select(Sprint)
                        .where(Sprint.channel_id == actor.channel_id)
                        .order_by(Sprint.created_at.desc(), Sprint.id.desc())
                        .limit(1)
                    )
                    sprint = (await session.execute(stmt)).scalar_one_or_none()
                if sprint is not None:
                    stmt2 = (
                        select(Goal)
                        .where(
                            Goal.sprint_id == sprint.id, Goal.user_id == owner_id,
                            Goal.scope == Scope.SPRINT.value, Goal.status != "dropped",
                        )
                        .order_by(Goal.created_at, Goal.id)
                    )
                    where = self._where(sprint, None)
                    if sprint.status not in ACTIVE:
                        where += " (ended)"
                    out += [
                        GoalInfo.of(g, where, sprint.channel_id)
                        for g in (await session.execute(stmt2)).scalars()
                    ]
            if scope is not Scope.SPRINT:
                start = await self.current_week_start(session, actor.guild_id)
                week = await repo.week(session, actor.guild_id, start)
                if week is not None:
                    stmt3 = (
                        select(Goal)
                        .where(
                            Goal.week_id == week.id, Goal.user_id == owner_id,
                            Goal.scope == Scope.WEEK.value, Goal.status != "dropped",
                        )
                        .order_by(Goal.created_at, Goal.id)
                    )
                    out += [
                        GoalInfo.of(g, self._where(None, week))
                        for g in (await session.execute(stmt3)).scalars()
                    ]
        return out

    # -- carrying over -------------------------------------------------------------------------

    async def carry_over(self, actor: Actor, from_sprint_id: int, to: Scope) -> CarryResult:
        """Copy the member's open goals of an ended sprint to the channel's running sprint or
        to their week. Each goal is carried at most once (``Goal.carried_from_id``)."""
        async with self.ctx.db.transaction() as session:
            source = await session.get(Sprint, from_sprint_id)
            if source is None or source.guild_id != actor.guild_id:
                raise NotFound("I can't find that sprint any more.")
            if source.status in ACTIVE:
                raise Conflict(
                    "This sprint is still running; your goals are already in it. Carry them "
                    "over once it has ended."
                )
            stmt = (
                select(Goal)
                .where(
                    Goal.sprint_id == source.id, Goal.user_id == actor.user_id,
                    Goal.scope == Scope.SPRINT.value, Goal.status == "open",
                )
                .order_by(Goal.created_at, Goal.id)
                .with_for_update()
            )
            goals = list((await session.execute(stmt)).scalars())
            if not goals:
                raise NotFound("You have no open goals left from this sprint. Nice work! 🎉")
            children_stmt = select(Goal).where(Goal.carried_from_id.in_([g.id for g in goals]))
            children = {
                c.carried_from_id: c for c in (await session.execute(children_stmt)).scalars()
            }
            already = [GoalInfo.of(children[g.id]) for g in goals if g.id in children]
            pending = [g for g in goals if g.id not in children]
            if not pending:
                return CarryResult((), to, "", tuple(already))
            target_sprint: Sprint | None = None
            week: AccountabilityWeek | None = None
            if to is Scope.SPRINT:
                found = await repo.active_sprint_in_channel(session, source.channel_id)
                if found is not None:
                    target_sprint = await self._lock_sprint(session, found.id)
                if target_sprint is None:
                    raise NotFound(
                        f"No sprint is running in <#{source.channel_id}> right now. Start one "
                        "with `/sprint start` and press this again, or carry them to your week."
                    )
                count = await self._open_count(session, actor.user_id, sprint_id=target_sprint.id)
                limit = MAX_OPEN_PER_SPRINT
                where = f"the sprint “{target_sprint.title}”"
            else:
                week = await self.current_week(
                    session, actor.guild_id, source.channel_id, lock=True
                )
                count = await self._open_count(session, actor.user_id, week_id=week.id)
                limit = MAX_OPEN_PER_WEEK
                where = _week_goals(week.week_start)
            room = max(limit - count, 0)
            take, left = pending[:room], pending[room:]
            if take and target_sprint is not None:
                await self.ensure_participant(
                    session, target_sprint, actor.user_id, actor.display_name
                )
            now = self.ctx.clock.now()
            carried: list[Goal] = []
            for g in take:
                child = Goal(
                    guild_id=g.guild_id, user_id=g.user_id, text=g.text, scope=to.value,
                    sprint_id=target_sprint.id if target_sprint is not None else None,
                    week_id=week.id if week is not None else None, status="open",
                    carried_from_id=g.id, created_at=now,
                )
                session.add(child)
                carried.append(child)
            await session.flush()
            if carried and target_sprint is not None:
                await self._card_changed(session, target_sprint.id)
            result = CarryResult(
                tuple(GoalInfo.of(c) for c in carried), to, where, tuple(already),
                tuple(GoalInfo.of(g) for g in left),
            )
        self.ctx.delivery.wake()
        if carried and week is not None:
            await self._week_changed(week.id)
        return result

    async def carry_options(self, actor: Actor, from_sprint_id: int) -> tuple[int, Sprint | None]:
        """How many of the member's goals could be carried, and the sprint they could go to."""
        async with self.ctx.db.transaction() as session:
            source = await session.get(Sprint, from_sprint_id)
            if source is None or source.guild_id != actor.guild_id:
                raise NotFound("I can't find that sprint any more.")
            if source.status in ACTIVE:
                raise Conflict(
                    "This sprint is still running; carry goals over once it has ended."
                )
            stmt = select(Goal.id).where(
                Goal.sprint_id == source.id, Goal.user_id == actor.user_id,
                Goal.scope == Scope.SPRINT.value, Goal.status == "open",
            )
            ids = list((await session.execute(stmt)).scalars())
            if not ids:
                raise NotFound("You have no open goals left from this sprint. Nice work! 🎉")
            carried = await session.execute(
                select(func.count(Goal.id)).where(Goal.carried_from_id.in_(ids))
            )
            pending = len(ids) - int(carried.scalar_one())
            if pending <= 0:
                raise Conflict("You've already carried your open goals from this sprint over.")
            target = await repo.active_sprint_in_channel(session, source.channel_id)
            return pending, target

    # -- the sprint card -----------------------------------------------------------------------

    async def progress(self, session: AsyncSession, sprint_id: int) -> dict[int, tuple[int, int]]:
        """(done, total) goals per member of a sprint, dropped goals not counted."""
        stmt = (
            select(Goal.user_id, Goal.status, func.count(Goal.id))
            .where(
                Goal.sprint_id == sprint_id, Goal.scope == Scope.SPRINT.value,
                Goal.status.in_(("open", "done")),
            )
            .group_by(Goal.user_id, Goal.status)
        )
        out: dict[int, list[int]] = {}
        for user_id, status, n in (await session.execute(stmt)).tuples():
            entry = out.setdefault(int(user_id), [0, 0])
            if status == "done":
                entry[0] += int(n)
            entry[1] += int(n)
        return {u: (d, t) for u, (d, t) in out.items()}

    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        return {
            user_id: render.progress_line(done, total)
            for user_id, (done, total) in (await self.progress(session, sprint_id)).items()
        }


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
    "Rejected",
    "Scope",
]
