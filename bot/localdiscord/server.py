"""``LocalDiscord``: the aiohttp server on 127.0.0.1 that the real discord.py client talks to."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

import yarl
from aiohttp import web

from .core import Core, ServerConfig
from .gateway import GatewayHub
from .interactions import Interactions
from .models import Channel
from .ratelimit import RateLimitConfig, RateLimiter
from .recording import ErrorRecord, Fault, RequestRecord, Stats, summarise
from .rest import Endpoint, RestApi
from .routes import all_endpoints
from .world import Guild, World

if TYPE_CHECKING:
    from .driver import Driver

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class LocalDiscord:
    """A Discord-compatible REST + gateway server for one bot, on loopback only.

    Use as ``async with LocalDiscord() as server:``; seed ``server.world`` (or
    ``server.add_guild``) before the bot connects, point discord.py at it with
    ``server.patch_discord()``, and drive members with ``server.driver``.
    """

    def __init__(
        self, config: ServerConfig | None = None, *, rate_limits: bool | RateLimitConfig = True
    ) -> None:
        config = config or ServerConfig()
        if isinstance(rate_limits, RateLimitConfig):
            config = replace(config, rate_limits=rate_limits)
        elif not rate_limits:
            config = replace(config, rate_limits=replace(config.rate_limits, enabled=False))
        if config.host not in _LOOPBACK:
            raise ValueError("the local Discord server only binds to loopback")
        self.config = config
        world = World(bot_name=config.bot_name)
        gateway = GatewayHub(
            world,
            token=config.token,
            resume_url=lambda: self.gateway_url,
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            replay_limit=config.replay_limit,
        )
        world.dispatch = gateway.dispatch
        interactions = Interactions(
            world,
            deadline=config.interaction_deadline,
            token_ttl=config.interaction_token_ttl,
            attachment_limit=config.attachment_size_limit,
        )
        self.core = Core(config, world, gateway, RateLimiter(config.rate_limits), interactions)
        self.endpoints: list[Endpoint] = all_endpoints()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._driver: Driver | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.core.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._file)
        RestApi(self.core, self.endpoints).install(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self.world.attachment_base = f"{self.base_url}/attachments"

    async def stop(self) -> None:
        await self.core.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalDiscord:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        channel = self.world.channels.get(int(request.match_info["channel_id"]))
        wanted = int(request.match_info["attachment_id"])
        for message in channel.messages.values() if channel else []:
            for attachment in message.attachments:
                if attachment.id == wanted:
                    content_type = attachment.content_type or "application/octet-stream"
                    return web.Response(body=attachment.data, content_type=content_type)
        raise web.HTTPNotFound()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` must point at."""
        return f"ws://{self.config.host}:{self.port}/gateway"

    @property
    def token(self) -> str:
        return self.config.token

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and gateway URL at this server; restore on exit."""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    # -- state and records -------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.core.world

    @property
    def gateway(self) -> GatewayHub:
        return self.core.gateway

    @property
    def driver(self) -> Driver:
        """The test driver acting as members (created on first use)."""
        if self._driver is None:
            from .driver import Driver

            self._driver = Driver(self)
        return self._driver

    def add_guild(self, name: str, **kwargs: Any) -> Guild:
        return self.world.add_guild(name, **kwargs)

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Every (method, OpenAPI path template) the server implements."""
        return [(e.method, e.route) for e in self.endpoints]

    @property
    def requests(self) -> list[RequestRecord]:
        return self.core.requests

    @property
    def errors(self) -> list[ErrorRecord]:
        """Unknown routes, handler exceptions and invalid bodies seen so far."""
        return self.core.errors

    @property
    def stats(self) -> Stats:
        return summarise(self.core.requests)

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        route: str | re.Pattern[str],
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (500, 503, 429...).

        ``route`` is an OpenAPI template (``"/channels/{channel_id}/messages"``), a concrete
        path, or a compiled regex searched in both. ``method`` may be ``"*"``.
        """
        self.core.faults.add(Fault(method.upper(), route, status, count, retry_after))

    async def drop_gateway(self, shard_id: int | None = None) -> int:
        """Close gateway connections (all, or one shard's) so the client RESUMEs."""
        return await self.core.gateway.drop(shard_id)

    def delete_channel(self, channel: Channel) -> None:
        self.world.delete_channel(channel)

    def set_bot_permissions(
        self, target: Guild | Channel, *, allow: int = 0, deny: int = 0
    ) -> None:
        self.world.set_bot_permissions(target, allow=allow, deny=deny)

    def revoke_bot_permission(self, target: Guild | Channel, permission: int) -> None:
        self.world.set_bot_permissions(target, deny=permission)
