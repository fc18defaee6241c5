"""Members moving during a round: leaving a pod (it carries on) and being seated in one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.services.pods import messages, queries
from bot.services.pods.types import PodRef
from db.models import PodConfig, PodGroup, PodRound, PodSeat


async def leave_round(session: AsyncSession, cfg: PodConfig, user_id: int, now: datetime) -> None:
    """Take the member out of the running round's pod; a pod left with one member moves that
    member to another pod with room, if one fits (else they carry on alone until next round)."""
    rnd = await queries.latest_round(session, cfg.id)
    if rnd is None or rnd.closed_at is not None:
        return
    found = await queries.seat_of(session, rnd.id, user_id)
    if found is None:
        return
    seat, pod = found
    seat.left_at = now
    await queries.resolve_threads(session, [pod])
    others = [
        s
        for s in (await queries.seats_of_round(session, rnd.id)).get(pod.id, [])
        if s.left_at is None and s.user_id != user_id
    ]
    alone = others[0].user_id if len(others) == 1 else None
    await enqueue(session, messages.left(cfg, pod, user_id, alone))
    if alone is not None:
        moved = await place(session, cfg, rnd, alone, now, exclude=pod.id)
        if moved is not None:
            others[0].left_at = now


async def place(
    session: AsyncSession,
    cfg: PodConfig,
    rnd: PodRound,
    user_id: int,
    now: datetime,
    *,
    exclude: int | None = None,
) -> PodRef | None:
    """Seat a member in a running round's pod with room (never with a "not again")."""
    pods = await queries.pods_of(session, rnd.id)
    seats = await queries.seats_of_round(session, rnd.id)
    everyone = {s.user_id for group in seats.values() for s in group} | {user_id}
    blocked = await queries.blocks_among(session, cfg.guild_id, everyone)
    avoid = set(blocked.get(user_id, set())) | {u for u, o in blocked.items() if user_id in o}
    best: tuple[int, int, PodGroup, list[int]] | None = None
    for pod in pods:
        ids = [s.user_id for s in seats.get(pod.id, []) if s.left_at is None]
        if pod.id == exclude or not ids or len(ids) > cfg.size or avoid & set(ids):
            continue
        if any(s.user_id == user_id for s in seats.get(pod.id, [])):
            continue  # they were in it before; don't bounce them back
        key = (len(ids), pod.number)
        if best is None or key < best[:2]:
            best = (key[0], key[1], pod, ids)
    if best is None:
        return None
    _, _, pod, mates = best
    session.add(PodSeat(pod_id=pod.id, user_id=user_id))
    await queries.resolve_threads(session, [pod])
    await enqueue(session, messages.moved_in(cfg, pod, user_id, mates))
    return PodRef(
        pod.id,
        pod.number,
        rnd.number,
        pod.thread_id,
        tuple(mates),
        pod.met_at is not None,
        rnd.ends_at,
    )
