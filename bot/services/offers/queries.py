"""Named queries for slot offers: the offer row (locked for a change), its slots and takers,
the server's open offers and what restore re-arms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import sent_message_id
from bot.domain.offers import OfferStatus
from db.models import SlotOffer, SlotOfferSlot, SlotOfferTaker

__all__ = [
    "card_message_id",
    "delete_dead_drafts",
    "delete_takes",
    "involving",
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


async def involving(session: AsyncSession, user_id: int) -> list[SlotOffer]:
    """What a member who turns tracking off still has open, locked: the open offers and drafts
    they made, and the open offers they took or ticked a slot of; by id."""
    took = select(SlotOfferTaker.offer_id).where(SlotOfferTaker.user_id == user_id)
    stmt = (
        select(SlotOffer)
        .where(
            or_(
                and_(
                    SlotOffer.offerer_id == user_id,
                    SlotOffer.status.in_([OfferStatus.OPEN.value, OfferStatus.DRAFT.value]),
                ),
                and_(SlotOffer.status == OfferStatus.OPEN.value, SlotOffer.id.in_(took)),
            )
        )
        .order_by(SlotOffer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def delete_takes(session: AsyncSession, offer_id: int, user_id: int) -> None:
    """The member's takes or ticks on the offer, every slot."""
    await session.execute(
        delete(SlotOfferTaker)
        .where(SlotOfferTaker.offer_id == offer_id, SlotOfferTaker.user_id == user_id)
        .execution_options(synchronize_session=False)
    )


async def card_message_id(session: AsyncSession, offer: SlotOffer, ref: str) -> int | None:
    """The card's message id, filled in from the delivered outbox row when not yet known."""
    if offer.card_message_id is None:
        found = await sent_message_id(session, ref)
        if found is not None:
            offer.card_message_id = found
    return offer.card_message_id
