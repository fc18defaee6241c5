"""The bot: built by ``create_bot(settings)`` without touching the network."""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock, SystemClock
from bot.delivery.sender import Sender, ShardScope
from bot.scheduler import Timers
from bot.services import Services
from bot.services.context import ServiceContext
from bot.settings import Settings
from bot.ui import command_name, handle_interaction_error
from db.engine import Database

log = logging.getLogger(__name__)

# Loaded in this order in setup_hook. Every cog module has an async ``setup(bot)``.
EXTENSIONS: tuple[str, ...] = (
    "cogs.meta",
    "cogs.goals",
    "cogs.sprint",
    "cogs.accountability",
    "cogs.timezone",
    "cogs.stats",
    "cogs.privacy",
    "cogs.availability",
    "cogs.findtime",
    "cogs.pods",
    "cogs.sharing",
    "cogs.when",
    "cogs.sessions",
    "cogs.session_events",
    "cogs.offers",
)


class SprintTree(app_commands.CommandTree[Any]):
    """One error handler for every slash command."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error, command_name(interaction))


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py at a Discord-compatible server when the settings name one.

    discord.py reads both values from class attributes, so this affects every client in the
    process; all clients of one process talk to the same server anyway.
    """
    if settings.discord.api_base_url:
        discord.http.Route.BASE = settings.discord.api_base_url
    if settings.discord.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


def bot_intents() -> discord.Intents:
    """Only what the features use: guilds (channels, threads, roles) and voice states (auto-join).

    No privileged intent: members come with each interaction, and the bot never reads messages.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    intents.guild_scheduled_events = True  # "Interested" on a session's event (not privileged)
    return intents


class _SprintBotMixin:
    settings: Settings
    db: Database
    clock: Clock
    timers: Timers
    services: Services

    def _init_sprintbot(
        self, settings: Settings, database: Database, clock: Clock, *, run_services: bool
    ) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.timers = Timers()
        self.run_services = run_services
        self.web: Any = None  # the web server (bot.web.server.WebServer) once started
        self.services = Services(
            ServiceContext(
                settings=settings,
                db=database,
                clock=clock,
                timers=self.timers,
                delivery=self,  # wake() below forwards to the sender
            )
        )
        # The outbox sender: drains only this process's guilds through the bot's HTTP client
        # (its global bucket also gates discord.py's other REST calls); started in setup_hook.
        # When Discord says a channel is gone, the sprint service ends the sprints posting there;
        # when an edit finds a message gone, it posts a deleted sprint card again.
        self.delivery: Sender = Sender(
            database,
            settings.delivery,
            clock,
            self.http,  # type: ignore[attr-defined]
            scope=ShardScope.from_settings(settings),
            listener=self.services.sprints,
        )

    def wake(self) -> None:
        self.delivery.wake()

    # The web server's health check (bot.web.app.Health).
    async def database_ok(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.db.sessionmaker() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def gateway_ready(self) -> bool:
        client: Any = self
        return bool(client.is_ready()) and not client.is_closed()

    async def on_ready(self) -> None:
        client: Any = self
        log.info("ready as %s in %d server(s)", client.user, len(client.guilds))

    async def _sprintbot_setup(self, bot: commands.bot.BotBase) -> None:
        for ext in EXTENSIONS:
            await bot.load_extension(ext)
        if self.run_services:
            await self.services.restore()
            self.timers.start()
            start = getattr(self.delivery, "start", None)
            if start is not None:
                await start()
            if self.settings.web.enabled:
                from bot.web.server import WebServer

                self.web = WebServer(self.services.sharing, self, self.settings.web, self.clock)
                await self.web.start()

    async def _sprintbot_close(self) -> None:
        if self.web is not None:
            await self.web.stop()
        await self.timers.aclose()
        await self.services.aclose()
        stop = getattr(self.delivery, "stop", None)
        if stop is not None:
            await stop()


def _bot_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "command_prefix": commands.when_mentioned,
        "intents": bot_intents(),
        "allowed_mentions": discord.AllowedMentions.none(),
        "tree_cls": SprintTree,
        "help_command": None,
        "activity": discord.Activity(type=discord.ActivityType.watching, name="/help · coworking"),
    }


class SprintBot(_SprintBotMixin, commands.Bot):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        *,
        run_services: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**_bot_kwargs(settings), **kwargs)
        self._init_sprintbot(settings, database, clock, run_services=run_services)

    async def setup_hook(self) -> None:
        await self._sprintbot_setup(self)

    async def close(self) -> None:
        await self._sprintbot_close()
        await super().close()


class ShardedSprintBot(_SprintBotMixin, commands.AutoShardedBot):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        *,
        run_services: bool = True,
        **kwargs: Any,
    ) -> None:
        if settings.discord.shard_ids:
            kwargs["shard_ids"] = list(settings.discord.shard_ids)
        kwargs["shard_count"] = settings.discord.shard_count
        super().__init__(**_bot_kwargs(settings), **kwargs)
        self._init_sprintbot(settings, database, clock, run_services=run_services)

    async def setup_hook(self) -> None:
        await self._sprintbot_setup(self)

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        """discord.py retries a shard that failed to connect every 5 s for ever, even after
        ``close()``: a SIGTERM while a shard was still connecting left the process retrying
        against a gateway that had gone (seen in tests/e2e/test_shards.py under load). Its retry
        calls this method again, so stopping here once closed ends the loop."""
        if self.is_closed():
            log.info("not connecting shard %s: the bot is closing", shard_id)
            return
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def close(self) -> None:
        await self._sprintbot_close()
        await super().close()


AnyBot = SprintBot | ShardedSprintBot


def create_bot(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    run_services: bool = True,
    **kwargs: Any,
) -> AnyBot:
    """Build the bot without connecting. Pass ``database`` to share an engine you manage."""
    apply_endpoints(settings)
    database = database or Database.from_url(settings.database.url, echo=settings.database.echo)
    clock = clock or SystemClock()
    cls = ShardedSprintBot if settings.discord.shard_count else SprintBot
    return cls(settings, database, clock, run_services=run_services, **kwargs)
