"""Named queries of the check-ins area (check-ins, huddles, the debrief)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.goals import LISTED_STATUSES, Scope
from db.models import CheckIn, DebriefNote, Goal, OutboxMessage, Participant

__all__ = [
    "checkin_for_update",
    "checkin_note",
    "checkins_of_sprint",
    "created_ids_of_refs",
    "debrief_note_count",
    "debrief_notes_of_sprint",
    "has_huddle_thread_in_round",
    "is_participant",
    "latest_checkin_statuses",
    "listed_sprint_goals",
    "outbox_ref_exists",
    "participants_of_sprint",
    "posted_targets",
    "thread_row_of_ref",
    "threads_started_in_channel_for_round",
]


async def checkin_for_update(
    session: AsyncSession, sprint_id: int, user_id: int, round_: int
) -> CheckIn | None:
    stmt = (
        select(CheckIn)
        .where(CheckIn.sprint_id == sprint_id, CheckIn.user_id == user_id, CheckIn.round == round_)
        .with_for_update()
    )
    return (await session.scalars(stmt)).one_or_none()


async def checkin_note(
    session: AsyncSession, sprint_id: int, user_id: int, round_: int
) -> str | None:
    stmt = select(CheckIn.note).where(
        CheckIn.sprint_id == sprint_id, CheckIn.user_id == user_id, CheckIn.round == round_
    )
    return (await session.scalars(stmt)).one_or_none()


async def is_participant(session: AsyncSession, sprint_id: int, user_id: int) -> bool:
    """Whether the member ever joined the sprint (active or not)."""
    stmt = select(Participant.id).where(
        Participant.sprint_id == sprint_id, Participant.user_id == user_id
    )
    return (await session.execute(stmt)).first() is not None


async def latest_checkin_statuses(session: AsyncSession, sprint_id: int) -> dict[int, str]:
    """Each member's status in their latest round."""
    stmt = (
        select(CheckIn.user_id, CheckIn.status)
        .where(CheckIn.sprint_id == sprint_id)
        .order_by(CheckIn.round, CheckIn.id)
    )
    return {int(user_id): status for user_id, status in (await session.execute(stmt)).tuples()}


async def created_ids_of_refs(session: AsyncSession, refs: Sequence[str]) -> dict[str, int]:
    """The Discord ids the sender created for these outbox refs (those created so far)."""
    stmt = select(OutboxMessage.ref, OutboxMessage.result_id).where(
        OutboxMessage.ref.in_(list(refs)), OutboxMessage.result_id.is_not(None)
    )
    return {
        ref: int(result_id)
        for ref, result_id in (await session.execute(stmt)).tuples()
        if ref is not None and result_id is not None
    }


async def outbox_ref_exists(session: AsyncSession, ref: str) -> bool:
    stmt = select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)
    return (await session.execute(stmt)).first() is not None


async def threads_started_in_channel_for_round(
    session: AsyncSession, sprint_id: int, round_: int
) -> bool:
    """Whether a huddle thread of this round was requested from the break message already."""
    stmt = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.ref.like(f"huddle:{sprint_id}:{round_}:%"),
            OutboxMessage.kind == "thread",
            OutboxMessage.target_ref.is_not(None),
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def has_huddle_thread_in_round(session: AsyncSession, sprint_id: int, round_: int) -> bool:
    stmt = (
        select(CheckIn.id)
        .where(
            CheckIn.sprint_id == sprint_id,
            CheckIn.round == round_,
            CheckIn.huddle_thread_id.is_not(None),
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def participants_of_sprint(session: AsyncSession, sprint_id: int) -> list[Participant]:
    stmt = (
        select(Participant)
        .where(Participant.sprint_id == sprint_id)
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(await session.scalars(stmt))


async def listed_sprint_goals(session: AsyncSession, sprint_id: int) -> list[Goal]:
    """The sprint's open and done goals, oldest first."""
    stmt = (
        select(Goal)
        .where(
            Goal.sprint_id == sprint_id,
            Goal.scope == Scope.SPRINT,
            Goal.status.in_(LISTED_STATUSES),
        )
        .order_by(Goal.created_at, Goal.id)
    )
    return list(await session.scalars(stmt))


async def checkins_of_sprint(session: AsyncSession, sprint_id: int) -> list[CheckIn]:
    stmt = select(CheckIn).where(CheckIn.sprint_id == sprint_id).order_by(CheckIn.round)
    return list(await session.scalars(stmt))


async def debrief_notes_of_sprint(session: AsyncSession, sprint_id: int) -> list[DebriefNote]:
    stmt = (
        select(DebriefNote)
        .where(DebriefNote.sprint_id == sprint_id)
        .order_by(DebriefNote.created_at, DebriefNote.id)
    )
    return list(await session.scalars(stmt))


async def debrief_note_count(session: AsyncSession, sprint_id: int, user_id: int) -> int:
    stmt = select(func.count(DebriefNote.id)).where(
        DebriefNote.sprint_id == sprint_id, DebriefNote.user_id == user_id
    )
    return int((await session.execute(stmt)).scalar_one())


async def thread_row_of_ref(session: AsyncSession, ref: str) -> tuple[int | None, str] | None:
    """(created thread id, outbox status) of the outbox row that creates thread ``ref``."""
    stmt = (
        select(OutboxMessage.result_id, OutboxMessage.status)
        .where(OutboxMessage.ref == ref, OutboxMessage.kind == "thread")
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    result_id, status = row
    return (int(result_id) if result_id is not None else None), status


async def posted_targets(
    session: AsyncSession, refs: Sequence[str]
) -> dict[str, tuple[int | None, str | None]]:
    """For the sent messages with these refs: ref → (channel id, channel ref) it went to."""
    stmt = select(OutboxMessage.ref, OutboxMessage.channel_id, OutboxMessage.channel_ref).where(
        OutboxMessage.ref.in_(list(refs)), OutboxMessage.kind == "send"
    )
    return {
        ref: (channel, channel_ref)
        for ref, channel, channel_ref in (await session.execute(stmt)).tuples()
        if ref is not None
    }
