"""What a standing session posts: outbox rows for the card, reminders, the start, offers and the
attendance line. The service enqueues them in the transaction of the change."""

from __future__ import annotations

from typing import Any

from bot.delivery.outbox import Outgoing, Priority

__all__ = ["card_edit", "card_ref", "card_send", "line", "topic"]


def card_ref(series_id: int) -> str:
    """The outbox ref (and supersede key) of a series' card."""
    return f"session_card:{series_id}"


def topic(series_id: int) -> str:
    return f"session:{series_id}"


def card_send(guild_id: int, channel_id: int, series_id: int, payload: dict[str, Any]) -> Outgoing:
    return Outgoing(
        kind="send",
        payload=payload,
        channel_id=channel_id,
        ref=card_ref(series_id),
        priority=Priority.NOTICE,
        guild_id=guild_id,
        topic=card_ref(series_id),  # a held (coalesced) card edit never holds back a reminder
    )


def card_edit(
    guild_id: int,
    channel_id: int,
    series_id: int,
    message_id: int | None,
    payload: dict[str, Any],
) -> Outgoing:
    """The card brought up to date (a newer edit supersedes one not yet sent)."""
    return Outgoing(
        kind="edit",
        payload=payload,
        channel_id=channel_id,
        target_message_id=message_id,
        target_ref=card_ref(series_id),
        supersede_key=card_ref(series_id),
        priority=Priority.CARD,
        guild_id=guild_id,
        topic=card_ref(series_id),
    )


def line(
    guild_id: int,
    channel_id: int,
    series_id: int,
    payload: dict[str, Any],
    *,
    priority: int = Priority.NOTICE,
    sprint_id: int | None = None,
) -> Outgoing:
    """A message in the series' channel (reminder, start, offer, attendance). Below a running
    sprint's phase announcements: a herd of reminders never makes a sprint's announcement late."""
    return Outgoing(
        kind="send",
        payload=payload,
        channel_id=channel_id,
        priority=priority,
        guild_id=guild_id,
        sprint_id=sprint_id,
        topic=topic(series_id),
    )
