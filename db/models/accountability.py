"""Weekly accountability: config, weeks, posts, members, notes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
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


class AccountabilityConfig(Base):
    __tablename__ = "accountability_configs"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    channel_is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    kickoff_day: Mapped[int] = mapped_column(default=0)
    kickoff_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    checkin_days: Mapped[list[Any]] = mapped_column(JSON, default=lambda: [2])
    checkin_time: Mapped[time] = mapped_column(Time, default=time(12, 0))
    review_day: Mapped[int] = mapped_column(default=4)
    review_time: Mapped[time] = mapped_column(Time, default=time(17, 0))
    role_id: Mapped[int | None] = mapped_column(Snowflake)
    archive_after_review: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # Posts scheduled before this instant are never caught up (set when the schedule is set up),
    # so a setup on a Wednesday does not fire Monday's kickoff; /accountability post-now does.
    active_from: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountabilityWeek(Base):
    __tablename__ = "accountability_weeks"
    __table_args__ = (UniqueConstraint("guild_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    week_start: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    summary_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
    # Set at the kickoff when the week runs in pod threads (AccountabilityPodWeek) rather than in
    # a server-wide thread; the week's later posts follow it.
    in_pods: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AccountabilityPost(Base):
    """One scheduled post of a week; the unique key makes each post happen at most once."""

    __tablename__ = "accountability_posts"
    __table_args__ = (UniqueConstraint("week_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("accountability_weeks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))  # kickoff | checkin:2 | review
    scheduled_at: Mapped[datetime]
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountabilityMember(Base):
    """A member's last known name in a guild, so goals of someone who left still render."""

    __tablename__ = "accountability_members"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    left_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountabilityNote(Base):
    """A progress note a member gave at a weekly check-in."""

    __tablename__ = "accountability_notes"
    __table_args__ = (Index("ix_accountability_notes_week_user", "week_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("accountability_weeks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountabilityPodWeek(Base):
    """A week of the accountability cycle in one pod's thread (pods with accountability per pod).

    Created at the week's kickoff for each pod of the round running then, so a re-match moves a
    member's week to their new pod's thread at the next kickoff. The pod's members are read from
    its seats; ``archived_at`` is set when the pod's thread is deleted (its later posts skipped).
    """

    __tablename__ = "accountability_pod_weeks"
    __table_args__ = (UniqueConstraint("week_id", "pod_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("accountability_weeks.id", ondelete="CASCADE"))
    pod_id: Mapped[int] = mapped_column(ForeignKey("pods.id", ondelete="CASCADE"), index=True)
    summary_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
