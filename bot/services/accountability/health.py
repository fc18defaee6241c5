"""Whether the weekly posts can still be delivered: failures of our posts (outbox topic
``accountability``), read through ``bot.delivery.failures``, turn the schedule off with a reason a
manager sees in ``/accountability show``."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.failures import acknowledge_failures as acknowledge_topic
from bot.delivery.failures import failures_for
from bot.domain.text import truncate
from bot.services.accountability.messages import TOPIC
from db.models import AccountabilityConfig, DeliveryFailure

__all__ = ["acknowledge_failures", "channel_failure", "disable_for", "problems"]

log = logging.getLogger(__name__)


async def channel_failure(session: AsyncSession, cfg: AccountabilityConfig) -> str | None:
    """The reason of a permanent failure of one of our posts to the configured channel."""
    failures = await failures_for(
        session,
        cfg.guild_id,
        topic=TOPIC,
        channel_id=cfg.channel_id,
        since=cfg.active_from,
        limit=1,
    )
    if not failures:
        return None
    return f"Posting in <#{cfg.channel_id}> failed: {failures[0].reason}"


async def acknowledge_failures(session: AsyncSession, guild_id: int) -> None:
    """Mark our failures (and those not tied to a post) as seen: a manager set things up anew."""
    await acknowledge_topic(session, guild_id, topic=TOPIC)


async def problems(session: AsyncSession, cfg: AccountabilityConfig) -> list[str]:
    """The latest three unacknowledged failures of the weekly posts (and of the channel)."""
    failures = await failures_for(
        session, cfg.guild_id, topic=TOPIC, unattributed_in=cfg.channel_id, limit=3
    )
    return [f.reason for f in failures]


def disable_for(
    session: AsyncSession, cfg: AccountabilityConfig, reason: str, *, note: bool, now: datetime
) -> None:
    """Turn the schedule off with ``reason``; ``note`` also records it as a failure a manager
    sees (when nothing else recorded one, e.g. the channel was deleted)."""
    cfg.enabled = False
    cfg.disabled_reason = truncate(reason, 200)
    if note:
        session.add(
            DeliveryFailure(
                guild_id=cfg.guild_id,
                channel_id=cfg.channel_id,
                outbox_id=None,
                reason=truncate(reason, 300),
                created_at=now,
            )
        )
    log.warning("weekly accountability disabled in guild %s: %s", cfg.guild_id, reason)
