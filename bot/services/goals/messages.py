"""What a goal change posts (outbox rows; delivered by bot/delivery)."""

from __future__ import annotations

from bot.delivery.outbox import Outgoing, Priority
from bot.render import goals as render
from db.models import Goal

__all__ = ["celebration"]


def celebration(
    goal: Goal,
    done: int,
    total: int,
    *,
    guild_id: int,
    sprint_id: int | None,
    channel_id: int | None = None,
    channel_ref: str | None = None,
) -> Outgoing:
    """The "🎉 ticked off" line for a goal just done (no ping: the owner is named, not pinged),
    in ``channel_id`` or in the channel the outbox row ``channel_ref`` creates."""
    return Outgoing(
        "send",
        render.celebration_payload(goal.user_id, goal.text, done, total),
        channel_id=channel_id,
        channel_ref=channel_ref,
        priority=Priority.NOTICE,
        guild_id=guild_id,
        sprint_id=sprint_id,
    )
