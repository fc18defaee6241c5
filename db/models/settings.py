"""Guild and member settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class GuildSettings(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    manager_role_id: Mapped[int | None] = mapped_column(Snowflake)
    ping_on_phase: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_join_voice: Mapped[bool] = mapped_column(Boolean, default=True)
    chime: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copy phase announcements into the linked voice channel's chat (its status always shows
    # the phase; the copies double the requests of a voice sprint).
    voice_chat: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sprint defaults for this server; NULL means "use the bot-wide default".
    work_min: Mapped[int | None]
    break_min: Mapped[int | None]
    rounds: Mapped[int | None]
    long_break_min: Mapped[int | None]
    long_break_every: Mapped[int | None]
    intro_min: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserSettings(Base):
    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    ping_on_phase: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
