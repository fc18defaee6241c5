"""Settings: one TOML file plus environment overrides, loaded once into frozen dataclasses.

Where the file comes from: ``--config PATH``, else ``SPRINTBOT_CONFIG``, else ``config.toml`` in the
working directory if it exists, else built-in defaults only. Environment variables override the file
for secrets and deployment values (see ``ENV_OVERRIDES``). Every error names the file, the key and
what is allowed; the token never appears in an error message or a ``repr``.

One module per section (``discord``, ``database``, ``timing`` for [sprint]/[timing]/[delivery],
``web``, ``operations`` for [logging]/[stats]/[privacy]), each holding its dataclass, its rules and
its environment variables; ``checks`` holds the shared value checks, ``model`` the whole
``Settings``, ``loading`` the reading and validation. Import from here.
"""

from __future__ import annotations

from bot.settings.database import DATABASE_SCHEMES, DatabaseSettings
from bot.settings.discord import DiscordSettings
from bot.settings.errors import ConfigError
from bot.settings.loading import load_settings, resolve_config_path, settings_keys
from bot.settings.model import ENV_OVERRIDES, RULES, SECTION_TYPES, Settings
from bot.settings.operations import LoggingSettings, PrivacySettings, StatsSettings
from bot.settings.timing import DeliverySettings, SprintSettings, TimingSettings
from bot.settings.web import WebSettings

__all__ = [
    "DATABASE_SCHEMES",
    "ENV_OVERRIDES",
    "RULES",
    "SECTION_TYPES",
    "ConfigError",
    "DatabaseSettings",
    "DeliverySettings",
    "DiscordSettings",
    "LoggingSettings",
    "PrivacySettings",
    "Settings",
    "SprintSettings",
    "StatsSettings",
    "TimingSettings",
    "WebSettings",
    "load_settings",
    "resolve_config_path",
    "settings_keys",
]
