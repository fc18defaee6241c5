"""The sprint area's types: the view snapshots (defined in :mod:`bot.views.sprint`, where render
can import them without importing a service) and what only the service and cogs use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.views.sprint import (
    ControlResult,
    HistoryEntry,
    JoinResult,
    LeaveResult,
    ParticipantView,
    PhaseNotice,
    SprintDefaults,
    SprintView,
)

__all__ = [
    "ControlResult",
    "HistoryEntry",
    "JoinResult",
    "LeaveResult",
    "ParticipantView",
    "PhaseListener",
    "PhaseNotice",
    "SprintDefaults",
    "SprintView",
    "StartRequest",
]


@dataclass(frozen=True)
class StartRequest:
    guild_id: int
    channel_id: int
    host_id: int
    host_name: str
    preset: str | None = None
    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    long_break: int | None = None
    long_break_every: int | None = None
    intro: int | None = None
    voice_channel_id: int | None = None
    title: str | None = None
    # Members already in the linked voice channel (joined when auto-join is on).
    voice_members: tuple[tuple[int, str], ...] = ()
    # Members who join at the start besides the host (a standing session's Going members).
    members: tuple[tuple[int, str], ...] = ()
    host_joins: bool = True
    # When the sprint should have started (a standing session the bot was down for): it runs
    # as of then, for the time that is left.
    started_at: datetime | None = None


PhaseListener = Callable[[PhaseNotice], Awaitable[None]]
