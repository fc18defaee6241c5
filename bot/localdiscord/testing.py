"""Helpers for tests and scripts: run a real discord.py bot against the server, catch errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TypeVar

import discord

from .server import LocalDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


class DiscordErrorLog(logging.Handler):
    """Collects ERROR records logged by discord.py and by the bot's own code.

    discord.py logs exceptions in commands, views and events under ``discord``; Sprintbot logs its
    handler, timer and sender failures under ``bot``, ``cogs`` and ``db``. Use as a context
    manager; ``problems()`` lists them as text.
    """

    LOGGERS = ("discord", "bot", "cogs", "db")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> DiscordErrorLog:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)

    def problems(self) -> list[str]:
        formatter = logging.Formatter("%(name)s: %(message)s")
        return [formatter.format(record) for record in self.records]


def problems(server: LocalDiscord, log: DiscordErrorLog | None = None) -> list[str]:
    """Everything an end-to-end test should fail on: server errors and logged bot errors."""
    found = [f"server {e.kind}: {e.method} {e.path}: {e.detail}" for e in server.errors]
    if log is not None:
        found.extend(f"bot logged: {p}" for p in log.problems())
    return found


@contextlib.asynccontextmanager
async def running_bot(
    server: LocalDiscord,
    bot: ClientT,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> AsyncIterator[ClientT]:
    """Log ``bot`` in against ``server``, wait for ``on_ready``, and close it afterwards."""
    with server.patch_discord():
        await bot.login(server.token)
        runner = asyncio.create_task(bot.connect(reconnect=True), name="local-discord-bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if ready not in done:
                if runner in done:
                    runner.result()
                raise TimeoutError(f"the bot was not ready within {timeout}s")
            yield bot
        finally:
            ready.cancel()
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
