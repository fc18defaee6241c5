"""Delivery: the outbox, its failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class OutboxMessage(Base):
    """A message or edit waiting to be delivered to Discord (see bot/delivery).

    Rows are written in the same transaction as the state change that causes them. ``ref`` names
    the Discord object the row creates (e.g. ``sprint_card:12``) so later rows can target it by
    ``target_ref``/``channel_ref`` before it exists; ``supersede_key`` lets a newer edit replace
    an older pending one.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "priority", "id"),
        Index("ix_outbox_ref", "ref"),
        Index("ix_outbox_supersede", "supersede_key", "status"),
        Index("ix_outbox_topic", "topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(default=10)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    channel_ref: Mapped[str | None] = mapped_column(String(64))
    target_message_id: Mapped[int | None] = mapped_column(Snowflake)
    target_ref: Mapped[str | None] = mapped_column(String(64))
    ref: Mapped[str | None] = mapped_column(String(64))
    supersede_key: Mapped[str | None] = mapped_column(String(64))
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprints.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]]
    nonce: Mapped[str] = mapped_column(String(25))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # What the row is about, in its service's words (sprint:12, accountability): failures are
    # read by topic, and retries of a closed topic's edits stop (see bot/delivery/outbox.py).
    topic: Mapped[str | None] = mapped_column(String(64))


class DeliveryFailure(Base):
    """A permanent delivery failure a manager should see (missing permission, deleted channel)."""

    __tablename__ = "delivery_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(Snowflake, index=True)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    outbox_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)


class ClosedTopic(Base):
    """A topic of outbox rows that is over (e.g. ``sprint:12`` once the sprint ended).

    Written by the service that closes it (``bot.delivery.outbox.close_topic``); the sender drops
    edits of the topic that are still being retried a grace after ``closed_at``.
    """

    __tablename__ = "closed_topics"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    closed_at: Mapped[datetime]
