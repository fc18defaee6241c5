"""Web: shared live pages and calendar feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Snowflake, utcnow


class WebShare(Base):
    """A secret link: a sprint's live page, a member's calendar feed or a server's public feed.

    ``token`` is the URL part (``secrets.token_urlsafe(24)``: 192 bits) kept so the link can be
    shown again; requests are looked up by ``token_hash`` (SHA-256), which does not depend on how
    much of a guessed token matches. A revoked link keeps its row (``revoked_at``) and answers 404.
    """

    __tablename__ = "web_shares"
    __table_args__ = (
        Index("ix_web_shares_sprint", "sprint_id", "revoked_at"),
        Index("ix_web_shares_owner", "kind", "guild_id", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # sprint | member_feed | guild_feed
    token: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(Snowflake)  # a member feed's owner
    show_people: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(Snowflake)
