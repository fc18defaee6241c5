"""One click from a pod's intro to a habit: the pod's first shared free time becomes a weekly
standing session in the pod's thread (issue #15: "one-click offers of the best shared slots ... or a
scheduled series"). ``PodService`` inherits it; the sessions service is wired in by ``Services``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.domain.errors import Conflict, PermissionDenied
from bot.services.availability import availability_for
from bot.services.context import ServiceContext
from bot.services.pods import queries
from bot.services.pods.lookups import pod_in_guild
from bot.services.sessions.types import ScheduleRequest
from bot.services.timezones import guild_zone, member_zone

if TYPE_CHECKING:
    from bot.services.sessions.types import SeriesView

__all__ = ["SessionScheduler", "WeeklyUseCases"]

WEEK = timedelta(days=7)
LEAD = timedelta(minutes=5)  # a free time closer than this moves to the next week


class SessionScheduler(Protocol):
    async def schedule(self, req: ScheduleRequest) -> SeriesView: ...


class WeeklyUseCases:
    """Mixed into ``PodService`` (which provides ``ctx`` and, once wired, ``sessions``)."""

    ctx: ServiceContext
    sessions: SessionScheduler | None

    async def meet_weekly(
        self, guild_id: int, pod_id: int, user_id: int, name: str, at: datetime
    ) -> SeriesView:
        """Schedule a weekly session in the pod's thread at ``at`` (the intro's first shared free
        time; when it has passed, the same time a week on). Only a member of the pod may."""
        if self.sessions is None:
            raise Conflict("Standing sessions are not available here.")
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            pod, rnd, _cfg = await pod_in_guild(session, guild_id, pod_id)
            seat = await queries.seat_in_pod(session, pod.id, user_id)
            if seat is None or seat.left_at is not None:
                raise PermissionDenied(
                    f"Only the members of Pod {pod.number} can schedule its weekly session."
                )
            await queries.resolve_threads(session, [pod])
            if pod.thread_id is None or pod.thread_gone:
                raise Conflict(
                    f"Pod {pod.number} has no thread any more, so there is nowhere to meet. "
                    "Schedule one with `/session schedule` in a channel instead."
                )
            if rnd.closed_at is not None:
                raise Conflict("That round is over: use the buttons in your current pod's thread.")
            hours = (await availability_for(session, guild_id, [user_id])).get(user_id)
            zone = (
                hours.zone
                if hours is not None
                else await member_zone(session, user_id) or await guild_zone(session, guild_id)
            )
            thread_id, number = pod.thread_id, pod.number
        while at <= now + LEAD:
            at += WEEK
        local = at.astimezone(zone)
        return await self.sessions.schedule(
            ScheduleRequest(
                guild_id=guild_id,
                channel_id=thread_id,
                creator_id=user_id,
                creator_name=name,
                title=f"Pod {number} weekly",
                when=local.strftime("%Y-%m-%d %H:%M"),
                repeat="weekly",
                zone=zone.key,
            )
        )
