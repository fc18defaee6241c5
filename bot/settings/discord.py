"""[discord]: the token (never shown), a development server, a local API and sharding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.settings.checks import Rule, int_range, url

__all__ = ["DISCORD_ENV", "DISCORD_RULES", "DiscordSettings", "discord_problems"]


@dataclass(frozen=True)
class DiscordSettings:
    token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    api_base_url: str | None = None
    gateway_url: str | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    def __repr__(self) -> str:  # the token is never shown
        token = "<set>" if self.token else None
        return (
            f"DiscordSettings(token={token!r}, dev_guild_id={self.dev_guild_id!r}, "
            f"api_base_url={self.api_base_url!r}, gateway_url={self.gateway_url!r}, "
            f"shard_count={self.shard_count!r}, shard_ids={self.shard_ids!r})"
        )


def _token() -> Rule:
    def check(v: Any) -> str | None:
        if v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if any(char.isspace() for char in v) or not v.isprintable():
            raise ValueError
        return v

    return check, 'the bot token alone: no spaces, line breaks or "Bot " prefix'


def _snowflake() -> Rule:
    def check(v: Any) -> int | None:
        if v in ("", None, 0):
            return None
        if isinstance(v, str) and v.isdigit():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError
        if v <= 0:
            raise ValueError
        return v

    return check, "a Discord ID (a positive whole number)"


def _shard_ids() -> Rule:
    def check(v: Any) -> tuple[int, ...] | None:
        if v in ("", None):
            return None
        if isinstance(v, str):
            try:
                v = [int(p) for p in v.replace(" ", "").split(",") if p]
            except ValueError:
                raise ValueError from None
        if not isinstance(v, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in v
        ):
            raise TypeError
        if not v or any(i < 0 for i in v):
            raise ValueError
        return tuple(sorted(set(v)))

    return check, 'a list of shard numbers such as [0, 1] (or "0,1")'


DISCORD_RULES: dict[str, Rule] = {
    "token": _token(),
    "dev_guild_id": _snowflake(),
    "api_base_url": url(("http", "https")),
    "gateway_url": url(("ws", "wss")),
    "shard_count": int_range(1, 4096),
    "shard_ids": _shard_ids(),
}

DISCORD_ENV: dict[str, str] = {
    "SPRINTBOT_TOKEN": "token",
    "SPRINTBOT_DEV_GUILD_ID": "dev_guild_id",
    "SPRINTBOT_API_BASE_URL": "api_base_url",
    "SPRINTBOT_GATEWAY_URL": "gateway_url",
    "SPRINTBOT_SHARD_COUNT": "shard_count",
    "SPRINTBOT_SHARD_IDS": "shard_ids",
}


def discord_problems(source: str, d: DiscordSettings) -> list[str]:
    """Shard settings that disagree with each other."""
    problems: list[str] = []
    if d.shard_ids is not None and d.shard_count is None:
        problems.append(f"{source}: discord.shard_ids is set but discord.shard_count is not.")
    if d.shard_ids is not None and d.shard_count is not None and max(d.shard_ids) >= d.shard_count:
        problems.append(
            f"{source}: discord.shard_ids {list(d.shard_ids)} must each be below "
            f"discord.shard_count = {d.shard_count}."
        )
    return problems
