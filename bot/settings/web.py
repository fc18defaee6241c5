"""[web]: the bot's own web server (live sprint pages, calendar feeds, a health check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings.checks import Rule, flag, int_range, url

__all__ = ["WEB_ENV", "WEB_RULES", "WebSettings", "web_problems"]


@dataclass(frozen=True)
class WebSettings:
    """The bot's own web server: live sprint pages, calendar feeds and a health check."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None  # e.g. https://sprints.example.org behind a proxy
    trust_proxy: bool = False  # take the client address from X-Forwarded-For
    requests_per_minute: int = 120  # page, feed and stream requests per client address
    streams_per_ip: int = 20  # open live-update streams per client address

    @property
    def local_base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _host() -> Rule:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise TypeError
        host: str = v.strip()
        if not host or any(c.isspace() or c in "/?#@" for c in host):
            raise ValueError
        return host

    return check, "a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0"


WEB_RULES: dict[str, Rule] = {
    "enabled": flag(),
    "host": _host(),
    "port": int_range(0, 65535),
    "public_base_url": url(("http", "https")),
    "trust_proxy": flag(),
    "requests_per_minute": int_range(1, 100_000),
    "streams_per_ip": int_range(1, 100_000),
}

WEB_ENV: dict[str, str] = {
    "SPRINTBOT_WEB_ENABLED": "enabled",
    "SPRINTBOT_WEB_HOST": "host",
    "SPRINTBOT_WEB_PORT": "port",
    "SPRINTBOT_PUBLIC_BASE_URL": "public_base_url",
}


def web_problems(source: str, web: WebSettings) -> list[str]:
    public = web.public_base_url
    if public is not None and ("?" in public or "#" in public or not public.split("://", 1)[1]):
        return [
            f"{source}: web.public_base_url = {public!r} must be a plain base URL such as "
            '"https://sprints.example.org" or "https://example.org/sprintbot" (no query).'
        ]
    return []
