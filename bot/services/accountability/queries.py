"""Named queries of weekly accountability: each function says what it returns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.goals import LISTED_STATUSES, GoalStatus
from db.models import (
    AccountabilityConfig,
    AccountabilityMember,
    AccountabilityNote,
    AccountabilityPodWeek,
    AccountabilityPost,
    AccountabilityWeek,
    Goal,
    OutboxMessage,
    Participant,
    PodConfig,
    PodGroup,
    PodSeat,
    Sprint,
)

__all__ = [
    "config_of",
    "created_ids_of_refs",
    "enabled_guild_ids",
    "latest_notes",
    "listed_week_goals",
    "members_named",
    "per_pod_channel_ids",
    "per_pod_configs",
    "pod_members",
    "pod_weeks_of",
    "pod_weeks_of_pod",
    "posts_done",
    "refs_of_created",
    "sprints_attended",
    "week_for_update",
    "week_of_thread",
    "weeks_with_done_goals",
]


async def config_of(
    session: AsyncSession, guild_id: int, *, for_update: bool = False
) -> AccountabilityConfig | None:
    """The guild's configuration row (locked and re-read when ``for_update``)."""
    stmt: Select[tuple[AccountabilityConfig]] = select(AccountabilityConfig).where(
        AccountabilityConfig.guild_id == guild_id
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).one_or_none()


async def enabled_guild_ids(session: AsyncSession) -> list[int]:
    stmt = select(AccountabilityConfig.guild_id).where(AccountabilityConfig.enabled)
    return list(await session.scalars(stmt))


async def posts_done(session: AsyncSession, week_id: int) -> dict[str, datetime]:
    """The week's posts that happened: key → the time it was scheduled for."""
    stmt = select(AccountabilityPost.key, AccountabilityPost.scheduled_at).where(
        AccountabilityPost.week_id == week_id
    )
    return {key: at for key, at in (await session.execute(stmt)).tuples()}


async def week_for_update(session: AsyncSession, week_id: int) -> AccountabilityWeek | None:
    stmt = select(AccountabilityWeek).where(AccountabilityWeek.id == week_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


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


async def week_of_thread(
    session: AsyncSession, guild_id: int, thread_id: int
) -> AccountabilityWeek | None:
    """The week whose thread (as recorded on the week row) is ``thread_id``."""
    stmt = select(AccountabilityWeek).where(
        AccountabilityWeek.guild_id == guild_id, AccountabilityWeek.thread_id == thread_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def refs_of_created(session: AsyncSession, guild_id: int, discord_id: int) -> list[str]:
    """The outbox refs of the rows whose delivery created the Discord object ``discord_id`` (a
    thread started from a message shares the message's id, so there can be two)."""
    stmt = select(OutboxMessage.ref).where(
        OutboxMessage.guild_id == guild_id, OutboxMessage.result_id == discord_id
    )
    return [ref for ref in await session.scalars(stmt) if ref is not None]


async def members_named(
    session: AsyncSession, guild_id: int, user_ids: Iterable[int]
) -> list[AccountabilityMember]:
    """The stored name rows of these members (those that have one)."""
    ids = list(set(user_ids))
    if not ids:
        return []
    stmt = select(AccountabilityMember).where(
        AccountabilityMember.guild_id == guild_id, AccountabilityMember.user_id.in_(ids)
    )
    return list(await session.scalars(stmt))


async def listed_week_goals(session: AsyncSession, week_id: int) -> list[Goal]:
    """The week's open and done goals, in the order they were added."""
    stmt = (
        select(Goal)
        .where(Goal.week_id == week_id, Goal.status.in_(LISTED_STATUSES))
        .order_by(Goal.id)
    )
    return list(await session.scalars(stmt))


async def sprints_attended(
    session: AsyncSession, guild_id: int, start: datetime, end: datetime
) -> dict[int, int]:
    """How many of the guild's sprints each member joined within ``[start, end)``."""
    stmt = (
        select(Participant.user_id, func.count(func.distinct(Participant.sprint_id)))
        .join(Sprint, Sprint.id == Participant.sprint_id)
        .where(
            Sprint.guild_id == guild_id,
            Participant.joined_at >= start,
            Participant.joined_at < end,
        )
        .group_by(Participant.user_id)
    )
    return {uid: int(n) for uid, n in (await session.execute(stmt)).tuples()}


async def weeks_with_done_goals(
    session: AsyncSession, guild_id: int, up_to: date
) -> list[tuple[int, date]]:
    """(member, week start) for every week up to ``up_to`` in which the member finished at least
    one week goal."""
    stmt = (
        select(Goal.user_id, AccountabilityWeek.week_start)
        .join(AccountabilityWeek, AccountabilityWeek.id == Goal.week_id)
        .where(
            AccountabilityWeek.guild_id == guild_id,
            AccountabilityWeek.week_start <= up_to,
            Goal.status == GoalStatus.DONE,
        )
        .distinct()
    )
    return [(uid, start) for uid, start in (await session.execute(stmt)).tuples()]


async def latest_notes(session: AsyncSession, week_id: int) -> dict[int, str]:
    """Each member's latest progress note of the week."""
    stmt = (
        select(AccountabilityNote.user_id, AccountabilityNote.text)
        .where(AccountabilityNote.week_id == week_id)
        .order_by(AccountabilityNote.id)
    )
    return {uid: text for uid, text in (await session.execute(stmt)).tuples()}  # last one wins


async def per_pod_configs(session: AsyncSession, guild_id: int) -> list[PodConfig]:
    """The guild's enabled pods channels that run the weekly cycle in each pod's thread."""
    stmt = (
        select(PodConfig)
        .where(PodConfig.guild_id == guild_id, PodConfig.enabled, PodConfig.accountability_per_pod)
        .order_by(PodConfig.id)
    )
    return list(await session.scalars(stmt))


async def per_pod_channel_ids(session: AsyncSession, guild_id: int) -> list[int]:
    return [cfg.channel_id for cfg in await per_pod_configs(session, guild_id)]


async def pod_weeks_of(
    session: AsyncSession, week_id: int
) -> list[tuple[AccountabilityPodWeek, PodGroup]]:
    """The week's pod threads still running (not archived), with their pods, in pod order."""
    stmt = (
        select(AccountabilityPodWeek, PodGroup)
        .join(PodGroup, PodGroup.id == AccountabilityPodWeek.pod_id)
        .where(
            AccountabilityPodWeek.week_id == week_id, AccountabilityPodWeek.archived_at.is_(None)
        )
        .order_by(PodGroup.round_id, PodGroup.number)
    )
    return [(pw, pod) for pw, pod in (await session.execute(stmt)).tuples()]


async def pod_weeks_of_pod(session: AsyncSession, pod_id: int) -> list[AccountabilityPodWeek]:
    """The weeks that ran (or run) in this pod's thread and are not archived."""
    stmt = select(AccountabilityPodWeek).where(
        AccountabilityPodWeek.pod_id == pod_id, AccountabilityPodWeek.archived_at.is_(None)
    )
    return list(await session.scalars(stmt))


async def pod_members(session: AsyncSession, pod_ids: Sequence[int]) -> dict[int, set[int]]:
    """pod id → the members still in it (those who left mid-round are not)."""
    if not pod_ids:
        return {}
    stmt = select(PodSeat.pod_id, PodSeat.user_id).where(
        PodSeat.pod_id.in_(list(pod_ids)), PodSeat.left_at.is_(None)
    )
    out: dict[int, set[int]] = {pod_id: set() for pod_id in pod_ids}
    for pod_id, user_id in (await session.execute(stmt)).tuples():
        out[pod_id].add(user_id)
    return out
