"""Server and member time zones.

The server's zone decides when weekly posts go out and where a week starts; a member's own zone is
used wherever the bot renders a plain date or time for that member (times in messages are Discord
timestamps, which every client shows in its own zone anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.timezones import search_zones, validate_zone
from bot.domain.weeks import week_start
from bot.services.context import ServiceContext
from db import repositories
from db.models import GuildSettings, UserSettings

__all__ = [
    "UTC_ZONE",
    "MemberZone",
    "ServerZone",
    "TimezoneService",
    "current_week_start",
    "guild_zone",
    "local_week_start",
    "member_zone",
    "zone_or_utc",
]

log = logging.getLogger(__name__)

UTC_ZONE = ZoneInfo("UTC")

ZoneListener = Callable[[AsyncSession, int], Awaitable[None]]


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The stored zone, or UTC when none is stored or the name is no longer known."""
    if not name:
        return UTC_ZONE
    try:
        return validate_zone(name)
    except Exception:  # a name tzdata dropped: fall back rather than break every post
        log.warning("stored time zone %r is not known; using UTC", name)
        return UTC_ZONE


async def guild_zone(session: AsyncSession, guild_id: int) -> ZoneInfo:
    """The server's zone (UTC until a manager sets one). Reads only; never creates the row."""
    row = await session.get(GuildSettings, guild_id)
    return zone_or_utc(row.timezone if row is not None else None)


async def member_zone(session: AsyncSession, user_id: int) -> ZoneInfo | None:
    """The member's own zone, or None when they have not set one."""
    row = await session.get(UserSettings, user_id)
    if row is None or not row.timezone:
        return None
    return zone_or_utc(row.timezone)


async def local_week_start(session: AsyncSession, guild_id: int, now: datetime) -> date:
    """The Monday of the server-local week containing ``now`` (weeks follow the server's zone)."""
    zone = await guild_zone(session, guild_id)
    return week_start(now.astimezone(zone).date())


async def current_week_start(session: AsyncSession, guild_id: int, now: datetime) -> date:
    """The server's current week: the Monday of the local week containing ``now``, but never a
    week before one whose thread has already started. Every area asks this one function, so a
    zone change across the date line (which can put the local date back into last week) never
    moves the server back into a week that is over: that week's thread is not started again,
    goals do not go to it, and the live week keeps its posts."""
    local = await local_week_start(session, guild_id, now)
    started = await repositories.latest_started_week(session, guild_id)
    return max(local, started) if started is not None else local


@dataclass(frozen=True)
class ServerZone:
    zone: ZoneInfo
    changed: bool


@dataclass(frozen=True)
class MemberZone:
    zone: ZoneInfo
    local_now: datetime  # the member's wall clock now, aware in their zone


class TimezoneService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._listeners: list[ZoneListener] = []

    def on_server_zone_changed(self, listener: ZoneListener) -> None:
        """``listener(session, guild_id)`` runs inside the transaction that changed the zone."""
        self._listeners.append(listener)

    @staticmethod
    def search(query: str, limit: int = 25) -> list[str]:
        return search_zones(query, limit)

    async def server_zone(self, guild_id: int) -> ZoneInfo:
        async with self.ctx.db.transaction() as session:
            return await guild_zone(session, guild_id)

    async def set_server_zone(self, guild_id: int, name: str) -> ServerZone:
        """Store the server's zone; unknown names raise ValidationError with suggestions."""
        zone = validate_zone(name)
        async with self.ctx.db.transaction() as session:
            row = await repositories.guild_settings(session, guild_id)
            changed = row.timezone != zone.key
            row.timezone = zone.key
            await session.flush()
            if changed:
                for listener in self._listeners:
                    await listener(session, guild_id)
        if changed:
            self.ctx.delivery.wake()
        return ServerZone(zone=zone, changed=changed)

    async def member_zone(self, user_id: int) -> ZoneInfo | None:
        async with self.ctx.db.transaction() as session:
            return await member_zone(session, user_id)

    async def set_member_zone(self, user_id: int, name: str) -> MemberZone:
        zone = validate_zone(name)
        async with self.ctx.db.transaction() as session:
            row = await repositories.user_settings(session, user_id)
            row.timezone = zone.key
        return MemberZone(zone=zone, local_now=self.ctx.clock.now().astimezone(zone))

    async def clear_member_zone(self, user_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            row = await session.get(UserSettings, user_id)
            if row is not None:
                row.timezone = None

    async def zone_for(self, user_id: int, guild_id: int | None) -> ZoneInfo:
        """The zone for plain dates shown to this member: theirs, else the server's, else UTC."""
        async with self.ctx.db.transaction() as session:
            own = await member_zone(session, user_id)
            if own is not None:
                return own
            if guild_id is None:
                return UTC_ZONE
            return await guild_zone(session, guild_id)
