"""What a slot offer posts: outbox rows for its card and the confirmation line, enqueued in the
transaction of the change."""

from __future__ import annotations

from typing import Any

from bot.delivery.outbox import Outgoing, Priority

__all__ = ["card_edit", "card_ref", "card_send", "line"]


def card_ref(offer_id: int) -> str:
    """The outbox ref (and supersede key) of an offer's card."""
    return f"offer_card:{offer_id}"


def topic(offer_id: int) -> str:
    return f"offer:{offer_id}"


def card_send(guild_id: int, channel_id: int, offer_id: int, payload: dict[str, Any]) -> Outgoing:
    return Outgoing(
        kind="send",
        payload=payload,
        channel_id=channel_id,
        ref=card_ref(offer_id),
        priority=Priority.CARD,
        guild_id=guild_id,
        topic=topic(offer_id),
    )


def card_edit(
    guild_id: int, channel_id: int, offer_id: int, message_id: int | None, payload: dict[str, Any]
) -> Outgoing:
    """The card brought up to date (a newer edit supersedes one not yet sent)."""
    return Outgoing(
        kind="edit",
        payload=payload,
        channel_id=channel_id,
        target_message_id=message_id,
        target_ref=card_ref(offer_id),
        supersede_key=card_ref(offer_id),
        priority=Priority.CARD,
        guild_id=guild_id,
        topic=topic(offer_id),
    )


def line(guild_id: int, channel_id: int, offer_id: int, payload: dict[str, Any]) -> Outgoing:
    """A message in the offer's channel (the confirmation), after the card's edit."""
    return Outgoing(
        kind="send",
        payload=payload,
        channel_id=channel_id,
        priority=Priority.CARD,
        guild_id=guild_id,
        topic=topic(offer_id),
    )
