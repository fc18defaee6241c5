"""Slot offers (issue #14): an offer of 1–5 times, its slots and who took (or ticked) each.

An offer is stored until it closes and after (the card's story: which slot won, who went); a
confirmed offer points at the standing session it created. A draft (from /findtime) is an offer
in status ``draft`` that nobody sees until its runner offers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class SlotOffer(Base):
    """An offer. ``plan`` is what ``SessionService`` takes (preset, work, brk, rounds); ``zone``
    the offerer's zone the slots were typed in (the series' zone once confirmed); ``repeat`` the
    repeat rule as typed (None: a one-off), applied to the confirmed slot."""

    __tablename__ = "slot_offers"
    __table_args__ = (
        Index("ix_slot_offers_guild", "guild_id", "status"),
        Index("ix_slot_offers_due", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    offerer_id: Mapped[int] = mapped_column(Snowflake, index=True)
    offerer_name: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(100))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    repeat: Mapped[str | None] = mapped_column(String(100))
    zone: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    min_people: Mapped[int | None]
    max_people: Mapped[int | None]
    targets: Mapped[list[Any]] = mapped_column(JSON, default=list)  # user ids; empty: anyone
    status: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    confirmed_position: Mapped[int | None]
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL")
    )
    card_message_id: Mapped[int | None] = mapped_column(Snowflake)
    length_minutes: Mapped[int | None]  # a draft: the length /findtime searched for
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # confirmed, expired or withdrawn


class SlotOfferSlot(Base):
    """One candidate time of an offer; ``position`` 1–5 in time order."""

    __tablename__ = "slot_offer_slots"
    __table_args__ = (UniqueConstraint("offer_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("slot_offers.id", ondelete="CASCADE"))
    position: Mapped[int]
    starts_at: Mapped[datetime]


class SlotOfferTaker(Base):
    """A member who took (first taker) or ticked (enough people) a slot of an offer."""

    __tablename__ = "slot_offer_takers"
    __table_args__ = (
        UniqueConstraint("offer_id", "position", "user_id"),
        Index("ix_slot_offer_takers_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("slot_offers.id", ondelete="CASCADE"))
    position: Mapped[int]
    user_id: Mapped[int] = mapped_column(Snowflake)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
