"""Sprintbot: virtual coworking for Discord."""

from bot.core import create_bot
from bot.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "create_bot", "load_settings"]
