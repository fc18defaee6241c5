"""How one outbox row becomes one Discord request, and what Discord's answer means for it.

``Transport`` is the sender's seam: ``deliver(request)`` returns the id Discord gave the created
object (message or thread) or ``None``, and raises :class:`Transient` (try again later) or
:class:`Permanent` (stop; a manager may need to act). :class:`DiscordTransport` implements it with
discord.py's ``HTTPClient`` (so the bot's token, session and per-route buckets are reused), and
:class:`RestGate` hooks into that client's aiohttp session so *every* REST request the process makes
takes a token from the global bucket, except interaction callbacks and webhook follow-ups, which
Discord does not count.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import discord
from discord.http import Route

from bot.delivery.limits import Limits

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    """One resolved row: ids are real Discord ids (refs already looked up)."""

    kind: str
    channel_id: int
    target_message_id: int | None
    payload: dict[str, Any]
    nonce: str
    row_id: int = 0


class DeliveryError(Exception):
    def __init__(self, reason: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code


class Transient(DeliveryError):
    """Try again later (5xx, 429, network trouble); ``retry_after`` when Discord named a time."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason, status=status, code=code)
        self.retry_after = retry_after


class Permanent(DeliveryError):
    """Retrying cannot help. ``notify``: a manager should see it (permissions, deleted channel)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: int | None = None,
        channel_gone: bool = False,
        notify: bool = True,
    ) -> None:
        super().__init__(reason, status=status, code=code)
        self.channel_gone = channel_gone
        self.notify = notify


class Transport(Protocol):
    async def deliver(self, request: DeliveryRequest) -> int | None: ...


# -- routes ------------------------------------------------------------------------------------

# Discord JSON error codes we act on.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_ALREADY_CREATED = 160004

_RENAME_KEYS = frozenset({"name", "topic"})


def budget_bucket(kind: str, payload: dict[str, Any]) -> str:
    """The channel budget a row spends (see ``limits.channel_budgets``)."""
    if kind in ("send", "edit"):
        return "message"
    if kind == "channel_edit" and _RENAME_KEYS & payload.keys():
        return "rename"
    return "default"


def route_for(request: DeliveryRequest) -> tuple[Route, dict[str, Any] | None]:
    """discord.py's Route and JSON body for a row."""
    kind, cid, mid, payload = (
        request.kind,
        request.channel_id,
        request.target_message_id,
        request.payload,
    )
    if kind == "send":
        body = {**payload, "nonce": request.nonce, "enforce_nonce": True}
        return Route("POST", "/channels/{channel_id}/messages", channel_id=cid), body
    if kind == "edit":
        route = Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=cid, message_id=mid
        )
        return route, payload
    if kind == "delete":
        route = Route(
            "DELETE", "/channels/{channel_id}/messages/{message_id}", channel_id=cid, message_id=mid
        )
        return route, None
    if kind == "thread":
        if mid is not None:
            route = Route(
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                channel_id=cid,
                message_id=mid,
            )
            return route, payload
        return Route("POST", "/channels/{channel_id}/threads", channel_id=cid), payload
    if kind == "channel_edit":
        return Route("PATCH", "/channels/{channel_id}", channel_id=cid), payload
    if kind == "voice_status":
        return Route("PUT", "/channels/{channel_id}/voice-status", channel_id=cid), payload
    if kind == "event_create":
        gid = int(payload["guild_id"])
        return Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=gid), payload["event"]
    if kind == "event_edit":
        route = Route(
            "PATCH",
            "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
            guild_id=int(payload["guild_id"]),
            guild_scheduled_event_id=mid,
        )
        return route, payload["event"]
    raise ValueError(f"unknown outbox kind {kind!r}")


# -- the gate: every REST request of the process passes the global bucket ------------------------

_API_PREFIX = re.compile(r"^/api(?:/v\d+)?")
_SNOWFLAKE = re.compile(r"/\d{5,}")
_CHANNEL = re.compile(r"^/channels/(\d+)")


def api_path(url_path: str) -> str:
    return _API_PREFIX.sub("", url_path, count=1)


def route_label(method: str, path: str) -> str:
    """``POST /channels/{id}/messages``: a request's route with ids and tokens taken out."""
    parts = _SNOWFLAKE.sub("/{id}", path).split("/")
    if len(parts) > 3 and parts[1] in ("webhooks", "interactions"):
        parts[3] = "{token}"
    return f"{method} {'/'.join(parts)}"


def is_exempt(path: str) -> bool:
    """Interaction callbacks and webhook follow-ups do not count against the global limit."""
    return path.startswith(("/interactions/", "/webhooks/"))


def gate_budget_key(method: str, path: str) -> tuple[int, str] | None:
    """The channel budget a request belongs to, as far as a URL tells."""
    m = _CHANNEL.match(path)
    if m is None:
        return None
    channel_id = int(m.group(1))
    rest = path[m.end() :]
    if rest == "/messages" and method == "POST":
        return channel_id, "message"
    if rest.startswith("/messages/") and rest.count("/") == 2 and method == "PATCH":
        return channel_id, "message"
    return channel_id, "default"


class Prepaid:
    """Handed to aiohttp as ``trace_request_ctx``: the first attempt already took its token.

    discord.py retries 429s and 5xx inside ``HTTPClient.request``; those retries reuse the request's
    arguments, so the flag is spent by the first attempt and every retry takes a token of its own.
    """

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False


@dataclass
class GateStats:
    requests: int = 0  # requests that counted against the global limit
    exempt: int = 0  # interaction callbacks and webhook follow-ups
    responses_429: int = 0
    global_429: int = 0
    errors_5xx: int = 0
    by_route: Counter[str] = field(default_factory=Counter)


class RestGate:
    """aiohttp trace hooks for discord.py's session: a token before, Discord's verdict after."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.stats = GateStats()

    def trace_config(self, existing: aiohttp.TraceConfig | None = None) -> aiohttp.TraceConfig:
        config = existing or aiohttp.TraceConfig()
        config.on_request_start.append(self._on_start)
        config.on_request_end.append(self._on_end)
        config.on_request_exception.append(self._on_exception)
        return config

    def install(self, http: discord.http.HTTPClient) -> None:
        """Hook into ``http`` (before login: discord.py builds its session from ``http_trace``)."""
        http.http_trace = self.trace_config(http.http_trace)

    async def _on_start(
        self, _session: Any, ctx: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if params.headers.get("Upgrade", "").lower() == "websocket":
            return  # the gateway connection
        path = api_path(params.url.path)
        self.stats.by_route[route_label(params.method, path)] += 1
        if is_exempt(path):
            self.stats.exempt += 1
            return
        self.stats.requests += 1
        ticket = ctx.trace_request_ctx
        if isinstance(ticket, Prepaid) and not ticket.used:
            ticket.used = True
        else:
            await self.limits.bucket.take()
        ctx.cap_ticket = await self.limits.cap.wait()

    def _answered(self, ctx: Any) -> None:
        ticket = getattr(ctx, "cap_ticket", None)
        if ticket is not None:
            ctx.cap_ticket = None
            self.limits.cap.finish(ticket)

    async def _on_exception(
        self, _session: Any, ctx: Any, _params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        self._answered(ctx)

    async def _on_end(self, _session: Any, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        self._answered(ctx)
        response = params.response
        headers = response.headers
        status = response.status
        path = api_path(params.url.path)
        if status >= 500:
            self.stats.errors_5xx += 1
        key = gate_budget_key(params.method, path)
        if status == 429:
            self.stats.responses_429 += 1
            retry_after = (
                _float(headers.get("Retry-After"))
                or _float(headers.get("X-RateLimit-Reset-After"))
                or 1.0
            )
            is_global = (
                headers.get("X-RateLimit-Global", "").lower() == "true"
                or headers.get("X-RateLimit-Scope") == "global"
            )
            if is_global:
                self.stats.global_429 += 1
                self.limits.bucket.pause(retry_after)
                log.warning("global rate limit hit: pausing all requests for %.2fs", retry_after)
            elif key is not None:
                self.limits.channels.block(key, retry_after)
                log.info("rate limited on %s %s for %.2fs", params.method, path, retry_after)
            return
        if key is not None and headers.get("X-RateLimit-Remaining") == "0":
            reset_after = _float(headers.get("X-RateLimit-Reset-After"))
            if reset_after:
                self.limits.channels.block(key, reset_after)


def _float(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


# -- the transport -----------------------------------------------------------------------------


class DiscordTransport:
    """Sends rows with discord.py's HTTP client; every request is prepaid by the sender."""

    def __init__(self, http: discord.http.HTTPClient, limits: Limits) -> None:
        self.http = http
        self.gate = RestGate(limits)
        self.gate.install(http)

    async def deliver(self, request: DeliveryRequest) -> int | None:
        route, body = route_for(request)
        kwargs: dict[str, Any] = {"trace_request_ctx": Prepaid()}
        if body is not None:
            kwargs["json"] = body
        try:
            data = await self.http.request(route, **kwargs)
        except discord.HTTPException as exc:
            return _answer_error(request, exc)
        except discord.RateLimited as exc:
            raise Transient(
                f"rate limited for {exc.retry_after:.1f}s", status=429, retry_after=exc.retry_after
            ) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise Transient(f"network error: {exc.__class__.__name__}: {exc}") from None
        except (RuntimeError, AttributeError) as exc:
            # "Session is closed" while the bot restarts its connection, or not logged in yet.
            raise Transient(f"HTTP client not ready: {exc}") from None
        if isinstance(data, dict) and "id" in data and request.kind in _CREATES:
            return int(data["id"])
        return None


_CREATES = frozenset({"send", "thread", "event_create"})
_EVENT_KINDS = frozenset({"event_create", "event_edit"})


def _answer_error(request: DeliveryRequest, exc: discord.HTTPException) -> int | None:
    status, code = exc.status, exc.code
    text = (exc.text or "").strip()[:200]
    where = f"<#{request.channel_id}>"
    if status == 429:
        retry = _float(exc.response.headers.get("Retry-After")) if exc.response else None
        raise Transient(
            "rate limited by Discord (429) after discord.py's own retries",
            status=status,
            code=code,
            retry_after=retry,
        )
    if status >= 500 or status in (408, 401):
        # 401: the token was refused mid-run; keep the rows until it works again.
        raise Transient(f"Discord answered {status} {text}", status=status, code=code)
    if code == UNKNOWN_MESSAGE and request.kind == "delete":
        return None  # already gone: what we wanted
    if request.kind in _EVENT_KINDS and status < 500 and status not in (408, 401, 429):
        _event_refused(request, status, code, text)
    if code == THREAD_ALREADY_CREATED and request.target_message_id is not None:
        return request.target_message_id  # a thread started from a message has the message's id
    if code == UNKNOWN_CHANNEL:
        raise Permanent(
            f"the channel {where} no longer exists (Unknown Channel)",
            status=status,
            code=code,
            channel_gone=True,
        )
    if code == MISSING_PERMISSIONS:
        raise Permanent(
            f"the bot lacks a permission in {where} to {_verb(request.kind)} (Missing Permissions)",
            status=status,
            code=code,
        )
    if code == MISSING_ACCESS:
        raise Permanent(f"the bot cannot see {where} (Missing Access)", status=status, code=code)
    if code == UNKNOWN_MESSAGE:
        raise Permanent(
            f"the message to {_verb(request.kind)} in {where} was deleted",
            status=status,
            code=code,
            notify=False,
        )
    raise Permanent(
        f"Discord refused to {_verb(request.kind)} in {where}: {status} {text}",
        status=status,
        code=code,
    )


def _event_refused(request: DeliveryRequest, status: int, code: int, text: str) -> None:
    """A refused scheduled-event request: only a missing permission is a manager's business.

    Unknown Channel here is the event's voice channel, not the row's text channel, so it never
    marks the text channel gone; an event deleted by hand (10070) or already finished (180000)
    is simply over.
    """
    if code in (MISSING_PERMISSIONS, MISSING_ACCESS):
        raise Permanent(
            "the bot lacks the Manage Events permission (or Connect in the voice channel) to "
            "keep the session's Discord event up to date",
            status=status,
            code=code,
        )
    raise Permanent(
        f"Discord refused to {_verb(request.kind)}: {status} {text}",
        status=status,
        code=code,
        notify=False,
    )


def _verb(kind: str) -> str:
    return {
        "send": "post a message",
        "edit": "edit a message",
        "delete": "delete a message",
        "thread": "start a thread",
        "channel_edit": "edit the channel",
        "voice_status": "set the voice channel status",
        "event_create": "create the Discord event",
        "event_edit": "update the Discord event",
    }.get(kind, kind)
