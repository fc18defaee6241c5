"""Sprintbot: virtual coworking for Discord.

``from bot import create_bot, load_settings`` works; the names are imported on first use so that
importing a pure module such as ``bot.domain.sprint`` does not load discord.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core import create_bot
    from bot.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "create_bot", "load_settings"]


def __getattr__(name: str) -> Any:
    if name == "create_bot":
        from bot.core import create_bot

        return create_bot
    if name in ("ConfigError", "Settings", "load_settings"):
        from bot import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
