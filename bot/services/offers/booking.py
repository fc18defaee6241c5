"""What slot offers need of standing sessions, as a small typed Protocol (``SessionService``
fits it; ``Services`` wires the two): the zone and plan a member's options resolve to, and
scheduling inside the offer's own transaction, so a confirmation and its session commit as one."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.sessions.types import Scheduled, ScheduleRequest

__all__ = ["SessionBooking"]


class SessionBooking(Protocol):
    """What offers need of the sessions service (``SessionService``, wired by ``Services``):
    the zone and plan a member's options resolve to, and scheduling inside our transaction."""

    async def zone_of(
        self, session: AsyncSession, guild_id: int, user_id: int, name: str | None
    ) -> ZoneInfo: ...

    async def plan_of(
        self,
        session: AsyncSession,
        guild_id: int,
        *,
        preset: str | None = None,
        work: int | None = None,
        brk: int | None = None,
        rounds: int | None = None,
    ) -> dict[str, object]: ...

    async def schedule_in(
        self, session: AsyncSession, req: ScheduleRequest, now: datetime
    ) -> Scheduled: ...

    def after_schedule(self, done: Scheduled) -> None: ...
