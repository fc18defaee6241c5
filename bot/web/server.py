"""Start and stop the web app inside the bot's process (same event loop, no thread)."""

from __future__ import annotations

import errno
import logging
import socket

from aiohttp import web

from bot.clock import Clock
from bot.services.sharing import SharingService
from bot.settings import WebSettings
from bot.web.app import Health, WebApp

log = logging.getLogger(__name__)


class WebServer:
    def __init__(
        self, sharing: SharingService, health: Health, settings: WebSettings, clock: Clock
    ) -> None:
        self.settings = settings
        self.sharing = sharing
        self.app = WebApp(sharing, health, settings, clock)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def local_url(self) -> str | None:
        """Where this machine reaches the server (None until started)."""
        if self.port is None:
            return None
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> bool:
        """Listen on the configured address. Never raises: a busy port is logged.

        Without a public base URL (trying the bot locally) a busy port falls back to a free one,
        so the console and tests still get their pages; with one, a proxy expects the configured
        port, so the server stays off and says why.
        """
        runner = web.AppRunner(
            self.app.build(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        port = self.settings.port
        try:
            bound = await self._bind(runner, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or self.settings.public_base_url is not None:
                log.error(
                    "web: cannot listen on %s:%s (%s); live pages and feeds are off. Set [web] "
                    "port to a free port or [web] enabled = false.",
                    self.settings.host,
                    port,
                    exc.strerror or exc,
                )
                await runner.cleanup()
                return False
            log.warning("web: port %s is in use; using a free port instead", port)
            bound = await self._bind(runner, 0)
        self._runner = runner
        self.port = bound
        if self.settings.public_base_url is None and self.local_url is not None:
            self.sharing.base_url = self.local_url
        log.info(
            "web: serving live pages on %s (health: %s/healthz)",
            self.sharing.base_url,
            self.local_url,
        )
        return True

    async def _bind(self, runner: web.AppRunner, port: int) -> int:
        site = web.TCPSite(runner, self.settings.host, port, reuse_address=True)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        for sock in sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                return int(sock.getsockname()[1])
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            # Open streams end here; their pages reconnect to whatever serves next.
            self.sharing.live.close_all()
            await self._runner.cleanup()
            self._runner = None
