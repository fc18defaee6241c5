"""Standing sessions: a series (wall-clock time + IANA zone + RRULE), its occurrences, RSVPs,
attendance and members' reminder opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class SessionSeries(Base):
    """A scheduled session or a series of them.

    ``first_local`` is the first start as a naive wall-clock time in ``zone`` and ``rrule`` the
    RFC 5545 rule (None: once), so 09:00 London stays 09:00 London across DST; occurrences are
    computed from them, never from a fixed UTC offset.
    """

    __tablename__ = "session_series"
    __table_args__ = (Index("ix_session_series_guild", "guild_id", "cancelled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    creator_id: Mapped[int] = mapped_column(Snowflake)
    title: Mapped[str] = mapped_column(String(100))
    first_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    zone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(String(300))
    # What SprintService takes: preset, work, brk, rounds, intro (None: the server's default).
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    minutes: Mapped[int] = mapped_column(default=60)  # how long one occurrence lasts
    capacity: Mapped[int | None]
    role_id: Mapped[int | None] = mapped_column(Snowflake)
    norms: Mapped[str | None] = mapped_column(String(600))
    reminders: Mapped[list[Any]] = mapped_column(JSON, default=list)  # minutes before, 0–3
    event_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    event_id: Mapped[int | None] = mapped_column(Snowflake)  # Discord Guild Scheduled Event
    card_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]


class SessionOccurrence(Base):
    """One occurrence of a series: when the rule put it (``scheduled_at``), when it starts
    (``starts_at``: an "edit this one" may move it), what became of it, and its overrides."""

    __tablename__ = "session_occurrences"
    __table_args__ = (
        UniqueConstraint("series_id", "scheduled_at"),
        Index("ix_session_occurrences_due", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("session_series.id", ondelete="CASCADE"))
    scheduled_at: Mapped[datetime]
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="upcoming")
    sprint_id: Mapped[int | None] = mapped_column(
        ForeignKey("sprints.id", ondelete="SET NULL"), index=True
    )
    reminded: Mapped[list[Any]] = mapped_column(JSON, default=list)  # offsets already sent
    # "Edit this one": what differs from the series for this occurrence only (None: as series).
    title: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    norms: Mapped[str | None] = mapped_column(String(600))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(200))  # why missed / started late


class SessionRsvp(Base):
    """A member's answer: for the series (``occurrence_id`` NULL: the standing answer, going or
    maybe or cant) or for one occurrence (going, maybe, cant, skip, waitlist). A waiting member
    offered a freed place has ``offered_at``/``offer_expires_at``."""

    __tablename__ = "session_rsvps"
    __table_args__ = (
        UniqueConstraint("series_id", "occurrence_id", "user_id"),
        Index("ix_session_rsvps_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("session_series.id", ondelete="CASCADE"))
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_occurrences.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(Snowflake)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)  # order on the waitlist
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SessionAttendance(Base):
    """Who was expected at (or joined) an occurrence's sprint, and whether they showed up."""

    __tablename__ = "session_attendance"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "user_id"),
        Index("ix_session_attendance_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("session_occurrences.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(Snowflake)
    said: Mapped[str | None] = mapped_column(String(10))  # their RSVP at the start
    showed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionReminderOptOut(Base):
    """A member who turned session reminders off in a server."""

    __tablename__ = "session_reminder_optouts"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
