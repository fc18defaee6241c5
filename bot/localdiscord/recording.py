"""What the server saw: every request, every harness error, and injected faults."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .snowflake import utcnow

UNKNOWN_ROUTE = "<unknown>"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    route: str  # the OpenAPI path template, e.g. "/channels/{channel_id}/messages"
    path: str
    status: int
    at: float  # time.monotonic()
    duration: float
    response: Any = None  # the JSON body sent back (when the server records bodies)


@dataclass(frozen=True)
class ErrorRecord:
    """A problem a test should fail on.

    ``kind`` is ``unknown_route``, ``handler_exception`` or ``bad_payload``.
    """

    kind: str
    method: str
    path: str
    detail: str
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Stats:
    requests: int
    rate_limited: int
    by_route: Counter[tuple[str, str]]
    by_status: Counter[int]

    def count(self, method: str, route: str) -> int:
        return self.by_route[(method, route)]


def summarise(records: list[RequestRecord]) -> Stats:
    by_route = Counter((r.method, r.route) for r in records)
    by_status = Counter(r.status for r in records)
    return Stats(len(records), by_status[429], by_route, by_status)


@dataclass
class Fault:
    method: str
    pattern: str | re.Pattern[str]
    status: int
    remaining: int
    retry_after: float

    def matches(self, method: str, route: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if isinstance(self.pattern, re.Pattern):
            return bool(self.pattern.search(route) or self.pattern.search(path))
        return self.pattern in (route, path)


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take(self, method: str, route: str, path: str) -> Fault | None:
        """The first armed fault for this request, used up by one."""
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(method, route, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None
