"""What finding a time looks like to render and cogs (built by
``bot.services.availability.find``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.overlap import Slot

__all__ = ["FindTimeView"]


@dataclass(frozen=True)
class FindTimeView:
    asked: tuple[int, ...]  # the members searched for, in the order named
    zones: dict[int, str]  # member → their availability's zone (members with hours only)
    missing: tuple[int, ...]  # members named who have not set their hours in this server
    slots: tuple[Slot[int], ...]  # the suggestions, best first
    length_minutes: int
    days: int
    role_id: int | None = None  # searched for the members of this role who set their hours
