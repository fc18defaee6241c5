"""Permanent delivery failures, for a manager to see (`/sprint settings`, `/accountability show`).

The sender records one ``DeliveryFailure`` per guild, channel and kind of error per minute when
Discord refuses a message for good (missing permission or access, deleted channel). Nothing here
talks to Discord; cogs render the rows (``reason`` is a sentence naming the channel as ``<#id>``).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DeliveryFailure


async def recent_failures(
    session: AsyncSession,
    guild_id: int,
    *,
    limit: int = 10,
    include_acknowledged: bool = False,
) -> list[DeliveryFailure]:
    """The guild's latest delivery failures, newest first (unacknowledged ones by default)."""
    stmt = select(DeliveryFailure).where(DeliveryFailure.guild_id == guild_id)
    if not include_acknowledged:
        stmt = stmt.where(DeliveryFailure.acknowledged.is_(False))
    stmt = stmt.order_by(DeliveryFailure.created_at.desc(), DeliveryFailure.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def acknowledge_failures(session: AsyncSession, guild_id: int) -> int:
    """Mark the guild's failures as seen (e.g. after a manager fixed the permission)."""
    result = await session.execute(
        update(DeliveryFailure)
        .where(DeliveryFailure.guild_id == guild_id, DeliveryFailure.acknowledged.is_(False))
        .values(acknowledged=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)
