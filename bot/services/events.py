"""In-transaction events between services (sprints → goals/check-ins/debrief, accountability).

A publisher awaits every subscriber with the same session, so the messages subscribers enqueue
commit or roll back with the state change that caused them. Subscribers must be quick and must not
commit. ``card_lines`` lets other areas add a short per-participant suffix to the sprint card
(e.g. goal progress "✅ 2/3" or the latest check-in).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SprintStarted:
    sprint_id: int
    guild_id: int
    channel_id: int
    at: datetime


@dataclass(frozen=True)
class PhaseChanged:
    """The sprint moved to a new phase (or finished). ``to_kind`` is a PhaseKind value or None."""

    sprint_id: int
    guild_id: int
    channel_id: int
    from_index: int
    to_index: int | None
    to_kind: str | None
    round: int
    finished: bool
    at: datetime


@dataclass(frozen=True)
class SprintEnded:
    """Finished normally (``reason`` "finished") or ended early ("stopped", "empty", "channel")."""

    sprint_id: int
    guild_id: int
    channel_id: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class ParticipantJoined:
    sprint_id: int
    user_id: int
    at: datetime


@dataclass(frozen=True)
class ParticipantLeft:
    sprint_id: int
    user_id: int
    at: datetime


Handler = Callable[[AsyncSession, Any], Awaitable[None]]
CardLines = Callable[[AsyncSession, int], Awaitable[dict[int, str]]]


class Events:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._card_lines: list[CardLines] = []

    def subscribe(self, event_type: type, handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, session: AsyncSession, event: object) -> None:
        for handler in self._handlers[type(event)]:
            await handler(session, event)

    def add_card_lines(self, provider: CardLines) -> None:
        self._card_lines.append(provider)

    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        """Per-user suffixes for the sprint card, joined from every provider."""
        out: dict[int, list[str]] = defaultdict(list)
        for provider in self._card_lines:
            for user_id, text in (await provider(session, sprint_id)).items():
                out[user_id].append(text)
        return {user_id: " · ".join(parts) for user_id, parts in out.items()}
