"""Named queries for stats (SQL lives here; the service only orchestrates).

Rows are read as plain tuples (no ORM objects) so a year of history loads in a few milliseconds.
Indexes used: ix_presence_user_started (a member's spans), ix_presence_sprint_user and
ix_sprint_work_spans_sprint_id (a sprint's spans), ix_sprints_guild_created (a server's sprints),
ix_goals_user_status (a member's goals), ix_participants_user (sprints joined).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Goal,
    LeaderboardMember,
    Participant,
    PresenceSpan,
    SessionAttendance,
    SessionOccurrence,
    SessionSeries,
    Sprint,
    WorkSpan,
)

__all__ = [
    "attendance_of",
    "goal_counts",
    "goals_done_at",
    "goals_done_between",
    "guild_presence_rows",
    "is_on_leaderboard",
    "leaderboard_user_ids",
    "member_attendance",
    "member_presence_rows",
    "occurrences_held",
    "sprint_starts",
    "sprints_joined",
    "work_rows",
]

SPRINT_REACH = timedelta(days=3)


# Raw rows, turned into spans by ``compute`` in the worker process (not on the event loop).
PresenceRow = tuple[int, int, datetime, datetime | None, float]  # user, sprint, start, end, speed
WorkRow = tuple[int, datetime, datetime | None]  # sprint, start, end

PARTITION = 256  # rows per fetch: the loop gets a turn between partitions


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    out: list[Any] = []
    result = await session.stream(stmt)
    async for part in result.partitions(PARTITION):
        out.extend(tuple(r) for r in part)
    return out


async def work_rows(session: AsyncSession, sprint_ids: Iterable[int]) -> list[WorkRow]:
    ids = sorted(set(sprint_ids))
    out: list[WorkRow] = []
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        stmt = select(WorkSpan.sprint_id, WorkSpan.started_at, WorkSpan.ended_at).where(
            WorkSpan.sprint_id.in_(chunk)
        )
        out.extend(await _rows(session, stmt))
    return out


async def member_presence_rows(
    session: AsyncSession, guild_id: int, user_id: int
) -> list[PresenceRow]:
    """The member's presence in every sprint of the server (ix_presence_user_started)."""
    stmt = (
        select(
            PresenceSpan.user_id,
            PresenceSpan.sprint_id,
            PresenceSpan.started_at,
            PresenceSpan.ended_at,
            Sprint.speed,
        )
        .join(Sprint, Sprint.id == PresenceSpan.sprint_id)
        .where(PresenceSpan.user_id == user_id, Sprint.guild_id == guild_id)
    )
    return await _rows(session, stmt)


async def guild_presence_rows(
    session: AsyncSession,
    guild_id: int,
    since: datetime,
    user_ids: Sequence[int] | None = None,
) -> list[PresenceRow]:
    """Presence in the server's sprints that ran at or after ``since`` (ix_sprints_guild_created,
    then ix_presence_sprint_user)."""
    conditions = [
        Sprint.guild_id == guild_id,
        # Narrows by the server's sprints index; no sprint runs for days.
        Sprint.created_at >= since - SPRINT_REACH,
        or_(PresenceSpan.ended_at.is_(None), PresenceSpan.ended_at >= since),
    ]
    if user_ids is not None:
        conditions.append(PresenceSpan.user_id.in_(list(user_ids)))
    stmt = (
        select(
            PresenceSpan.user_id,
            PresenceSpan.sprint_id,
            PresenceSpan.started_at,
            PresenceSpan.ended_at,
            Sprint.speed,
        )
        .join(Sprint, Sprint.id == PresenceSpan.sprint_id)
        .where(and_(*conditions))
    )
    return await _rows(session, stmt)


async def sprints_joined(session: AsyncSession, guild_id: int, user_id: int) -> int:
    stmt = (
        select(func.count(Participant.id))
        .join(Sprint, Sprint.id == Participant.sprint_id)
        .where(Participant.user_id == user_id, Sprint.guild_id == guild_id)
    )
    return int(await session.scalar(stmt) or 0)


async def goal_counts(session: AsyncSession, guild_id: int, user_id: int) -> tuple[int, int]:
    """(goals set, goals done) by the member in the server; dropped goals count as set."""
    stmt = (
        select(Goal.status, func.count(Goal.id))
        .where(Goal.guild_id == guild_id, Goal.user_id == user_id)
        .group_by(Goal.status)
    )
    counts = {status: int(n) for status, n in (await session.execute(stmt)).tuples()}
    return sum(counts.values()), counts.get("done", 0)


async def goals_done_at(session: AsyncSession, guild_id: int, user_id: int) -> list[datetime]:
    """When each of the member's done goals was ticked off."""
    stmt = select(Goal.done_at).where(
        Goal.guild_id == guild_id,
        Goal.user_id == user_id,
        Goal.status == "done",
        Goal.done_at.is_not(None),
    )
    return [d for d in (await session.scalars(stmt)) if d is not None]


async def goals_done_between(
    session: AsyncSession, guild_id: int, user_ids: Sequence[int], lo: datetime, hi: datetime
) -> dict[int, int]:
    stmt = (
        select(Goal.user_id, func.count(Goal.id))
        .where(
            Goal.guild_id == guild_id,
            Goal.user_id.in_(list(user_ids)),
            Goal.status == "done",
            Goal.done_at >= lo,
            Goal.done_at < hi,
        )
        .group_by(Goal.user_id)
    )
    return {int(u): int(n) for u, n in (await session.execute(stmt)).tuples()}


async def sprint_starts(session: AsyncSession, guild_id: int, since: datetime) -> list[datetime]:
    stmt = select(Sprint.created_at).where(Sprint.guild_id == guild_id, Sprint.created_at >= since)
    return list(await session.scalars(stmt))


async def leaderboard_user_ids(session: AsyncSession, guild_id: int) -> list[int]:
    stmt = select(LeaderboardMember.user_id).where(LeaderboardMember.guild_id == guild_id)
    return [int(u) for u in await session.scalars(stmt)]


async def is_on_leaderboard(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    return await session.get(LeaderboardMember, (guild_id, user_id)) is not None


async def member_attendance(
    session: AsyncSession, guild_id: int, user_id: int
) -> list[tuple[str | None, bool]]:
    """(RSVP at the start, showed up) for every standing-session occurrence here with the member."""
    stmt = (
        select(SessionAttendance.said, SessionAttendance.showed_up)
        .join(SessionOccurrence, SessionOccurrence.id == SessionAttendance.occurrence_id)
        .join(SessionSeries, SessionSeries.id == SessionOccurrence.series_id)
        .where(SessionSeries.guild_id == guild_id, SessionAttendance.user_id == user_id)
    )
    return [(said, bool(came)) for said, came in await _rows(session, stmt)]


async def occurrences_held(
    session: AsyncSession, guild_id: int, since: datetime
) -> list[tuple[int, int, str]]:
    """(occurrence, series, series title) of every occurrence here that started since ``since``."""
    stmt = (
        select(SessionOccurrence.id, SessionSeries.id, SessionSeries.title)
        .join(SessionSeries, SessionSeries.id == SessionOccurrence.series_id)
        .where(
            SessionSeries.guild_id == guild_id,
            SessionOccurrence.started_at.is_not(None),
            SessionOccurrence.starts_at >= since,
        )
    )
    return [(o, s, title) for o, s, title in await _rows(session, stmt)]


async def attendance_of(
    session: AsyncSession, occurrence_ids: Iterable[int]
) -> list[tuple[int, str | None, bool]]:
    """(occurrence, RSVP at the start, showed up) for the occurrences given."""
    ids = list(occurrence_ids)
    if not ids:
        return []
    stmt = select(
        SessionAttendance.occurrence_id, SessionAttendance.said, SessionAttendance.showed_up
    ).where(SessionAttendance.occurrence_id.in_(ids))
    return [(o, said, bool(came)) for o, said, came in await _rows(session, stmt)]
