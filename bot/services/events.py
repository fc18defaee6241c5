"""In-transaction events between services (sprints → goals/check-ins/debrief, accountability).

A publisher awaits every subscriber with the same session, so the messages subscribers enqueue
commit or roll back with the state change that caused them. Subscribers must be quick and must not
commit. ``card_lines`` lets other areas add a short per-participant suffix to the sprint card
(e.g. goal progress "✅ 2/3" or the latest check-in). ``break_add_ons`` lets other areas put a
short text and buttons on the sprint's break announcement (the check-in prompt rides on it, so a
break costs one message); :func:`phase_message_ref` names that announcement for thread targets.
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
class SprintUpdated:
    """Something the sprint's card shows changed (pause, resume, extend, members, goals)."""

    sprint_id: int
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


def phase_message_ref(sprint_id: int, phase_index: int) -> str:
    """The outbox ref of the announcement posted when a sprint enters ``phase_index``."""
    return f"sprint_phase:{sprint_id}:{phase_index}"


@dataclass(frozen=True)
class BreakAddOn:
    """Extra text and message components (action rows, Discord JSON) for a break announcement."""

    text: str = ""
    components: tuple[dict[str, Any], ...] = ()


Handler = Callable[[AsyncSession, Any], Awaitable[None]]
CardLines = Callable[[AsyncSession, int], Awaitable[dict[int, str]]]
# (session, sprint_id, round whose break starts) -> what to add, or None
BreakComponents = Callable[[AsyncSession, int, int], Awaitable[BreakAddOn | None]]


class Events:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._card_lines: list[CardLines] = []
        self._break_components: list[BreakComponents] = []

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

    def add_break_components(self, provider: BreakComponents) -> None:
        self._break_components.append(provider)

    async def break_add_ons(
        self, session: AsyncSession, sprint_id: int, round_: int
    ) -> list[BreakAddOn]:
        """What every provider adds to the announcement of the break after ``round_``."""
        out: list[BreakAddOn] = []
        for provider in self._break_components:
            add_on = await provider(session, sprint_id, round_)
            if add_on is not None:
                out.append(add_on)
        return out
