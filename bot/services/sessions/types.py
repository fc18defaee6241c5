"""The sessions area's types: the view snapshots (in :mod:`bot.views.sessions`, where render can
import them) and what only the service and cogs use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.views.sessions import (
    AttendanceLine,
    Attendee,
    OccurrenceView,
    Rsvp,
    RsvpResult,
    SeriesView,
)

__all__ = [
    "AttendanceLine",
    "Attendee",
    "Calendar",
    "EditRequest",
    "OccurrenceView",
    "Rsvp",
    "RsvpResult",
    "ScheduleRequest",
    "Scheduled",
    "SeriesView",
]


@dataclass(frozen=True)
class ScheduleRequest:
    guild_id: int
    channel_id: int
    creator_id: int
    creator_name: str
    title: str
    when: str
    repeat: str | None = None
    until: str | None = None
    count: int | None = None
    zone: str | None = None
    preset: str | None = None
    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    intro: int | None = None
    voice_channel_id: int | None = None
    capacity: int | None = None
    role_id: int | None = None
    norms: str | None = None
    reminders: str | None = None  # "15", "1440,15", "none"
    # What the cog found out about Discord (the service words the refusal).
    can_post: bool = True
    role_mentionable: bool = True
    # A confirmed slot offer (issue #14) schedules at an exact instant (``when`` is then not
    # read), with the plan it resolved when offered and its takers Going with the creator.
    at: datetime | None = None
    plan: dict[str, Any] | None = None
    going: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Scheduled:
    """What :meth:`SessionService.schedule_in` made: the series, and when its timer wakes (armed
    by ``after_schedule`` once the caller's transaction committed)."""

    view: SeriesView
    wake: datetime | None


@dataclass(frozen=True)
class EditRequest:
    """``/session edit``: None leaves a field as it is; ``future`` False: the next one only."""

    future: bool = False
    title: str | None = None
    when: str | None = None
    preset: str | None = None
    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    intro: int | None = None
    voice_channel_id: int | None = None
    clear_voice: bool = False
    capacity: int | None = None
    norms: str | None = None
    reminders: str | None = None


@dataclass(frozen=True)
class Calendar:
    filename: str
    ics: bytes
    google: str | None
