"""Use cases. No discord imports: services raise UserError with the sentence the user sees."""

from __future__ import annotations

from bot.services.accountability import AccountabilityService
from bot.services.availability import AvailabilityService
from bot.services.checkins import CheckInService
from bot.services.context import ServiceContext
from bot.services.goals import GoalService, SprintHooks
from bot.services.pods import PodService
from bot.services.sharing import SharingService
from bot.services.sprints import SprintService
from bot.services.timezones import TimezoneService


class Services:
    """Every service of the bot, sharing one context. Areas register themselves here."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.sprints = SprintService(ctx)
        self.timezones = TimezoneService(ctx)
        self.goals = GoalService(ctx, SprintHooks.for_service(self.sprints, ctx.clock))
        self.accountability = AccountabilityService(ctx, timezones=self.timezones, goals=self.goals)
        self.checkins = CheckInService(ctx, self.goals)
        self.availability = AvailabilityService(ctx)
        self.pods = PodService(ctx, timezones=self.timezones)
        self.sharing = SharingService(ctx)

    async def restore(self) -> None:
        """Re-arm every timer from the database (called once at start-up, before timers start)."""
        await self.sprints.restore()
        await self.accountability.restore()
        await self.pods.restore()


__all__ = ["ServiceContext", "Services"]
