"""Goals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (
        Index("ix_goals_user_status", "guild_id", "user_id", "status"),
        Index("ix_goals_sprint", "sprint_id"),
        Index("ix_goals_week", "week_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    text: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(8))  # sprint | week
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprints.id", ondelete="SET NULL"))
    week_id: Mapped[int | None] = mapped_column(
        ForeignKey("accountability_weeks.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done | dropped
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
