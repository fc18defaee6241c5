"""Availability and pods."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class MemberAvailability(Base):
    """A member's weekly available hours in a server (local windows in their own zone).

    Owned by ``bot/services/availability``; read by pods (matching on shared hours) and by any
    feature that looks for a time across zones. ``windows``: ``[[day, start_min, end_min], ...]``.
    """

    __tablename__ = "member_availability"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    zone: Mapped[str] = mapped_column(String(64))
    windows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PodConfig(Base):
    """Pods in one channel: the round cadence (local day and time in the server's zone)."""

    __tablename__ = "pod_configs"
    __table_args__ = (UniqueConstraint("channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    cadence_weeks: Mapped[int] = mapped_column(default=1)  # 1, 2 or 4
    day: Mapped[int] = mapped_column(default=0)  # 0=Monday
    time_of_day: Mapped[time] = mapped_column(Time, default=time(9, 0))
    size: Mapped[int] = mapped_column(default=2)  # 2, 3 or 4
    keep_default: Mapped[bool] = mapped_column(Boolean, default=False)  # pods stay together
    private_threads: Mapped[bool] = mapped_column(Boolean, default=True)
    # The weekly accountability cycle runs in each pod's thread instead of the server-wide one.
    accountability_per_pod: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    anchor: Mapped[date] = mapped_column(Date)  # the local date of round 1; rounds follow it
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PodMember(Base):
    """A member's standing in a channel's pods (opted in, snoozed, keep/rotate, no-shows)."""

    __tablename__ = "pod_members"
    __table_args__ = (UniqueConstraint("config_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("pod_configs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    opted_in: Mapped[bool] = mapped_column(Boolean, default=True)
    snooze_rounds: Mapped[int] = mapped_column(default=0)
    preference: Mapped[str | None] = mapped_column(String(8))  # keep | rotate | NULL: server's
    no_shows: Mapped[int] = mapped_column(default=0)  # rounds in a row without showing up
    pause_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PodBlock(Base):
    """A private "not again": ``user_id`` never wants a pod with ``other_id`` (never shown)."""

    __tablename__ = "pod_blocks"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    other_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PodRound(Base):
    """One round of a channel's pods; its times are the truth the round timer is armed from."""

    __tablename__ = "pod_rounds"
    __table_args__ = (UniqueConstraint("config_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("pod_configs.id", ondelete="CASCADE"))
    number: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime]
    nudge_at: Mapped[datetime]
    ask_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    nudged_at: Mapped[datetime | None]
    asked_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PodGroup(Base):
    """A pod of a round, with its thread."""

    __tablename__ = "pods"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pod_rounds.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    kept: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_minutes: Mapped[int] = mapped_column(default=0)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_gone: Mapped[bool] = mapped_column(Boolean, default=False)
    met_at: Mapped[datetime | None]


class PodSeat(Base):
    """A member in a pod of a round, and their answer to "Did you meet?"."""

    __tablename__ = "pod_seats"
    __table_args__ = (
        UniqueConstraint("pod_id", "user_id"),
        Index("ix_pod_seats_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pod_id: Mapped[int] = mapped_column(ForeignKey("pods.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    answer: Mapped[str | None] = mapped_column(String(8))  # met | missed
    answered_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]  # left the pod during the round (opted out, left server)
