"""The sprint area's SQL, as named queries (each says what it returns or changes).

Rows and the pure domain meet here too: :func:`state_of` reads a row's timer state and
:func:`apply_state` writes one back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.sprint import SprintState, Status
from bot.views.sprint import HistoryEntry
from db.models import OutboxMessage, Participant, PresenceSpan, Sprint, UserSettings, WorkSpan
from db.repositories import ACTIVE_STATUSES, active_sprint_in_channel

__all__ = [
    "ACTIVE_STATUSES",
    "activate_participant",
    "active_count",
    "active_in_channel",
    "active_sprint_in_channel",
    "active_sprints_of_channel",
    "add_first_members",
    "apply_state",
    "close_presence",
    "close_work",
    "fill_card_message_id",
    "history_entries",
    "locked_sprint",
    "participant",
    "participant_ids_by_sprint",
    "participants_of",
    "ping_targets",
    "recent_sprints",
    "running_sprint_timers",
    "sprints_linked_to_voice",
    "state_of",
]


def state_of(row: Sprint) -> SprintState:
    return SprintState(
        status=Status(row.status),
        phase_index=row.phase_index,
        phase_started_at=row.phase_started_at,
        phase_ends_at=row.phase_ends_at,
        paused_remaining=(
            None if row.paused_remaining_s is None else timedelta(seconds=row.paused_remaining_s)
        ),
        ended_at=row.ended_at,
    )


def apply_state(row: Sprint, state: SprintState) -> None:
    row.status = state.status.value
    row.phase_index = state.phase_index
    row.phase_started_at = state.phase_started_at
    row.phase_ends_at = state.phase_ends_at
    row.paused_remaining_s = (
        state.paused_remaining.total_seconds() if state.paused_remaining is not None else None
    )
    row.ended_at = state.ended_at


async def locked_sprint(session: AsyncSession, sprint_id: int) -> Sprint | None:
    """The sprint row, locked for this transaction (None when it does not exist)."""
    stmt = select(Sprint).where(Sprint.id == sprint_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def active_in_channel(
    session: AsyncSession, channel_id: int, *, voice_only: bool = False
) -> Sprint | None:
    """The active sprint of a text channel, or of the voice channel it is linked to."""
    if not voice_only:
        row = await active_sprint_in_channel(session, channel_id)
        if row is not None:
            return row
    stmt = (
        select(Sprint)
        .where(Sprint.voice_channel_id == channel_id, Sprint.status.in_(ACTIVE_STATUSES))
        .order_by(Sprint.id)
        .limit(1)
    )
    return (await session.scalars(stmt)).one_or_none()


async def sprints_linked_to_voice(session: AsyncSession, voice_channel_id: int) -> list[Sprint]:
    stmt = select(Sprint).where(
        Sprint.voice_channel_id == voice_channel_id, Sprint.status.in_(ACTIVE_STATUSES)
    )
    return list(await session.scalars(stmt))


async def active_sprints_of_channel(session: AsyncSession, channel_id: int) -> list[Sprint]:
    """Active sprints posting in ``channel_id`` or linked to it as their voice channel, locked."""
    stmt = (
        select(Sprint)
        .where(
            Sprint.status.in_(ACTIVE_STATUSES),
            (Sprint.channel_id == channel_id) | (Sprint.voice_channel_id == channel_id),
        )
        .with_for_update()
    )
    return list(await session.scalars(stmt))


async def recent_sprints(session: AsyncSession, guild_id: int, limit: int) -> list[Sprint]:
    """The server's most recent sprints, newest first."""
    stmt = (
        select(Sprint)
        .where(Sprint.guild_id == guild_id)
        .order_by(Sprint.created_at.desc(), Sprint.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def participant_ids_by_sprint(
    session: AsyncSession, sprint_ids: Sequence[int]
) -> dict[int, list[int]]:
    """Each sprint's members (user ids) in the order they joined."""
    people: dict[int, list[int]] = {sid: [] for sid in sprint_ids}
    if not people:
        return people
    rows = await session.execute(
        select(Participant.sprint_id, Participant.user_id)
        .where(Participant.sprint_id.in_(list(people)))
        .order_by(Participant.joined_at, Participant.id)
    )
    for sid, uid in rows:
        people[sid].append(uid)
    return people


async def history_entries(session: AsyncSession, guild_id: int, limit: int) -> list[HistoryEntry]:
    """The server's most recent sprints, newest first, with their members and summaries."""
    rows = await recent_sprints(session, guild_id, limit)
    people = await participant_ids_by_sprint(session, [row.id for row in rows])
    return [
        HistoryEntry(
            id=row.id,
            title=row.title,
            channel_id=row.channel_id,
            host_id=row.host_id,
            status=row.status,
            end_reason=row.end_reason,
            created_at=row.created_at,
            ended_at=row.ended_at,
            rounds=int(row.plan.get("rounds", 0)),
            participant_ids=tuple(people[row.id]),
            summary=row.summary if isinstance(row.summary, dict) else None,
        )
        for row in rows
    ]


async def running_sprint_timers(
    session: AsyncSession,
) -> Sequence[Row[tuple[int, int, str, datetime | None, int | None, float]]]:
    """(id, guild, status, phase end, voice channel, speed) of every active sprint."""
    stmt = select(
        Sprint.id,
        Sprint.guild_id,
        Sprint.status,
        Sprint.phase_ends_at,
        Sprint.voice_channel_id,
        Sprint.speed,
    ).where(Sprint.status.in_(ACTIVE_STATUSES))
    return (await session.execute(stmt)).all()


async def participants_of(session: AsyncSession, sprint_id: int) -> list[Participant]:
    """Every member who joined the sprint (active or not), in the order they joined."""
    stmt = (
        select(Participant)
        .where(Participant.sprint_id == sprint_id)
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(await session.scalars(stmt))


async def participant(session: AsyncSession, sprint_id: int, user_id: int) -> Participant | None:
    stmt = select(Participant).where(
        Participant.sprint_id == sprint_id, Participant.user_id == user_id
    )
    return (await session.scalars(stmt)).one_or_none()


def add_first_members(
    session: AsyncSession, sprint_id: int, members: Sequence[tuple[int, str]], now: datetime
) -> None:
    """The members a new sprint starts with (user id, display name), each with a presence span."""
    for user_id, name in members:
        session.add(
            Participant(
                sprint_id=sprint_id,
                user_id=user_id,
                display_name=name[:100],
                active=True,
                ping=True,
                joined_at=now,
            )
        )
        session.add(PresenceSpan(sprint_id=sprint_id, user_id=user_id, started_at=now))


async def activate_participant(
    session: AsyncSession,
    sprint_id: int,
    user_id: int,
    name: str,
    now: datetime,
    *,
    ping: bool | None = None,
) -> bool:
    """Make the member an active participant (with a new presence span); False when already in.

    ``ping`` (when given) is stored either way.
    """
    part = await participant(session, sprint_id, user_id)
    already = part is not None and part.active
    if part is None:
        part = Participant(
            sprint_id=sprint_id,
            user_id=user_id,
            display_name=name[:100],
            active=True,
            ping=True if ping is None else ping,
            joined_at=now,
        )
        session.add(part)
    elif not part.active:
        part.active = True
        part.left_at = None
        part.display_name = name[:100] or part.display_name
    if ping is not None:
        part.ping = ping
    if already:
        return False
    session.add(PresenceSpan(sprint_id=sprint_id, user_id=user_id, started_at=now))
    return True


async def active_count(session: AsyncSession, sprint_id: int) -> int:
    """How many members are still in the sprint."""
    stmt = select(Participant.id).where(
        Participant.sprint_id == sprint_id, Participant.active.is_(True)
    )
    return len((await session.execute(stmt)).all())


async def ping_targets(session: AsyncSession, sprint_id: int, limit: int) -> list[int]:
    """Active members who asked for phase pings (and did not turn them off for themselves)."""
    rows = await session.execute(
        select(Participant.user_id, UserSettings.ping_on_phase)
        .outerjoin(UserSettings, UserSettings.user_id == Participant.user_id)
        .where(
            Participant.sprint_id == sprint_id,
            Participant.active.is_(True),
            Participant.ping.is_(True),
        )
        .order_by(Participant.joined_at, Participant.id)
    )
    return [uid for uid, wants in rows if wants is None or wants][:limit]


async def close_work(session: AsyncSession, sprint_id: int, at: datetime) -> None:
    """End the sprint's open work span at ``at``."""
    stmt = select(WorkSpan).where(WorkSpan.sprint_id == sprint_id, WorkSpan.ended_at.is_(None))
    for span in await session.scalars(stmt):
        span.ended_at = max(at, span.started_at)


async def close_presence(
    session: AsyncSession, sprint_id: int, at: datetime, *, user_id: int | None = None
) -> None:
    """End the open presence spans of the sprint (or of one member) at ``at``."""
    stmt = select(PresenceSpan).where(
        PresenceSpan.sprint_id == sprint_id, PresenceSpan.ended_at.is_(None)
    )
    if user_id is not None:
        stmt = stmt.where(PresenceSpan.user_id == user_id)
    for span in await session.scalars(stmt):
        span.ended_at = max(at, span.started_at)


async def fill_card_message_id(session: AsyncSession, row: Sprint, card_ref: str) -> int | None:
    """The card's message id, filled in from the newest card row when not yet known.

    The newest card is the one that counts (a deleted card is posted again, see
    ``SprintService.message_gone``): None until that row is delivered. A harmless cache fill;
    safe to write in any transaction that reads the row.
    """
    if row.card_message_id is None:
        found = (
            await session.scalars(
                select(OutboxMessage.result_id)
                .where(OutboxMessage.ref == card_ref, OutboxMessage.kind == "send")
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).first()
        if found is not None:
            await session.execute(
                update(Sprint)
                .where(Sprint.id == row.id, Sprint.card_message_id.is_(None))
                .values(card_message_id=found)
            )
            row.card_message_id = found
    return row.card_message_id
