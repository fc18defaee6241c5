"""Sprint plans and their timeline of phases: the bounds a plan must keep, the presets, and how
long each phase lasts at a given speed.

Pure, like :mod:`bot.domain.sprint` (the sprint state machine), which re-exports everything here;
import from either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.domain.errors import ValidationError

__all__ = [
    "MIN_SPEED",
    "PRESETS",
    "PRESET_LABELS",
    "Bounds",
    "Phase",
    "PhaseKind",
    "SprintPlan",
    "check_speed",
    "phase_duration",
    "timeline",
    "total_duration",
]

MIN_SPEED = 0.001


def check_speed(speed: float) -> None:
    if not speed >= MIN_SPEED:  # also rejects NaN
        raise ValidationError(f"Speed must be at least {MIN_SPEED} (you asked for {speed}).")


class PhaseKind(StrEnum):
    INTRO = "intro"
    WORK = "work"
    BREAK = "break"
    LONG_BREAK = "long_break"


@dataclass(frozen=True)
class Bounds:
    """Allowed (min, max) values for each plan field, inclusive. ``brk`` covers both breaks."""

    work: tuple[int, int] = (1, 180)
    brk: tuple[int, int] = (1, 60)
    rounds: tuple[int, int] = (1, 12)
    intro: tuple[int, int] = (0, 15)
    long_break_every: tuple[int, int] = (1, 12)

    def longest(self, kind: PhaseKind) -> int:
        """The most minutes a phase of ``kind`` may last (a long break is bounded like a break)."""
        if kind is PhaseKind.INTRO:
            return self.intro[1]
        if kind is PhaseKind.WORK:
            return self.work[1]
        return self.brk[1]


_PLAN_FIELDS = (
    "work_min",
    "break_min",
    "rounds",
    "long_break_min",
    "long_break_every",
    "intro_min",
)


@dataclass(frozen=True)
class SprintPlan:
    work_min: int
    break_min: int
    rounds: int
    long_break_min: int
    long_break_every: int
    intro_min: int

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _PLAN_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SprintPlan:
        values: dict[str, int] = {}
        for name in _PLAN_FIELDS:
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"The sprint plan is missing a whole number for {name!r}.")
            values[name] = value
        return cls(**values)

    def validate(self, bounds: Bounds | None = None) -> None:
        """Raise :class:`ValidationError` naming the first field outside ``bounds``."""
        b = bounds if bounds is not None else Bounds()
        checks: tuple[tuple[str, int, tuple[int, int], str], ...] = (
            ("Work", self.work_min, b.work, " minutes"),
            ("Break", self.break_min, b.brk, " minutes"),
            ("Rounds", self.rounds, b.rounds, ""),
            ("Long break", self.long_break_min, b.brk, " minutes"),
            ("Long break every", self.long_break_every, b.long_break_every, " rounds"),
            ("Intro", self.intro_min, b.intro, " minutes"),
        )
        for label, value, (low, high), unit in checks:
            if not low <= value <= high:
                raise ValidationError(
                    f"{label} must be between {low} and {high}{unit} (you asked for {value})."
                )

    def total_minutes(self) -> int:
        return sum(phase.minutes for phase in timeline(self))

    def work_minutes(self) -> int:
        return self.work_min * self.rounds


PRESETS: dict[str, SprintPlan] = {
    "pomodoro": SprintPlan(
        work_min=25, break_min=5, rounds=4, long_break_min=15, long_break_every=4, intro_min=2
    ),
    "50/10": SprintPlan(
        work_min=50, break_min=10, rounds=3, long_break_min=10, long_break_every=3, intro_min=2
    ),
    "45/10": SprintPlan(
        work_min=45, break_min=10, rounds=3, long_break_min=10, long_break_every=3, intro_min=2
    ),
    "90/15": SprintPlan(
        work_min=90, break_min=15, rounds=2, long_break_min=15, long_break_every=2, intro_min=2
    ),
}

PRESET_LABELS: dict[str, str] = {
    "pomodoro": "Pomodoro: 4 rounds of 25 min work, 5 min breaks, 15 min long break",
    "50/10": "50/10: 3 rounds of 50 min work, 10 min breaks",
    "45/10": "45/10: 3 rounds of 45 min work, 10 min breaks",
    "90/15": "Deep work: 2 rounds of 90 min work, 15 min break",
}


@dataclass(frozen=True)
class Phase:
    index: int
    kind: PhaseKind
    round: int  # 1-based; the intro is round 0
    minutes: int


def timeline(plan: SprintPlan) -> list[Phase]:
    """Intro (if any), then work/break alternating, ending on the last work phase."""
    kinds: list[tuple[PhaseKind, int, int]] = []
    if plan.intro_min > 0:
        kinds.append((PhaseKind.INTRO, 0, plan.intro_min))
    for r in range(1, plan.rounds + 1):
        kinds.append((PhaseKind.WORK, r, plan.work_min))
        if r == plan.rounds:
            break
        if plan.long_break_every > 0 and r % plan.long_break_every == 0:
            kinds.append((PhaseKind.LONG_BREAK, r, plan.long_break_min))
        else:
            kinds.append((PhaseKind.BREAK, r, plan.break_min))
    return [Phase(index=i, kind=k, round=r, minutes=m) for i, (k, r, m) in enumerate(kinds)]


def phase_duration(minutes: float, speed: float) -> timedelta:
    """Real time a phase of ``minutes`` lasts at ``speed``."""
    check_speed(speed)
    return timedelta(seconds=minutes * 60 / speed)


def total_duration(plan: SprintPlan, speed: float) -> timedelta:
    """Real time the whole sprint lasts at ``speed`` if never paused or extended."""
    return sum((phase_duration(p.minutes, speed) for p in timeline(plan)), timedelta())
