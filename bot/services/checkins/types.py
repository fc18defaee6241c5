"""What the check-in service hands to cogs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckInResult", "HuddleResult"]


@dataclass(frozen=True)
class CheckInResult:
    sprint_id: int
    round: int
    status: str
    previous: str | None  # the status before this click (None: first check-in this round)
    note: str | None
    huddle_thread_id: int | None
    sprint_active: bool = True


@dataclass(frozen=True)
class HuddleResult:
    thread_id: int | None  # known once the thread exists
    created: bool  # a new thread was requested by this call
    name: str
