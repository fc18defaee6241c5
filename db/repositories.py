"""Small shared queries several services need. Area-specific queries live with their service."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AccountabilityPost,
    AccountabilityWeek,
    GuildSettings,
    Sprint,
    UserSettings,
)

ACTIVE_STATUSES = ("running", "paused")


async def guild_settings(session: AsyncSession, guild_id: int) -> GuildSettings:
    """The guild's settings row, created with defaults on first use."""
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # created concurrently
            row = await session.get(GuildSettings, guild_id, populate_existing=True)
            assert row is not None
    return row


async def user_settings(session: AsyncSession, user_id: int) -> UserSettings:
    row = await session.get(UserSettings, user_id)
    if row is None:
        row = UserSettings(user_id=user_id)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = await session.get(UserSettings, user_id, populate_existing=True)
            assert row is not None
    return row


async def active_sprint_in_channel(
    session: AsyncSession, channel_id: int, *, for_update: bool = False
) -> Sprint | None:
    stmt = select(Sprint).where(Sprint.channel_id == channel_id, Sprint.status.in_(ACTIVE_STATUSES))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def week(session: AsyncSession, guild_id: int, week_start: date) -> AccountabilityWeek | None:
    stmt = select(AccountabilityWeek).where(
        AccountabilityWeek.guild_id == guild_id, AccountabilityWeek.week_start == week_start
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_or_create_week(
    session: AsyncSession, guild_id: int, week_start: date, channel_id: int
) -> tuple[AccountabilityWeek, bool]:
    """The guild's week row (created if missing). Returns (row, created)."""
    row = await week(session, guild_id, week_start)
    if row is not None:
        return row, False
    row = AccountabilityWeek(guild_id=guild_id, week_start=week_start, channel_id=channel_id)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = await week(session, guild_id, week_start)
        assert existing is not None
        return existing, False
    return row, True


KICKOFF_KEY = "kickoff"  # bot.domain.weeks.PostKind.KICKOFF


async def latest_started_week(session: AsyncSession, guild_id: int) -> date | None:
    """The Monday of the guild's latest week whose thread was started (its kickoff posted)."""
    stmt = (
        select(func.max(AccountabilityWeek.week_start))
        .join(AccountabilityPost, AccountabilityPost.week_id == AccountabilityWeek.id)
        .where(AccountabilityWeek.guild_id == guild_id, AccountabilityPost.key == KICKOFF_KEY)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
