"""SQLAlchemy models: the stored truth of Sprintbot.

All datetimes are aware and stored as UTC (``UTCDateTime`` normalises on the way in and out, also on
SQLite which keeps no offset). Discord IDs are 64-bit integers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        int: Integer(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


Snowflake = BigInteger


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- settings ----------------------------------------------------------------------------------


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


# -- sprints -----------------------------------------------------------------------------------


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


# -- goals -------------------------------------------------------------------------------------


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


# -- accountability ----------------------------------------------------------------------------


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


# -- delivery ----------------------------------------------------------------------------------


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


# -- stats and privacy -------------------------------------------------------------------------


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


# -- availability and pods ---------------------------------------------------------------------


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


__all__ = [
    "AccountabilityConfig",
    "AccountabilityMember",
    "AccountabilityNote",
    "AccountabilityPost",
    "AccountabilityWeek",
    "Base",
    "CheckIn",
    "DebriefNote",
    "DeliveryFailure",
    "Goal",
    "GuildRemoval",
    "GuildSettings",
    "LeaderboardMember",
    "MemberAvailability",
    "OutboxMessage",
    "Participant",
    "PodBlock",
    "PodConfig",
    "PodGroup",
    "PodMember",
    "PodRound",
    "PodSeat",
    "PresenceSpan",
    "PrivacyMark",
    "Sprint",
    "UserSettings",
    "WorkSpan",
    "utcnow",
]


# -- web: shared live pages and calendar feeds --------------------------------------------------


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


__all__ += ["WebShare"]


# -- delivery (bot/delivery) -----------------------------------------------------------------------


class ClosedTopic(Base):
    """A topic of outbox rows that is over (e.g. ``sprint:12`` once the sprint ended).

    Written by the service that closes it (``bot.delivery.outbox.close_topic``); the sender drops
    edits of the topic that are still being retried a grace after ``closed_at``.
    """

    __tablename__ = "closed_topics"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    closed_at: Mapped[datetime]


__all__ += ["ClosedTopic"]
