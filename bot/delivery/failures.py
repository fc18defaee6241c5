"""Permanent delivery failures, for a manager to see (`/sprint settings`, `/accountability show`).

The sender records one ``DeliveryFailure`` per guild, channel and kind of error per minute when
Discord refuses a message for good (missing permission or access, deleted channel). Nothing here
talks to Discord; cogs render the rows (``reason`` is a sentence naming the channel as ``<#id>``).

A service finds the failures of its own posts by the ``topic`` it gave them when it enqueued
them (``Outgoing(topic=...)``): ``failures_for(session, guild_id, topic="accountability")``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import DeliveryFailure, OutboxMessage


async def recent_failures(
    session: AsyncSession,
    guild_id: int,
    *,
    limit: int = 10,
    include_acknowledged: bool = False,
) -> list[DeliveryFailure]:
    """The guild's latest delivery failures, newest first (unacknowledged ones by default)."""
    return await failures_for(
        session, guild_id, limit=limit, include_acknowledged=include_acknowledged
    )


async def failures_for(
    session: AsyncSession,
    guild_id: int,
    *,
    topic: str | None = None,
    channel_id: int | None = None,
    since: datetime | None = None,
    unattributed_in: int | None = None,
    include_acknowledged: bool = False,
    limit: int | None = 10,
) -> list[DeliveryFailure]:
    """The guild's delivery failures, newest first (unacknowledged ones by default).

    - ``topic``: only failures of rows enqueued with that topic (all rows when None);
    - ``channel_id``: only failures in that channel;
    - ``since``: only failures recorded at or after that time;
    - ``unattributed_in``: with ``topic``, also failures a service noted itself without an
      outbox row (``outbox_id`` empty) in that channel.
    """
    stmt: Select[tuple[DeliveryFailure]] = select(DeliveryFailure).where(
        DeliveryFailure.guild_id == guild_id
    )
    if topic is not None:
        stmt = stmt.where(_of_topic(topic, unattributed_in=unattributed_in))
    if channel_id is not None:
        stmt = stmt.where(DeliveryFailure.channel_id == channel_id)
    if since is not None:
        stmt = stmt.where(DeliveryFailure.created_at >= since)
    if not include_acknowledged:
        stmt = stmt.where(DeliveryFailure.acknowledged.is_(False))
    stmt = stmt.order_by(DeliveryFailure.created_at.desc(), DeliveryFailure.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def acknowledge_failures(
    session: AsyncSession,
    guild_id: int,
    *,
    topic: str | None = None,
    unattributed: bool = True,
) -> int:
    """Mark the guild's failures as seen (e.g. after a manager fixed the permission).

    With ``topic``: only failures of rows of that topic, plus (``unattributed``) the failures
    noted without an outbox row. Returns how many were marked.
    """
    stmt = update(DeliveryFailure).where(
        DeliveryFailure.guild_id == guild_id, DeliveryFailure.acknowledged.is_(False)
    )
    if topic is not None:
        of_topic = DeliveryFailure.outbox_id.in_(
            select(OutboxMessage.id).where(OutboxMessage.topic == topic)
        )
        stmt = stmt.where(
            or_(DeliveryFailure.outbox_id.is_(None), of_topic) if unattributed else of_topic
        )
    result = await session.execute(
        stmt.values(acknowledged=True), execution_options={"synchronize_session": False}
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _of_topic(topic: str, *, unattributed_in: int | None) -> ColumnElement[bool]:
    of_topic = DeliveryFailure.outbox_id.in_(
        select(OutboxMessage.id).where(OutboxMessage.topic == topic)
    )
    if unattributed_in is None:
        return of_topic
    return or_(
        of_topic,
        and_(DeliveryFailure.outbox_id.is_(None), DeliveryFailure.channel_id == unattributed_in),
    )
