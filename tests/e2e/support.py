"""Shared helpers for end-to-end tests: the real bot against the local Discord server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from bot.clock import Clock
from bot.core import AnyBot, create_bot
from bot.localdiscord import LocalDiscord
from bot.localdiscord.testing import running_bot
from bot.settings import DiscordSettings, Settings, TimingSettings, WebSettings
from db.engine import Database

T = TypeVar("T")


def settings_for(server: LocalDiscord, *, speed: float = 1.0, **discord: Any) -> Settings:
    """Settings that point the bot at ``server`` (extra ``discord`` keys e.g. for shards)."""
    return Settings(
        discord=DiscordSettings(
            token=server.token,
            api_base_url=server.api_base_url,
            gateway_url=server.gateway_url,
            **discord,
        ),
        timing=TimingSettings(speed=speed),
        web=WebSettings(port=0),  # any free port: tests run side by side
    )


@contextlib.asynccontextmanager
async def sprintbot(
    server: LocalDiscord, database: Database, *, speed: float = 1.0, clock: Clock | None = None
) -> AsyncIterator[AnyBot]:
    """The real bot logged in to ``server`` with its commands synced; closed afterwards."""
    bot = create_bot(settings_for(server, speed=speed), database=database, clock=clock)
    async with running_bot(server, bot):
        await bot.tree.sync()
        yield bot


async def drained(bot: AnyBot, timeout: float = 40.0) -> None:  # noqa: ASYNC109
    """Wait until the outbox sender has delivered everything committed so far."""
    async with asyncio.timeout(timeout):
        bot.wake()
        await bot.delivery.wait_idle()


async def until(check: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:  # noqa: ASYNC109
    """Poll ``check`` until it returns something truthy (the bot acts on its own time)."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)
