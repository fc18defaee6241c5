"""The REST layer: routing, auth, rate limits, fault injection, recording and error mapping.

Handlers are plain ``async def handler(call: Call) -> Reply`` functions declared as
:class:`Endpoint` rows whose route is the OpenAPI path template. Whatever a handler raises
becomes a Discord-shaped 4xx (never an accidental 5xx, which discord.py would retry for ~25 s);
unknown routes, handler exceptions and invalid bodies are also recorded in ``Core.errors``.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from .core import Core
from .errors import ApiError, BadPayload, unauthorized
from .ratelimit import RateLimited
from .recording import UNKNOWN_ROUTE, Fault, RequestRecord
from .validation import UploadedFile

API_PREFIX = "/api/v10"
JSON_TYPE = "application/json"


@dataclass
class Call:
    """One REST request as a handler sees it."""

    core: Core
    request: web.Request
    method: str
    route: str
    params: dict[str, str]
    body: Any = None
    files: dict[int, UploadedFile] = field(default_factory=dict)

    def snowflake(self, name: str) -> int:
        value = self.params[name]
        return int(value) if value.isdigit() else 0

    def query(self, name: str) -> str | None:
        return self.request.query.get(name)

    def query_int(self, name: str, default: int) -> int:
        value = self.request.query.get(name)
        return int(value) if value is not None and value.isdigit() else default

    def json(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise BadPayload("_", "Expected a JSON object.", "DICT_TYPE_CONVERT")
        return self.body


@dataclass
class Reply:
    status: int = 200
    body: Any = None

    @classmethod
    def empty(cls) -> Reply:
        return cls(204, None)


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # OpenAPI path template
    handler: Handler
    bot_auth: bool = True  # False: authorised by an interaction token in the path


def json_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=204 if status < 300 else status, headers=headers)
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={**headers, "Content-Type": JSON_TYPE},
    )


class RestApi:
    def __init__(self, core: Core, endpoints: list[Endpoint]) -> None:
        self.core = core
        self.endpoints = endpoints

    def install(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, API_PREFIX + endpoint.route, self._wrap(endpoint))
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._unknown)

    def _wrap(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def serve(request: web.Request) -> web.Response:
            started = time.monotonic()
            status, body, headers = await self._process(request, endpoint)
            self._record(request, endpoint.route, status, body, started)
            return json_response(status, body, headers)

        return serve

    async def _process(
        self, request: web.Request, endpoint: Endpoint
    ) -> tuple[int, Any, dict[str, str]]:
        core = self.core
        headers: dict[str, str] = {}
        try:
            token = self._authorise(request, endpoint)
            fault = core.faults.take(request.method, endpoint.route, request.path)
            if fault is not None:
                return _fault_reply(fault)
            params = dict(request.match_info)
            bucket = core.limiter.bucket_for(request.method, endpoint.route, params)
            headers = core.limiter.acquire(token, bucket)
            call = Call(core, request, request.method, endpoint.route, params)
            call.body, call.files = await _read_body(request)
            reply = await endpoint.handler(call)
            return reply.status, reply.body, headers
        except RateLimited as limited:
            return 429, limited.body(), {**headers, **limited.headers}
        except BadPayload as bad:
            core.record_error("bad_payload", request.method, request.path, bad.message)
            return bad.status, bad.body(), headers
        except ApiError as error:
            return error.status, error.body(), headers
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc))
            core.record_error("handler_exception", request.method, request.path, detail)
            return 400, {"message": f"local discord handler error: {exc!r}", "code": 0}, headers

    def _authorise(self, request: web.Request, endpoint: Endpoint) -> str | None:
        """The bot token that the global limit counts against (None for token routes)."""
        if not endpoint.bot_auth:
            return None
        expected = f"Bot {self.core.config.token}"
        if request.headers.get("Authorization") != expected:
            raise unauthorized()
        return self.core.config.token

    async def _unknown(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        self.core.record_error("unknown_route", request.method, request.path, "no such route")
        body = {"message": "404: Not Found", "code": 0}
        self._record(request, UNKNOWN_ROUTE, 404, body, started)
        return json_response(404, body, {})

    def _record(
        self, request: web.Request, route: str, status: int, body: Any, started: float
    ) -> None:
        now = time.monotonic()
        keep = body if self.core.config.record_bodies else None
        record = RequestRecord(
            request.method, route, request.path, status, now, now - started, keep
        )
        self.core.requests.append(record)


def _fault_reply(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    if fault.status == 429:
        limited = RateLimited(fault.retry_after, is_global=False, headers={})
        return 429, limited.body(), limited.headers
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    message = f"{fault.status}: {reason.get(fault.status, 'Injected fault')}"
    return fault.status, {"message": message, "code": 0}, {}


async def _read_body(request: web.Request) -> tuple[Any, dict[int, UploadedFile]]:
    if not request.body_exists:
        return None, {}
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, {}
    try:
        return json.loads(raw), {}
    except ValueError:
        raise BadPayload("_", "The request body contains invalid JSON.", "JSON_INVALID") from None


async def _read_multipart(request: web.Request) -> tuple[Any, dict[int, UploadedFile]]:
    reader = await request.multipart()
    body: Any = None
    files: dict[int, UploadedFile] = {}
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif part.name.startswith("files[") and part.name.endswith("]"):
            index = int(part.name[6:-1])
            data = bytes(await part.read())
            content_type = part.headers.get("Content-Type")
            files[index] = UploadedFile(part.filename or f"file{index}", data, content_type)
    return body, files
