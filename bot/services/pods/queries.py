"""Named queries of the pods area (all its SQL lives here)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import failures
from bot.render.pods import thread_ref
from bot.services.pods.messages import topic as pods_topic
from db.models import (
    AccountabilityConfig,
    OutboxMessage,
    PodBlock,
    PodConfig,
    PodGroup,
    PodMember,
    PodRound,
    PodSeat,
    UserSettings,
)


async def config(session: AsyncSession, config_id: int, *, lock: bool = False) -> PodConfig | None:
    stmt = select(PodConfig).where(PodConfig.id == config_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def config_by_channel(session: AsyncSession, channel_id: int) -> PodConfig | None:
    return (
        await session.execute(select(PodConfig).where(PodConfig.channel_id == channel_id))
    ).scalar_one_or_none()


async def configs_of_guild(session: AsyncSession, guild_id: int) -> list[PodConfig]:
    rows = await session.execute(
        select(PodConfig).where(PodConfig.guild_id == guild_id).order_by(PodConfig.id)
    )
    return list(rows.scalars())


async def enabled_config_ids(session: AsyncSession) -> list[int]:
    rows = await session.execute(select(PodConfig.id, PodConfig.guild_id).where(PodConfig.enabled))
    return [cid for cid, _ in rows.all()]


async def config_of_thread(
    session: AsyncSession, guild_id: int, thread_id: int
) -> PodConfig | None:
    """The config whose pod has this thread (by the stored id or the sender's result)."""
    pod = await pod_by_thread(session, thread_id)
    if pod is None:
        return None
    rnd = await session.get(PodRound, pod.round_id)
    cfg = await session.get(PodConfig, rnd.config_id) if rnd is not None else None
    return cfg if cfg is not None and cfg.guild_id == guild_id else None


async def pod_by_thread(session: AsyncSession, thread_id: int) -> PodGroup | None:
    found = (
        await session.execute(select(PodGroup).where(PodGroup.thread_id == thread_id).limit(1))
    ).scalar_one_or_none()
    if found is not None:
        return found
    ref = (
        await session.execute(
            select(OutboxMessage.ref).where(
                OutboxMessage.result_id == thread_id,
                OutboxMessage.ref.startswith("pod_thread:", autoescape=True),
            )
        )
    ).scalar_one_or_none()
    if ref is None:
        return None
    return await session.get(PodGroup, int(ref.split(":", 1)[1]))


async def member(
    session: AsyncSession, config_id: int, user_id: int, *, lock: bool = False
) -> PodMember | None:
    stmt = select(PodMember).where(PodMember.config_id == config_id, PodMember.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_or_create_member(
    session: AsyncSession, config_id: int, user_id: int, name: str
) -> tuple[PodMember, bool]:
    row = await member(session, config_id, user_id, lock=True)
    if row is not None:
        return row, False
    row = PodMember(config_id=config_id, user_id=user_id, display_name=name[:100], opted_in=False)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = await member(session, config_id, user_id, lock=True)
        assert found is not None
        return found, False
    return row, True


async def members_in(session: AsyncSession, config_id: int) -> list[PodMember]:
    rows = await session.execute(
        select(PodMember)
        .where(PodMember.config_id == config_id, PodMember.opted_in)
        .order_by(PodMember.user_id)
    )
    return list(rows.scalars())


async def count_in(session: AsyncSession, config_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(PodMember)
                .where(PodMember.config_id == config_id, PodMember.opted_in)
            )
        ).scalar_one()
    )


async def members_by_user(
    session: AsyncSession, config_id: int, user_ids: Collection[int]
) -> dict[int, PodMember]:
    out: dict[int, PodMember] = {}
    ids = list(user_ids)
    for at in range(0, len(ids), 500):
        rows = await session.execute(
            select(PodMember).where(
                PodMember.config_id == config_id, PodMember.user_id.in_(ids[at : at + 500])
            )
        )
        out.update({m.user_id: m for m in rows.scalars()})
    return out


async def latest_round(session: AsyncSession, config_id: int) -> PodRound | None:
    return (
        await session.execute(
            select(PodRound)
            .where(PodRound.config_id == config_id)
            .order_by(PodRound.number.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def recent_rounds(session: AsyncSession, config_id: int, count: int) -> list[PodRound]:
    rows = await session.execute(
        select(PodRound)
        .where(PodRound.config_id == config_id)
        .order_by(PodRound.number.desc())
        .limit(count)
    )
    return list(rows.scalars())


async def pods_of(session: AsyncSession, round_id: int) -> list[PodGroup]:
    rows = await session.execute(
        select(PodGroup).where(PodGroup.round_id == round_id).order_by(PodGroup.number)
    )
    return list(rows.scalars())


async def seats_of_round(session: AsyncSession, round_id: int) -> dict[int, list[PodSeat]]:
    """pod id → its seats (members who left mid-round included, with ``left_at``)."""
    rows = await session.execute(
        select(PodSeat)
        .join(PodGroup, PodGroup.id == PodSeat.pod_id)
        .where(PodGroup.round_id == round_id)
        .order_by(PodSeat.pod_id, PodSeat.id)
    )
    out: dict[int, list[PodSeat]] = {}
    for seat in rows.scalars():
        out.setdefault(seat.pod_id, []).append(seat)
    return out


async def round_groups(
    session: AsyncSession, round_ids: Sequence[int]
) -> dict[int, list[list[int]]]:
    """round id → its pods as lists of the members still in them."""
    if not round_ids:
        return {}
    rows = await session.execute(
        select(PodGroup.round_id, PodSeat.pod_id, PodSeat.user_id)
        .join(PodGroup, PodGroup.id == PodSeat.pod_id)
        .where(PodGroup.round_id.in_(list(round_ids)), PodSeat.left_at.is_(None))
        .order_by(PodSeat.pod_id, PodSeat.user_id)
    )
    pods: dict[int, dict[int, list[int]]] = {}
    for round_id, pod_id, user_id in rows.all():
        pods.setdefault(round_id, {}).setdefault(pod_id, []).append(user_id)
    return {rid: list(by_pod.values()) for rid, by_pod in pods.items()}


async def seat_of(
    session: AsyncSession, round_id: int, user_id: int
) -> tuple[PodSeat, PodGroup] | None:
    row = (
        await session.execute(
            select(PodSeat, PodGroup)
            .join(PodGroup, PodGroup.id == PodSeat.pod_id)
            .where(
                PodGroup.round_id == round_id,
                PodSeat.user_id == user_id,
                PodSeat.left_at.is_(None),
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def seat_in_pod(session: AsyncSession, pod_id: int, user_id: int) -> PodSeat | None:
    return (
        await session.execute(
            select(PodSeat)
            .where(PodSeat.pod_id == pod_id, PodSeat.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def blocks_among(
    session: AsyncSession, guild_id: int, user_ids: Collection[int]
) -> dict[int, set[int]]:
    """Each member's private "not again" list (only pairs where both are among ``user_ids``)."""
    ids = set(user_ids)
    rows = await session.execute(
        select(PodBlock.user_id, PodBlock.other_id).where(PodBlock.guild_id == guild_id)
    )
    out: dict[int, set[int]] = {}
    for user_id, other_id in rows.all():
        if user_id in ids and other_id in ids:
            out.setdefault(user_id, set()).add(other_id)
    return out


async def block(
    session: AsyncSession, guild_id: int, user_id: int, other_id: int
) -> PodBlock | None:
    return await session.get(PodBlock, (guild_id, user_id, other_id))


async def personal_zones(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    ids = list(user_ids)
    out: dict[int, str] = {}
    for at in range(0, len(ids), 500):
        rows = await session.execute(
            select(UserSettings.user_id, UserSettings.timezone).where(
                UserSettings.user_id.in_(ids[at : at + 500]), UserSettings.timezone.is_not(None)
            )
        )
        out.update({uid: zone for uid, zone in rows.all() if zone})
    return out


async def resolve_threads(session: AsyncSession, pods: Sequence[PodGroup]) -> None:
    """Fill ``thread_id`` of pods whose thread the sender has created since."""
    waiting = {thread_ref(p.id): p for p in pods if p.thread_id is None}
    if not waiting:
        return
    refs = list(waiting)
    for at in range(0, len(refs), 500):
        rows = await session.execute(
            select(OutboxMessage.ref, OutboxMessage.result_id).where(
                OutboxMessage.ref.in_(refs[at : at + 500]), OutboxMessage.result_id.is_not(None)
            )
        )
        for ref, result_id in rows.all():
            waiting[ref].thread_id = result_id


async def insert_pods(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    for at in range(0, len(rows), 1000):
        await session.execute(insert(PodGroup), rows[at : at + 1000])


async def insert_seats(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    for at in range(0, len(rows), 1000):
        await session.execute(insert(PodSeat), rows[at : at + 1000])


async def mark_failed_threads(session: AsyncSession, pods: Sequence[PodGroup]) -> None:
    """Pods whose thread could not be created (e.g. a permission was taken away): their posts
    go to the pods channel from now on."""
    waiting = {thread_ref(p.id): p for p in pods if p.thread_id is None and not p.thread_gone}
    refs = list(waiting)
    for at in range(0, len(refs), 500):
        rows = await session.execute(
            select(OutboxMessage.ref).where(
                OutboxMessage.ref.in_(refs[at : at + 500]),
                OutboxMessage.status.in_(("failed", "dropped")),
            )
        )
        for (ref,) in rows.all():
            waiting[ref].thread_gone = True


async def problems(session: AsyncSession, cfg: PodConfig) -> list[str]:
    """Recent failures of the pods channel's posts a manager has not dealt with (newest first)."""
    found = await failures.failures_for(
        session, cfg.guild_id, topic=pods_topic(cfg), unattributed_in=cfg.channel_id, limit=3
    )
    return [f.reason for f in found]


async def acknowledge_problems(session: AsyncSession, cfg: PodConfig) -> None:
    await failures.acknowledge_failures(
        session, cfg.guild_id, topic=pods_topic(cfg), unattributed=False
    )


async def accountability_set_up(session: AsyncSession, guild_id: int) -> bool:
    """Whether the guild has a weekly accountability schedule (its days and times)."""
    found = await session.get(AccountabilityConfig, guild_id)
    return found is not None
