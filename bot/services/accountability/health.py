"""Whether the weekly posts can still be delivered: failures of our posts, read through
``bot.delivery.reports``, turn the schedule off with a reason a manager sees in
``/accountability show``."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import reports
from bot.delivery.reports import FailureReport
from bot.domain.text import truncate
from bot.render.accountability import is_week_ref
from db.models import AccountabilityConfig, DeliveryFailure

__all__ = ["acknowledge_failures", "channel_failure", "disable_for", "problems"]

log = logging.getLogger(__name__)


def _ours(failure: FailureReport) -> bool:
    """A failure of one of the weekly thread's posts."""
    return failure.post is not None and any(is_week_ref(r) for r in failure.post.refs)


async def channel_failure(session: AsyncSession, cfg: AccountabilityConfig) -> str | None:
    """The reason of a permanent failure of one of our posts to the configured channel."""
    for failure in await reports.open_failures(session, cfg.guild_id, since=cfg.active_from):
        if (
            _ours(failure)
            and failure.post is not None
            and (failure.post.channel_id == cfg.channel_id)
        ):
            return f"Posting in <#{cfg.channel_id}> failed: {failure.reason}"
    return None


async def acknowledge_failures(session: AsyncSession, guild_id: int) -> None:
    """Mark our failures (and those not tied to a post) as seen: a manager set things up anew."""
    await reports.acknowledge(
        session,
        [
            f.id
            for f in await reports.open_failures(session, guild_id)
            if f.outbox_id is None or _ours(f)
        ],
    )


async def problems(session: AsyncSession, cfg: AccountabilityConfig) -> list[str]:
    """The latest three unacknowledged failures of the weekly posts."""
    return [
        f.reason
        for f in await reports.open_failures(session, cfg.guild_id)
        if (f.outbox_id is None and f.channel_id == cfg.channel_id) or _ours(f)
    ][:3]


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
