"""Named queries of the sessions area."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import sent_message_id
from db.models import (
    CheckIn,
    DebriefNote,
    Goal,
    OutboxMessage,
    Participant,
    SessionAttendance,
    SessionOccurrence,
    SessionReminderOptOut,
    SessionRsvp,
    SessionSeries,
    Sprint,
)

__all__ = [
    "attendance_of",
    "card_message_id",
    "live_series",
    "locked_occurrence",
    "locked_series",
    "next_occurrence",
    "occurrence_at",
    "occurrence_of_sprint",
    "opted_out",
    "rsvp",
    "rsvps_of",
    "series_of_guild",
    "sprint_members",
    "standing",
]


async def locked_series(session: AsyncSession, series_id: int) -> SessionSeries | None:
    return await session.get(SessionSeries, series_id, with_for_update=True, populate_existing=True)


async def locked_occurrence(session: AsyncSession, occurrence_id: int) -> SessionOccurrence | None:
    return await session.get(
        SessionOccurrence, occurrence_id, with_for_update=True, populate_existing=True
    )


async def series_of_guild(
    session: AsyncSession, guild_id: int, *, live_only: bool = True
) -> list[SessionSeries]:
    stmt = select(SessionSeries).where(SessionSeries.guild_id == guild_id)
    if live_only:
        stmt = stmt.where(SessionSeries.cancelled_at.is_(None))
    return list(await session.scalars(stmt.order_by(SessionSeries.id)))


async def live_series(session: AsyncSession) -> list[tuple[int, int]]:
    """(series id, guild id) of every series not cancelled."""
    rows = await session.execute(
        select(SessionSeries.id, SessionSeries.guild_id).where(SessionSeries.cancelled_at.is_(None))
    )
    return [(a, b) for a, b in rows.tuples()]


async def next_occurrence(
    session: AsyncSession, series_id: int, *, lock: bool = False
) -> SessionOccurrence | None:
    """The earliest occurrence still to come (status upcoming)."""
    stmt = (
        select(SessionOccurrence)
        .where(SessionOccurrence.series_id == series_id, SessionOccurrence.status == "upcoming")
        .order_by(SessionOccurrence.starts_at)
        .limit(1)
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def occurrence_at(
    session: AsyncSession, series_id: int, scheduled_at: datetime
) -> SessionOccurrence | None:
    return (
        await session.scalars(
            select(SessionOccurrence).where(
                SessionOccurrence.series_id == series_id,
                SessionOccurrence.scheduled_at == scheduled_at,
            )
        )
    ).first()


async def occurrences_of(session: AsyncSession, series_id: int) -> list[SessionOccurrence]:
    return list(
        await session.scalars(
            select(SessionOccurrence)
            .where(SessionOccurrence.series_id == series_id)
            .order_by(SessionOccurrence.scheduled_at)
        )
    )


async def occurrence_of_sprint(session: AsyncSession, sprint_id: int) -> SessionOccurrence | None:
    return (
        await session.scalars(
            select(SessionOccurrence).where(SessionOccurrence.sprint_id == sprint_id).limit(1)
        )
    ).first()


async def rsvps_of(
    session: AsyncSession, series_id: int, occurrence_id: int | None
) -> list[SessionRsvp]:
    """Answers for one occurrence (or the standing answers when ``occurrence_id`` is None), in
    the order they were queued."""
    stmt = select(SessionRsvp).where(SessionRsvp.series_id == series_id)
    if occurrence_id is None:
        stmt = stmt.where(SessionRsvp.occurrence_id.is_(None))
    else:
        stmt = stmt.where(SessionRsvp.occurrence_id == occurrence_id)
    return list(await session.scalars(stmt.order_by(SessionRsvp.queued_at, SessionRsvp.id)))


async def rsvp(
    session: AsyncSession, series_id: int, occurrence_id: int | None, user_id: int
) -> SessionRsvp | None:
    stmt = select(SessionRsvp).where(
        SessionRsvp.series_id == series_id, SessionRsvp.user_id == user_id
    )
    if occurrence_id is None:
        stmt = stmt.where(SessionRsvp.occurrence_id.is_(None))
    else:
        stmt = stmt.where(SessionRsvp.occurrence_id == occurrence_id)
    return (await session.scalars(stmt.limit(1))).first()


async def standing(session: AsyncSession, series_id: int) -> list[SessionRsvp]:
    return await rsvps_of(session, series_id, None)


async def forget_member(session: AsyncSession, series_id: int, user_id: int) -> int:
    """Delete the member's standing answer and their answers to occurrences still to come."""
    upcoming = select(SessionOccurrence.id).where(
        SessionOccurrence.series_id == series_id, SessionOccurrence.status == "upcoming"
    )
    result = await session.execute(
        delete(SessionRsvp)
        .where(
            SessionRsvp.series_id == series_id,
            SessionRsvp.user_id == user_id,
            (SessionRsvp.occurrence_id.is_(None)) | SessionRsvp.occurrence_id.in_(upcoming),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def opted_out(session: AsyncSession, guild_id: int, user_ids: Sequence[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = await session.scalars(
        select(SessionReminderOptOut.user_id).where(
            SessionReminderOptOut.guild_id == guild_id,
            SessionReminderOptOut.user_id.in_(list(user_ids)),
        )
    )
    return set(rows)


async def sprint_members(session: AsyncSession, sprint_id: int) -> set[int]:
    """Everyone who was in the sprint at some point (button, command, goal or voice)."""
    return set(
        await session.scalars(select(Participant.user_id).where(Participant.sprint_id == sprint_id))
    )


async def attendance_of(session: AsyncSession, occurrence_id: int) -> list[SessionAttendance]:
    return list(
        await session.scalars(
            select(SessionAttendance)
            .where(SessionAttendance.occurrence_id == occurrence_id)
            .order_by(SessionAttendance.id)
        )
    )


async def card_message_id(session: AsyncSession, series: SessionSeries, ref: str) -> int | None:
    """The card's message id, filled in from the delivered outbox row when not yet known."""
    if series.card_message_id is None:
        found = await sent_message_id(session, ref)
        if found is not None:
            series.card_message_id = found
    return series.card_message_id


async def pending_edit_hold(session: AsyncSession, supersede_key: str) -> datetime | None:
    """When a card edit still waiting in the outbox is due (None: none waiting)."""
    return (
        await session.scalars(
            select(OutboxMessage.not_before)
            .where(
                OutboxMessage.supersede_key == supersede_key,
                OutboxMessage.status == "pending",
            )
            .limit(1)
        )
    ).first()


async def restore_rows(
    session: AsyncSession,
) -> list[tuple[int, int, list[Any], datetime | None, list[Any]]]:
    """Per live series: (id, guild, reminder offsets, next upcoming start or None, reminders
    already sent for it), in one query."""
    rows = await session.execute(
        select(
            SessionSeries.id,
            SessionSeries.guild_id,
            SessionSeries.reminders,
            SessionOccurrence.starts_at,
            SessionOccurrence.reminded,
        )
        .outerjoin(
            SessionOccurrence,
            and_(
                SessionOccurrence.series_id == SessionSeries.id,
                SessionOccurrence.status == "upcoming",
            ),
        )
        .where(SessionSeries.cancelled_at.is_(None))
        .order_by(SessionSeries.id, SessionOccurrence.starts_at)
    )
    out: dict[int, tuple[int, int, list[Any], datetime | None, list[Any]]] = {}
    for series_id, guild_id, reminders, starts_at, reminded in rows.tuples():
        if series_id not in out:  # the earliest upcoming occurrence
            out[series_id] = (series_id, guild_id, reminders or [], starts_at, reminded or [])
    return list(out.values())


async def offer_expiries(session: AsyncSession) -> dict[int, datetime]:
    """The earliest pending waitlist offer expiry per series."""
    rows = await session.execute(
        select(SessionRsvp.series_id, func.min(SessionRsvp.offer_expires_at))
        .where(SessionRsvp.status == "waitlist", SessionRsvp.offer_expires_at.is_not(None))
        .group_by(SessionRsvp.series_id)
    )
    return {series_id: when for series_id, when in rows.tuples() if when is not None}


async def acted_in_sprint(session: AsyncSession, sprint_id: int) -> set[int]:
    """Members who did something in the sprint: set a goal, checked in, wrote a debrief note."""
    found: set[int] = set()
    for column, sprint in (
        (Goal.user_id, Goal.sprint_id),
        (CheckIn.user_id, CheckIn.sprint_id),
        (DebriefNote.user_id, DebriefNote.sprint_id),
    ):
        found.update(await session.scalars(select(column).where(sprint == sprint_id).distinct()))
    return found


async def attendance(
    session: AsyncSession, occurrence_id: int, user_id: int
) -> SessionAttendance | None:
    return (
        await session.scalars(
            select(SessionAttendance).where(
                SessionAttendance.occurrence_id == occurrence_id,
                SessionAttendance.user_id == user_id,
            )
        )
    ).first()


async def running_occurrences_in_voice(
    session: AsyncSession, voice_channel_id: int
) -> list[SessionOccurrence]:
    """Occurrences whose sprint is running and linked to this voice channel."""
    return list(
        await session.scalars(
            select(SessionOccurrence)
            .join(Sprint, Sprint.id == SessionOccurrence.sprint_id)
            .where(
                Sprint.voice_channel_id == voice_channel_id,
                Sprint.status.in_(("running", "paused")),
                SessionOccurrence.ended_at.is_(None),
            )
        )
    )
