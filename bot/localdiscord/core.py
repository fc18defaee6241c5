"""Server configuration and the shared state REST handlers work on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .gateway import GatewayHub
from .interactions import Interactions
from .ratelimit import RateLimitConfig, RateLimiter
from .recording import ErrorRecord, FaultInjector, RequestRecord
from .world import World

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = an ephemeral port
    token: str = "local-sprintbot-token"
    bot_name: str = "Sprintbot"
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    interaction_deadline: float = 3.0  # seconds Discord waits for the first callback
    interaction_token_ttl: float = 900.0  # followups allowed for 15 minutes
    heartbeat_interval_ms: int = 41250
    replay_limit: int = 10000  # dispatches kept per session for RESUME
    record_bodies: bool = True  # keep response JSON in the request log (schema tests)
    attachment_size_limit: int = 10 * 1024 * 1024


@dataclass(eq=False)
class Core:
    config: ServerConfig
    world: World
    gateway: GatewayHub
    limiter: RateLimiter
    interactions: Interactions
    faults: FaultInjector = field(default_factory=FaultInjector)
    requests: list[RequestRecord] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)

    def record_error(self, kind: str, method: str, path: str, detail: str) -> None:
        _log.warning("local discord %s: %s %s: %s", kind, method, path, detail)
        self.errors.append(ErrorRecord(kind, method, path, detail))
