"""[logging], [stats] and [privacy]: log lines, where charts are drawn, how long data is kept."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings.checks import Rule, flag, int_range, string

__all__ = [
    "LOGGING_ENV",
    "LOGGING_RULES",
    "PRIVACY_RULES",
    "STATS_RULES",
    "LoggingSettings",
    "PrivacySettings",
    "StatsSettings",
]


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "text"


@dataclass(frozen=True)
class StatsSettings:
    # Draw charts (and add up a year of history) in a worker process, so the event loop never
    # waits on matplotlib; off: a thread (the loop may then stall up to ~150 ms per chart).
    chart_process: bool = True


@dataclass(frozen=True)
class PrivacySettings:
    # A server that removes the bot has its data deleted this many days later (0 = at once).
    guild_grace_days: int = 30


LOGGING_RULES: dict[str, Rule] = {
    "level": string(("DEBUG", "INFO", "WARNING", "ERROR")),
    "format": string(("text", "json")),
}
STATS_RULES: dict[str, Rule] = {"chart_process": flag()}
PRIVACY_RULES: dict[str, Rule] = {"guild_grace_days": int_range(0, 365)}

LOGGING_ENV: dict[str, str] = {
    "SPRINTBOT_LOG_LEVEL": "level",
    "SPRINTBOT_LOG_FORMAT": "format",
}
