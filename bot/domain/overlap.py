"""Finding a time: the slots in the coming days when most of a group are free.

Each member's weekly windows (their own zone, :mod:`bot.domain.availability`) become real UTC
intervals, DST-correct, over the horizon. Candidate slots start on a grid of ``step`` minutes
(whole multiples of the step since the Unix epoch, so a 30-minute grid lines up with the half
hours people write in every zone, Kolkata's included) and last ``length`` minutes. A member
counts for a slot only when they are free for the whole of it. Slots are ranked by how many
members can come; ties go to the earlier slot. Pure: the start instant is passed in.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from bot.domain.availability import Availability, week_intervals

__all__ = ["Slot", "find_slots", "grid_start"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Slot(Generic[K]):
    """From ``start`` to ``end`` (aware UTC), every one of ``members`` is free throughout."""

    start: datetime
    end: datetime
    members: frozenset[K]

    @property
    def count(self) -> int:
        return len(self.members)


def grid_start(start: datetime, step_minutes: int) -> datetime:
    """The first grid point at or after ``start``."""
    if start.tzinfo is None:
        raise ValueError("grid_start needs an aware start")
    step = step_minutes * 60
    stamp = start.timestamp()
    first = -int(-stamp // step) * step  # ceil
    return datetime.fromtimestamp(first, UTC)


def find_slots(
    availability: Mapping[K, Availability],
    start: datetime,
    *,
    length_minutes: int = 60,
    step_minutes: int = 30,
    horizon_days: int = 14,
    minimum: int = 1,
    limit: int | None = None,
    apart: bool = False,
) -> list[Slot[K]]:
    """The slots within ``[start, start + horizon_days)`` when at least ``minimum`` members are
    free for all ``length_minutes``, most members first, then earliest; at most ``limit``.

    With ``apart``, a slot that overlaps one already chosen is left out (so five suggestions are
    five different times, not 10:00, 10:30 and 11:00 of one free morning); the one kept has at
    least as many members and starts earlier on a tie.
    """
    if length_minutes <= 0 or step_minutes <= 0 or horizon_days <= 0:
        raise ValueError("length, step and horizon must be positive")
    if minimum < 1:
        raise ValueError("minimum must be at least 1")
    end = start.astimezone(UTC) + timedelta(days=horizon_days)
    base = grid_start(start, step_minutes)
    step = step_minutes * 60
    length = length_minutes * 60
    base_ts = int(base.timestamp())
    last_start = int(end.timestamp()) - length
    if last_start < base_ts:
        return []
    count = (last_start - base_ts) // step + 1
    free: list[list[K]] = [[] for _ in range(count)]
    for member, av in availability.items():
        for iv in week_intervals(av, start, days=horizon_days):
            a, b = iv.start.timestamp(), iv.end.timestamp()
            first = max(-int(-(a - base_ts) // step), 0)  # ceil: starts at or after iv.start
            last = min(int((b - length - base_ts) // step), count - 1)  # ends by iv.end
            for k in range(first, last + 1):
                free[k].append(member)
    ranked = sorted(
        (k for k in range(count) if len(free[k]) >= minimum), key=lambda k: (-len(free[k]), k)
    )
    chosen: list[int] = []
    for k in ranked:
        if limit is not None and len(chosen) >= limit:
            break
        if apart and any(abs(k - c) * step < length for c in chosen):
            continue
        chosen.append(k)
    return [
        Slot(
            start=base + timedelta(seconds=k * step),
            end=base + timedelta(seconds=k * step + length),
            members=frozenset(free[k]),
        )
        for k in chosen
    ]
