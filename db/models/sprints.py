"""Sprints: participants, work and presence spans, check-ins, debrief notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, Snowflake, utcnow


class Sprint(Base):
    __tablename__ = "sprints"
    __table_args__ = (
        # One active (running or paused) sprint per text channel, enforced by the database.
        Index(
            "uq_sprints_active_channel",
            "channel_id",
            unique=True,
            sqlite_where=text("status IN ('running', 'paused')"),
            postgresql_where=text("status IN ('running', 'paused')"),
        ),
        Index("ix_sprints_guild_created", "guild_id", "created_at"),
        Index("ix_sprints_status_ends", "status", "phase_ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    host_id: Mapped[int] = mapped_column(Snowflake)
    title: Mapped[str] = mapped_column(String(100))
    plan: Mapped[dict[str, Any]]
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(16))
    phase_index: Mapped[int] = mapped_column(default=0)
    phase_started_at: Mapped[datetime]
    phase_ends_at: Mapped[datetime | None]
    paused_remaining_s: Mapped[float | None] = mapped_column(Float)
    card_message_id: Mapped[int | None] = mapped_column(Snowflake)
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    # Bumped by every host control (pause, resume, skip, extend, stop): a control names the value
    # it was meant for, so a second, stale click or command changes nothing.
    control_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the last host control was committed: a command sent before it was meant for the
    # state before it (a button names control_seq instead).
    controlled_at: Mapped[datetime | None]
    # Minutes /sprint extend added to the current phase (0 again when the phase changes).
    phase_extended_min: Mapped[int] = mapped_column(default=0, server_default="0")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="sprint", cascade="all, delete-orphan", lazy="raise"
    )


class Participant(Base):
    __tablename__ = "sprint_participants"
    __table_args__ = (
        UniqueConstraint("sprint_id", "user_id"),
        Index("ix_participants_user", "user_id"),  # stats, export and forget by member
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ping: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]

    sprint: Mapped[Sprint] = relationship(back_populates="participants", lazy="raise")


class WorkSpan(Base):
    """A stretch of time during which a work phase of a sprint was actually running."""

    __tablename__ = "sprint_work_spans"

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PresenceSpan(Base):
    """A stretch of time during which a member was in a sprint (join to leave)."""

    __tablename__ = "sprint_presence_spans"
    __table_args__ = (
        Index("ix_presence_sprint_user", "sprint_id", "user_id"),
        Index("ix_presence_user_started", "user_id", "started_at"),  # a member's stats
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("sprint_id", "user_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    round: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # done | progress | stuck
    note: Mapped[str | None] = mapped_column(String(500))
    huddle_thread_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DebriefNote(Base):
    __tablename__ = "debrief_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
