"""Finding what a pods command or button means: the channel's pods, a member, a pod."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound, ValidationError
from bot.services.pods import queries
from bot.services.pods.types import PodRef
from db.models import PodConfig, PodGroup, PodMember, PodRound

__all__ = ["and_join", "opted_in_member", "pod_in_guild", "pod_ref", "resolve_config"]


def and_join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


async def resolve_config(
    session: AsyncSession,
    guild_id: int,
    channel_id: int | None,
    *,
    enabled_only: bool = True,
) -> PodConfig:
    """The pods a command means: its channel's (or the channel a pod thread is in), else the
    server's only pods channel."""
    cfg: PodConfig | None = None
    if channel_id is not None:
        cfg = await queries.config_by_channel(session, channel_id)
        if cfg is None:
            cfg = await queries.config_of_thread(session, guild_id, channel_id)
    if cfg is None or cfg.guild_id != guild_id:
        configs = [
            c
            for c in await queries.configs_of_guild(session, guild_id)
            if c.enabled or not enabled_only
        ]
        if not configs:
            raise NotFound(
                "Pods aren't on in this server yet. A manager can turn them on with `/pods setup`."
            )
        if len(configs) > 1:
            where = and_join([f"<#{c.channel_id}>" for c in configs])
            raise ValidationError(
                f"Pods run in {where}: run this there (or pick one with `channel:`)."
            )
        cfg = configs[0]
    if enabled_only and not cfg.enabled:
        raise Conflict(
            f"Pods in <#{cfg.channel_id}> are off ({cfg.disabled_reason or 'turned off'})."
        )
    return cfg


async def opted_in_member(session: AsyncSession, cfg: PodConfig, user_id: int) -> PodMember:
    member = await queries.member(session, cfg.id, user_id, lock=True)
    if member is None or not member.opted_in:
        raise Conflict(f"You're not in the pods of <#{cfg.channel_id}> yet: `/pods join` first.")
    return member


async def pod_in_guild(
    session: AsyncSession, guild_id: int, pod_id: int
) -> tuple[PodGroup, PodRound, PodConfig]:
    pod = await session.get(PodGroup, pod_id, with_for_update=True)
    rnd = await session.get(PodRound, pod.round_id) if pod is not None else None
    cfg = await session.get(PodConfig, rnd.config_id) if rnd is not None else None
    if pod is None or rnd is None or cfg is None or cfg.guild_id != guild_id:
        raise NotFound("I can't find that pod any more.")
    return pod, rnd, cfg


async def pod_ref(session: AsyncSession, rnd: PodRound, user_id: int) -> PodRef | None:
    found = await queries.seat_of(session, rnd.id, user_id)
    if found is None:
        return None
    _seat, pod = found
    await queries.resolve_threads(session, [pod])
    seats = (await queries.seats_of_round(session, rnd.id)).get(pod.id, [])
    mates = tuple(s.user_id for s in seats if s.left_at is None and s.user_id != user_id)
    return PodRef(
        pod.id,
        pod.number,
        rnd.number,
        pod.thread_id,
        mates,
        pod.met_at is not None,
        rnd.ends_at,
    )
