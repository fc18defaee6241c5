"""Stats and privacy: leaderboard opt-ins, privacy marks, guild removals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class LeaderboardMember(Base):
    """A member who opted in to a server's leaderboard (no row: never shown)."""

    __tablename__ = "leaderboard_members"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyMark(Base):
    """Per-member privacy state, keyed by a one-way hash of the user id (never the id itself).

    It survives "forget me": ``untracked_since`` is the don't-track-me flag every service
    honours, ``last_export_at`` limits exports to one per hour.
    """

    __tablename__ = "privacy_marks"

    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    untracked_since: Mapped[datetime | None]
    last_export_at: Mapped[datetime | None]


class GuildRemoval(Base):
    """A server that removed the bot: its data is deleted after the grace period."""

    __tablename__ = "guild_removals"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    removed_at: Mapped[datetime]
