"""The web app: live sprint pages, their event streams, calendar feeds and a health check.

A thin adapter like the cogs: parse the request, call the sharing service, render a template.
Every response carries a strict Content-Security-Policy (scripts, styles and connections to this
server only; no inline script), ``Referrer-Policy: no-referrer`` (the link is the secret) and no
caching. Only the files named in ``STATIC`` are served; there is no directory listing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Protocol

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.clock import Clock
from bot.services.sharing import LivePage, ShareKind, SharingService
from bot.settings import WebSettings
from bot.web.calendar import feed_ics
from bot.web.ratelimit import RateLimiter, StreamLimiter

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; media-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATIC = {
    "live.js": "text/javascript; charset=utf-8",
    "live.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 1000


class Health(Protocol):
    async def database_ok(self) -> bool:
        """Whether a trivial query succeeds."""

    def gateway_ready(self) -> bool:
        """Whether the bot is connected to Discord and has its servers."""


@dataclass(frozen=True)
class _Asset:
    body: bytes
    content_type: str
    etag: str


def _assets() -> dict[str, _Asset]:
    folder = resources.files("bot.web") / "static"
    out: dict[str, _Asset] = {}
    for name, content_type in STATIC.items():
        body = (folder / name).read_bytes()
        out[name] = _Asset(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
    return out


def templates() -> Environment:
    return Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


class WebApp:
    """Request handlers bound to the services they call."""

    def __init__(
        self, sharing: SharingService, health: Health, settings: WebSettings, clock: Clock
    ) -> None:
        self.sharing = sharing
        self.health = health
        self.settings = settings
        self.clock = clock
        self.env = templates()
        self.assets = _assets()
        self.requests = RateLimiter(settings.requests_per_minute)
        self.streams = StreamLimiter(settings.streams_per_ip)
        self.asset_version = hashlib.sha256(
            b"".join(a.etag.encode() for a in self.assets.values())
        ).hexdigest()[:10]
        self._not_found = self._render("notfound.html", status=404)

    def build(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=4096)
        app.router.add_get("/", self.index)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/s/{token}", self.page)
        app.router.add_get("/s/{token}/events", self.events)
        app.router.add_get("/calendar/{token}.ics", self.calendar)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/favicon.ico", self.favicon)
        return app

    # ---- middleware -----------------------------------------------------------------------------

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self.not_found()
        except web.HTTPMethodNotAllowed as exc:
            response = web.Response(status=405, text="Method not allowed.", headers=exc.headers)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def client(self, request: web.Request) -> str:
        if self.settings.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            if forwarded:
                return forwarded.split(",")[0].strip()[:64]
        return request.remote or "?"

    def _limited(self, request: web.Request) -> web.Response | None:
        wait = self.requests.allow(self.client(request))
        if wait <= 0:
            return None
        return web.Response(
            status=429,
            text="Too many requests from your address; try again in a moment.",
            headers={"Retry-After": str(max(1, round(wait)))},
        )

    # ---- pages ----------------------------------------------------------------------------------

    def _render(self, name: str, *, status: int = 200, **context: Any) -> web.Response:
        html = self.env.get_template(name).render(asset_version=self.asset_version, **context)
        return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")

    def not_found(self) -> web.Response:
        """The same body for every unknown or revoked link."""
        return web.Response(
            status=404, body=self._not_found.body, content_type="text/html", charset="utf-8"
        )

    async def index(self, request: web.Request) -> web.Response:
        return self._render("index.html")

    async def page(self, request: web.Request) -> web.Response:
        limited = self._limited(request)
        if limited is not None:
            return limited
        found = await self.sharing.open_page(request.match_info["token"])
        if found is None:
            return self.not_found()
        _, view = found
        now = self.clock.now()
        return self._render(
            "live.html",
            page=view,
            state={"now": _ms(now), "page": view.to_json()},
            remaining=_remaining_text(view, now),
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: the page state now, then at every change; a comment every 15 s."""
        limited = self._limited(request)
        if limited is not None:
            return limited
        share = await self.sharing.lookup(request.match_info["token"], ShareKind.SPRINT)
        if share is None or share.sprint_id is None:
            return self.not_found()
        address = self.client(request)
        if not self.streams.acquire(address):
            return web.Response(
                status=429,
                text="Too many open pages from your address.",
                headers={"Retry-After": "30"},
            )
        stream = self.sharing.live.open(share.id, share.sprint_id, share.show_people)
        response: web.StreamResponse | None = None
        try:
            # A page already pushed to this sprint's streams serves as the first state.
            first = self.sharing.live.latest(share.sprint_id, share.show_people)
            if first is None:
                view = await self.sharing.page(share)
                if view is None:
                    return self.not_found()
                first = json.dumps(view.to_json(), separators=(",", ":"), ensure_ascii=False)
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/event-stream; charset=utf-8",
                    "Cache-Control": "no-store",
                    "X-Accel-Buffering": "no",  # nginx: pass events through at once
                }
            )
            for key, value in SECURITY_HEADERS.items():
                response.headers[key] = value
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n\n".encode() + self._state(first))
            while not stream.closed:
                text = await stream.next(KEEPALIVE_SECONDS)
                if stream.closed:
                    if stream.revoked:
                        await response.write(b"event: gone\ndata: {}\n\n")
                    break
                if text is None:
                    await response.write(f": {_ms(self.clock.now())}\n\n".encode())
                else:
                    await response.write(self._state(text))
            return response
        except ConnectionResetError:  # the page was closed; nothing to tell anyone
            return response if response is not None else web.Response(status=204)
        finally:
            self.sharing.live.close(stream)
            self.streams.release(address)

    def _state(self, page_json: str) -> bytes:
        now = _ms(self.clock.now())
        return f'event: state\ndata: {{"now":{now},"page":{page_json}}}\n\n'.encode()

    async def calendar(self, request: web.Request) -> web.Response:
        limited = self._limited(request)
        if limited is not None:
            return limited
        token = request.match_info["token"]
        share = await self.sharing.lookup(token, ShareKind.MEMBER_FEED)
        if share is None:
            share = await self.sharing.lookup(token, ShareKind.GUILD_FEED)
        feed = None if share is None else await self.sharing.feed(share)
        if feed is None:
            return self.not_found()
        body = feed_ics(feed, self.clock.now())
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": 'inline; filename="sprintbot.ics"'},
        )

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            database = await asyncio.wait_for(self.health.database_ok(), timeout=5)
        except Exception:
            database = False
        gateway = self.health.gateway_ready()
        ok = database and gateway
        body = {
            "status": "ok" if ok else "unavailable",
            "database": "ok" if database else "error",
            "gateway": "ready" if gateway else "not ready",
            "open_pages": self.sharing.live.open_streams,
        }
        return web.json_response(body, status=200 if ok else 503)

    async def static(self, request: web.Request) -> web.Response:
        asset = self.assets.get(request.match_info["name"])
        if asset is None:
            return self.not_found()
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers={"ETag": asset.etag})
        return web.Response(
            body=asset.body,
            headers={
                "Content-Type": asset.content_type,
                "ETag": asset.etag,
                "Cache-Control": "public, max-age=86400",
            },
        )

    async def favicon(self, request: web.Request) -> web.Response:
        request.match_info["name"] = "icon.svg"
        return await self.static(request)


def _remaining_text(view: LivePage, now: datetime) -> str:
    """The countdown as the server sees it (the script takes over at once)."""
    if view.is_over:
        return "Done"
    if view.paused_remaining_s is not None:
        seconds = view.paused_remaining_s
    elif view.phase_ends_at is not None:
        seconds = max(0.0, (view.phase_ends_at - now).total_seconds())
    else:
        seconds = 0.0
    total = int(seconds + 0.999)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
