"""Finding goals: what autocomplete offers, what a typed value resolves to, what ``/goals list``
shows. Reads only; the use cases that change goals are in ``service.py``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import NotFound, ValidationError
from bot.domain.goals import Scope
from bot.domain.weeks import week_label
from bot.services.goals import queries
from bot.services.goals.queries import GoalRow
from bot.services.goals.types import Actor, GoalInfo
from bot.services.timezones import current_week_start
from db import repositories as repo
from db.models import AccountabilityWeek, Sprint

__all__ = [
    "AUTOCOMPLETE_LIMIT",
    "OPEN_WEEKS_BACK",
    "choose_one",
    "echo",
    "goals_listed",
    "matching",
    "open_goal_rows",
    "target_sprint",
    "where_label",
]

AUTOCOMPLETE_LIMIT = 25
# Week goals from this many past weeks still count as "open" for /done (so a Friday goal can be
# ticked off on Monday).
OPEN_WEEKS_BACK = 1


def where_label(sprint: Sprint | None, week: AccountabilityWeek | None) -> str:
    """Where a goal belongs, as the lists show it: ``Sprint: title`` / ``Week of 3 Mar``."""
    if sprint is not None:
        return f"Sprint: {sprint.title}"
    if week is not None:
        return week_label(week.week_start)
    return "Earlier"


def info_of(row: GoalRow) -> GoalInfo:
    goal, sprint, week = row
    return GoalInfo.of(
        goal, where_label(sprint, week), sprint.channel_id if sprint is not None else None
    )


async def open_goal_rows(
    session: AsyncSession, guild_id: int, user_id: int, channel_id: int | None, now: datetime
) -> list[GoalRow]:
    """Open goals that are current: in running sprints, or in this or last week.

    Order: sprint goals (this channel's sprint first), then week goals; newest first.
    """
    start = await current_week_start(session, guild_id, now)
    rows = await queries.current_open_goals(
        session, guild_id, user_id, start - timedelta(weeks=OPEN_WEEKS_BACK)
    )

    def key(row: GoalRow) -> tuple[Any, ...]:
        goal, sprint, _ = row
        here = sprint is not None and sprint.channel_id == channel_id
        return (goal.scope != Scope.SPRINT, not here, -goal.created_at.timestamp(), -goal.id)

    rows.sort(key=key)
    return rows


def matching(rows: Iterable[GoalRow], query: str, limit: int) -> list[GoalInfo]:
    """The rows whose text contains every word of ``query`` (case-insensitive), at most
    ``limit``."""
    words = query.casefold().split()
    out: list[GoalInfo] = []
    for row in rows:
        if len(out) >= limit:
            break
        hay = row[0].text.casefold()
        if all(w in hay for w in words):
            out.append(info_of(row))
    return out


def choose_one(value: str, matches: Sequence[GoalInfo]) -> int:
    """The goal a typed value means among ``matches``; raises when none or several fit."""
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


async def goals_listed(
    session: AsyncSession,
    guild_id: int,
    channel_id: int,
    owner_id: int,
    scope: Scope | None,
    now: datetime,
) -> list[GoalInfo]:
    """/goals list: the member's goals in this channel's sprint and/or the current week.

    Without a running sprint here, "sprint" shows their goals from the channel's most recent
    sprint.
    """
    out: list[GoalInfo] = []
    if scope is not Scope.WEEK:
        sprint = await repo.active_sprint_in_channel(session, channel_id)
        if sprint is None:
            sprint = await queries.latest_sprint_in_channel(session, channel_id)
        if sprint is not None:
            where = where_label(sprint, None)
            if sprint.status not in repo.ACTIVE_STATUSES:
                where += " (ended)"
            out += [
                GoalInfo.of(g, where, sprint.channel_id)
                for g in await queries.member_sprint_goals(session, sprint.id, owner_id)
            ]
    if scope is not Scope.SPRINT:
        start = await current_week_start(session, guild_id, now)
        week = await repo.week(session, guild_id, start)
        if week is not None:
            out += [
                GoalInfo.of(g, where_label(None, week))
                for g in await queries.member_week_goals(session, week.id, owner_id)
            ]
    return out


def echo(text: str) -> str:
    """What the member typed, shown back in a code block so it can be copied."""
    safe = text.replace("```", "`\u200b``")
    return f"\nWhat you wrote:\n```\n{safe[:1500]}\n```"


async def target_sprint(
    session: AsyncSession,
    actor: Actor,
    scope: Scope | None,
    sprint_id: int | None,
    first_line: str | None,
) -> tuple[Sprint | None, bool]:
    """The running sprint the goals go to (locked), or None for the week; and whether a
    sprint was asked for that has ended (the goals then go to the week)."""
    if sprint_id is not None:
        sprint = await queries.sprint_for_update(session, sprint_id)
        if (
            sprint is None
            or sprint.guild_id != actor.guild_id
            or sprint.status not in repo.ACTIVE_STATUSES
        ):
            return None, True
        return sprint, False
    if scope is Scope.WEEK:
        return None, False
    sprint = None
    found = await repo.active_sprint_in_channel(session, actor.channel_id)
    if found is not None:
        sprint = await queries.sprint_for_update(session, found.id)
        if sprint is not None and sprint.status not in repo.ACTIVE_STATUSES:
            sprint = None
    if sprint is None and scope is Scope.SPRINT:
        raise NotFound(
            "There's no sprint running in this channel, so I can't add a sprint "
            "goal here. Start one with `/sprint start`, or use `scope: week`."
            + (echo(first_line) if first_line is not None else "")
        )
    return sprint, False
