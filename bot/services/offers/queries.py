"""Named queries for slot offers: the offer row (locked for a change), its slots and takers,
the server's open offers and what restore re-arms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.offers import OfferStatus
from db.models import OutboxMessage, SlotOffer, SlotOfferSlot, SlotOfferTaker

__all__ = [
    "card_message_id",
    "delete_dead_drafts",
    "locked_offer",
    "offers_of",
    "open_offers_due",
    "slots_of",
    "takers_of",
]


async def locked_offer(session: AsyncSession, offer_id: int) -> SlotOffer | None:
    """The offer row, locked for the rest of the transaction (``FOR UPDATE`` on PostgreSQL;
    SQLite's ``BEGIN IMMEDIATE`` already serialises writers), read fresh from the database."""
    return await session.get(SlotOffer, offer_id, with_for_update=True, populate_existing=True)


async def slots_of(session: AsyncSession, offer_id: int) -> list[SlotOfferSlot]:
    return list(
        await session.scalars(
            select(SlotOfferSlot)
            .where(SlotOfferSlot.offer_id == offer_id)
            .order_by(SlotOfferSlot.position)
        )
    )


async def takers_of(session: AsyncSession, offer_id: int) -> list[SlotOfferTaker]:
    """Every take or tick of the offer, first first."""
    return list(
        await session.scalars(
            select(SlotOfferTaker)
            .where(SlotOfferTaker.offer_id == offer_id)
            .order_by(SlotOfferTaker.taken_at, SlotOfferTaker.id)
        )
    )


async def offers_of(
    session: AsyncSession, guild_id: int, *, offerer_id: int | None = None
) -> list[SlotOffer]:
    """The server's open offers (only ``offerer_id``'s when given), closing soonest first."""
    stmt = select(SlotOffer).where(
        SlotOffer.guild_id == guild_id, SlotOffer.status == OfferStatus.OPEN.value
    )
    if offerer_id is not None:
        stmt = stmt.where(SlotOffer.offerer_id == offerer_id)
    return list(await session.scalars(stmt.order_by(SlotOffer.expires_at, SlotOffer.id)))


async def open_offers_due(session: AsyncSession) -> list[tuple[int, int, datetime]]:
    """(offer id, guild id, expires at) of every open offer: restore re-arms them."""
    rows = await session.execute(
        select(SlotOffer.id, SlotOffer.guild_id, SlotOffer.expires_at).where(
            SlotOffer.status == OfferStatus.OPEN.value
        )
    )
    return [(i, g, e) for i, g, e in rows.tuples()]


async def delete_dead_drafts(session: AsyncSession, now: datetime, born_before: datetime) -> int:
    """Delete the /findtime drafts that can no longer be offered: made before ``born_before``,
    or whose first slot (``expires_at``, for a draft) has started. Their slots go with them
    (``ON DELETE CASCADE``); a draft has no takers and nothing in the outbox. How many went."""
    result = await session.execute(
        delete(SlotOffer)
        .where(
            SlotOffer.status == OfferStatus.DRAFT.value,
            or_(SlotOffer.created_at < born_before, SlotOffer.expires_at <= now),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def card_message_id(session: AsyncSession, offer: SlotOffer, ref: str) -> int | None:
    """The card's message id, filled in from the delivered outbox row when not yet known."""
    if offer.card_message_id is None:
        found = (
            await session.scalars(
                select(OutboxMessage.result_id)
                .where(
                    OutboxMessage.ref == ref,
                    OutboxMessage.kind == "send",
                    OutboxMessage.result_id.is_not(None),
                )
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).first()
        if found is not None:
            offer.card_message_id = found
    return offer.card_message_id
