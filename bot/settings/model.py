"""The whole configuration: every section together, their rules and environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.settings.checks import Rule, path
from bot.settings.database import DATABASE_ENV, DATABASE_RULES, DatabaseSettings
from bot.settings.discord import DISCORD_ENV, DISCORD_RULES, DiscordSettings
from bot.settings.errors import ConfigError
from bot.settings.operations import (
    LOGGING_ENV,
    LOGGING_RULES,
    PRIVACY_RULES,
    STATS_RULES,
    LoggingSettings,
    PrivacySettings,
    StatsSettings,
)
from bot.settings.timing import (
    DELIVERY_RULES,
    SPRINT_RULES,
    TIMING_ENV,
    TIMING_RULES,
    DeliverySettings,
    SprintSettings,
    TimingSettings,
)
from bot.settings.web import WEB_ENV, WEB_RULES, WebSettings

__all__ = ["ENV_OVERRIDES", "RULES", "SECTION_TYPES", "Settings"]


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    sprint: SprintSettings = field(default_factory=SprintSettings)
    timing: TimingSettings = field(default_factory=TimingSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    stats: StatsSettings = field(default_factory=StatsSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    web: WebSettings = field(default_factory=WebSettings)
    source: str = "<defaults>"

    def require_token(self) -> str:
        if not self.discord.token:
            raise ConfigError(
                f"{self.source}: discord.token is not set. Put the bot token in the file's "
                "[discord] token key or in the SPRINTBOT_TOKEN environment variable."
            )
        return self.discord.token

    def handles_guild(self, guild_id: int) -> bool:
        """Whether this process owns the guild (Discord's shard formula)."""
        count, ids = self.discord.shard_count, self.discord.shard_ids
        if not count or ids is None:
            return True
        return (guild_id >> 22) % count in ids


# Validation rules: section ("" for the top level) -> key -> (converter, what is allowed).
RULES: dict[str, dict[str, Rule]] = {
    "": {"data_dir": path()},
    "discord": DISCORD_RULES,
    "database": DATABASE_RULES,
    "sprint": SPRINT_RULES,
    "timing": TIMING_RULES,
    "delivery": DELIVERY_RULES,
    "logging": LOGGING_RULES,
    "stats": STATS_RULES,
    "privacy": PRIVACY_RULES,
    "web": WEB_RULES,
}

SECTION_TYPES: dict[str, type] = {
    "discord": DiscordSettings,
    "database": DatabaseSettings,
    "sprint": SprintSettings,
    "timing": TimingSettings,
    "delivery": DeliverySettings,
    "logging": LoggingSettings,
    "stats": StatsSettings,
    "privacy": PrivacySettings,
    "web": WebSettings,
}

# Environment variable -> (section, key). Values are parsed by the same rules as the file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    **{var: ("discord", key) for var, key in DISCORD_ENV.items()},
    **{var: ("database", key) for var, key in DATABASE_ENV.items()},
    "SPRINTBOT_DATA_DIR": ("", "data_dir"),
    **{var: ("timing", key) for var, key in TIMING_ENV.items()},
    **{var: ("logging", key) for var, key in LOGGING_ENV.items()},
    **{var: ("web", key) for var, key in WEB_ENV.items()},
}
