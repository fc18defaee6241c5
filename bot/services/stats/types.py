"""What the stats service hands to render and cogs (defined with the pure figures in
``bot.domain.stats`` so that render can use them without importing a service)."""

from bot.domain.stats import (
    LeaderboardView,
    MemberReport,
    MemberStats,
    Metric,
    Period,
    ServerReport,
    ServerStats,
)

__all__ = [
    "LeaderboardView",
    "MemberReport",
    "MemberStats",
    "Metric",
    "Period",
    "ServerReport",
    "ServerStats",
]
