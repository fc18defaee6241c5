"""Use cases. No discord imports: services raise UserError with the sentence the user sees."""

from __future__ import annotations

from bot.services.accountability import AccountabilityService
from bot.services.availability import AvailabilityService
from bot.services.checkins import CheckInService
from bot.services.context import ServiceContext
from bot.services.goals import GoalService
from bot.services.offers.service import OfferService
from bot.services.pods import PodService
from bot.services.privacy import PrivacyService
from bot.services.sessions import SessionService
from bot.services.sessions.discord_events import SessionEvents
from bot.services.sharing import SharingService
from bot.services.sprints import SprintService
from bot.services.stats import StatsService
from bot.services.stats.worker import ChartWorker
from bot.services.timezones import TimezoneService


class Services:
    """Every service of the bot, sharing one context, wired to each other here (typed Protocols
    in :mod:`bot.services.events`; no service finds another by itself)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.sprints = SprintService(ctx)
        self.timezones = TimezoneService(ctx)
        self.goals = GoalService(ctx, self.sprints)
        self.accountability = AccountabilityService(ctx, timezones=self.timezones, goals=self.goals)
        self.checkins = CheckInService(ctx, self.goals)
        self.stats = StatsService(ctx, ChartWorker(use_process=ctx.settings.stats.chart_process))
        self.privacy = PrivacyService(ctx)
        self.availability = AvailabilityService(ctx)
        self.pods = PodService(ctx, timezones=self.timezones)
        self.sharing = SharingService(ctx, cards=self.sprints)
        self.sessions = SessionService(ctx, self.sprints)
        # Slot offers (issue #14): a confirmed offer becomes a standing session.
        self.offers = OfferService(ctx, self.sessions)
        # A member who turns tracking off: their open offers are withdrawn, their ticks taken back.
        self.privacy.untrack_listeners.append(self.offers)
        # A pod's intro offers its first shared free time as a weekly standing session.
        self.pods.sessions = self.sessions
        # A kickoff at the moment a new pods round starts goes to the new pods' threads.
        self.accountability.follow_pod_rounds(self.pods)
        # The next occurrence of each series as a Discord Guild Scheduled Event.
        self.session_events = SessionEvents(ctx, self.sessions.runner)
        self.sessions.add_listener(self.session_events)
        # What the sprint service tells the others inside its transactions (card suffixes and
        # its live-page link, the check-in prompt on a break, the debrief when a sprint ends,
        # every change a live page shows): wired here, and only here.
        self.sprints.observers.add(
            card_lines=(self.goals, self.checkins),
            card_links=(self.sharing,),
            break_add_ons=(self.checkins,),
            endings=(self.checkins.debriefs, self.sessions),
            presences=(self.sessions,),
            changes=(self.sharing.live,),
        )

    async def restore(self) -> None:
        """Re-arm every timer from the database (called once at start-up, before timers start)."""
        await self.sprints.restore()
        await self.accountability.restore()
        await self.pods.restore()
        await self.privacy.restore()
        await self.sessions.restore()
        await self.offers.restore()

    async def aclose(self) -> None:
        """Wait for the background work services started and stop the chart worker process
        (called once at shutdown)."""
        await self.sprints.aclose()
        await self.stats.aclose()


__all__ = ["ServiceContext", "Services"]
