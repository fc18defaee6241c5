"""Stats: a member's progress, a server's activity, and the opt-in leaderboard."""

from bot.services.stats.service import StatsService

__all__ = ["StatsService"]
