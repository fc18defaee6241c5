"""The sprint state machine: start, advance, pause, resume, skip, extend, stop, progress.

Everything here is pure: a ``now`` (aware datetime) is always passed in and ``speed`` scales time
(a phase of ``m`` minutes lasts ``m * 60 / speed`` real seconds). Phase boundaries are always
computed from the previous scheduled boundary, never from ``now``, so a late wake-up never drifts
the schedule.

Plans, presets and the timeline of phases are in :mod:`bot.domain.sprint_plan`; they are
re-exported here, so ``from bot.domain.sprint import SprintPlan`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.errors import Conflict, ValidationError
from bot.domain.sprint_plan import (
    MIN_SPEED,
    PRESET_LABELS,
    PRESETS,
    Bounds,
    Phase,
    PhaseKind,
    SprintPlan,
    check_speed,
    phase_duration,
    timeline,
    total_duration,
)

__all__ = [
    "MIN_SPEED",
    "PRESETS",
    "PRESET_LABELS",
    "Bounds",
    "EndReason",
    "Phase",
    "PhaseChange",
    "PhaseKind",
    "Span",
    "SprintPlan",
    "SprintState",
    "Status",
    "advance",
    "current_phase",
    "extend",
    "extension_room",
    "pause",
    "phase_duration",
    "progress",
    "progress_bar",
    "resume",
    "skip",
    "start",
    "stop",
    "time_left",
    "timeline",
    "total_duration",
]


def require_aware(value: datetime, name: str = "now") -> None:
    """Raise ``ValueError`` for a naive datetime (a programming error, not a user error)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


class Status(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class EndReason(StrEnum):
    """Why a sprint ended: it ran its course, or it ended early and why."""

    FINISHED = "finished"
    STOPPED = "stopped"  # a host or manager stopped it
    EMPTY = "empty"  # the last member left
    CHANNEL = "channel"  # its text channel was deleted


@dataclass(frozen=True)
class SprintState:
    status: Status
    phase_index: int
    phase_started_at: datetime
    phase_ends_at: datetime | None  # None while paused, finished or cancelled
    paused_remaining: timedelta | None  # time left in the phase while paused
    ended_at: datetime | None

    @property
    def is_over(self) -> bool:
        return self.status in (Status.FINISHED, Status.CANCELLED)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (ISO datetimes, seconds for the paused remainder)."""
        return {
            "status": self.status.value,
            "phase_index": self.phase_index,
            "phase_started_at": self.phase_started_at.isoformat(),
            "phase_ends_at": self.phase_ends_at.isoformat() if self.phase_ends_at else None,
            "paused_remaining": (
                self.paused_remaining.total_seconds() if self.paused_remaining is not None else None
            ),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SprintState:
        def dt(value: Any) -> datetime | None:
            if value is None:
                return None
            parsed = datetime.fromisoformat(str(value))
            require_aware(parsed, "stored datetime")
            return parsed

        started = dt(data["phase_started_at"])
        if started is None:
            raise ValueError("phase_started_at is required")
        remaining = data.get("paused_remaining")
        return cls(
            status=Status(data["status"]),
            phase_index=int(data["phase_index"]),
            phase_started_at=started,
            phase_ends_at=dt(data.get("phase_ends_at")),
            paused_remaining=timedelta(seconds=float(remaining)) if remaining is not None else None,
            ended_at=dt(data.get("ended_at")),
        )


@dataclass(frozen=True)
class PhaseChange:
    from_index: int
    to_index: int | None  # None when the sprint finished
    at: datetime  # when the new phase started (or the sprint ended) by the schedule
    skipped: int  # phases passed over entirely (elapsed during downtime), not announced
    finished: bool


@dataclass(frozen=True)
class Span:
    """A period of time; ``end`` None means still open (counted up to ``now`` where used)."""

    start: datetime
    end: datetime | None = field(default=None)

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        if self.end is not None:
            require_aware(self.end, "end")
            if self.end < self.start:
                raise ValueError(f"span ends ({self.end}) before it starts ({self.start})")


def current_phase(plan: SprintPlan, state: SprintState) -> Phase:
    phases = timeline(plan)
    return phases[min(state.phase_index, len(phases) - 1)]


def _ended_message(state: SprintState) -> str:
    if state.status is Status.CANCELLED:
        return "The sprint was stopped."
    return "The sprint has already finished."


def start(plan: SprintPlan, now: datetime, speed: float) -> SprintState:
    """A running sprint at its first phase, starting ``now``."""
    require_aware(now)
    phases = timeline(plan)
    if not phases:
        raise ValidationError("A sprint needs at least 1 round.")
    return SprintState(
        status=Status.RUNNING,
        phase_index=0,
        phase_started_at=now,
        phase_ends_at=now + phase_duration(phases[0].minutes, speed),
        paused_remaining=None,
        ended_at=None,
    )


def advance(
    plan: SprintPlan, state: SprintState, now: datetime, speed: float
) -> tuple[SprintState, PhaseChange | None]:
    """Move a running sprint to where the schedule says it is at ``now``.

    Idempotent: returns ``(state, None)`` when nothing is due. Missed phases are coalesced into a
    single :class:`PhaseChange` whose ``skipped`` counts the phases that elapsed entirely.
    """
    require_aware(now)
    check_speed(speed)
    if state.status is not Status.RUNNING or state.phase_ends_at is None:
        return state, None
    if now < state.phase_ends_at:
        return state, None
    phases = timeline(plan)
    index = state.phase_index
    started = state.phase_started_at
    boundary = state.phase_ends_at
    skipped = 0
    while index + 1 < len(phases):
        nxt = index + 1
        end = boundary + phase_duration(phases[nxt].minutes, speed)
        if end > now:
            moved = SprintState(
                status=Status.RUNNING,
                phase_index=nxt,
                phase_started_at=boundary,
                phase_ends_at=end,
                paused_remaining=None,
                ended_at=None,
            )
            change = PhaseChange(
                from_index=state.phase_index,
                to_index=nxt,
                at=boundary,
                skipped=skipped,
                finished=False,
            )
            return moved, change
        skipped += 1
        index, started, boundary = nxt, boundary, end
    finished = SprintState(
        status=Status.FINISHED,
        phase_index=index,
        phase_started_at=started,
        phase_ends_at=None,
        paused_remaining=None,
        ended_at=boundary,
    )
    change = PhaseChange(
        from_index=state.phase_index, to_index=None, at=boundary, skipped=skipped, finished=True
    )
    return finished, change


def pause(state: SprintState, now: datetime) -> SprintState:
    """Freeze the current phase; the time left in it is kept in ``paused_remaining``.

    Call :func:`advance` first so a phase that is already over is not paused at zero.
    """
    require_aware(now)
    if state.status is Status.PAUSED:
        raise Conflict("The sprint is already paused.")
    if state.is_over or state.phase_ends_at is None:
        raise Conflict(_ended_message(state))
    remaining = max(state.phase_ends_at - now, timedelta())
    return replace(state, status=Status.PAUSED, phase_ends_at=None, paused_remaining=remaining)


def resume(state: SprintState, now: datetime) -> SprintState:
    """Continue a paused sprint; the phase ends after the time that was left when paused."""
    require_aware(now)
    if state.is_over:
        raise Conflict(_ended_message(state))
    if state.status is not Status.PAUSED:
        raise Conflict("The sprint is not paused.")
    remaining = state.paused_remaining if state.paused_remaining is not None else timedelta()
    return replace(
        state, status=Status.RUNNING, phase_ends_at=now + remaining, paused_remaining=None
    )


def skip(
    plan: SprintPlan, state: SprintState, now: datetime, speed: float
) -> tuple[SprintState, PhaseChange]:
    """End the current phase now. Works while paused: the next phase starts running."""
    require_aware(now)
    check_speed(speed)
    if state.is_over:
        raise Conflict(_ended_message(state))
    phases = timeline(plan)
    nxt = state.phase_index + 1
    if nxt >= len(phases):
        finished = replace(
            state,
            status=Status.FINISHED,
            phase_ends_at=None,
            paused_remaining=None,
            ended_at=now,
        )
        return finished, PhaseChange(state.phase_index, None, now, 0, True)
    moved = SprintState(
        status=Status.RUNNING,
        phase_index=nxt,
        phase_started_at=now,
        phase_ends_at=now + phase_duration(phases[nxt].minutes, speed),
        paused_remaining=None,
        ended_at=None,
    )
    return moved, PhaseChange(state.phase_index, nxt, now, 0, False)


def extend(
    state: SprintState, minutes: int, now: datetime, speed: float, max_minutes: int = 60
) -> SprintState:
    """Add ``minutes`` to the current phase (also while paused)."""
    require_aware(now)
    check_speed(speed)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= max_minutes:
        raise ValidationError(
            f"You can extend a phase by 1 to {max_minutes} minutes at a time "
            f"(you asked for {minutes})."
        )
    if state.is_over:
        raise Conflict(_ended_message(state))
    extra = phase_duration(minutes, speed)
    if state.status is Status.PAUSED:
        remaining = state.paused_remaining if state.paused_remaining is not None else timedelta()
        return replace(state, paused_remaining=remaining + extra)
    if state.phase_ends_at is None:
        raise Conflict(_ended_message(state))
    return replace(state, phase_ends_at=state.phase_ends_at + extra)


def extension_room(phase: Phase, bounds: Bounds, extended: int) -> int:
    """Minutes ``phase`` may still be extended by: the longest its kind may last, less what it
    already lasts (its planned minutes plus the ``extended`` minutes added to it so far)."""
    return max(0, bounds.longest(phase.kind) - phase.minutes - extended)


def stop(state: SprintState, now: datetime) -> SprintState:
    """Cancel the sprint now."""
    require_aware(now)
    if state.is_over:
        raise Conflict(_ended_message(state))
    return replace(
        state, status=Status.CANCELLED, phase_ends_at=None, paused_remaining=None, ended_at=now
    )


def time_left(state: SprintState, now: datetime) -> timedelta:
    """Time left in the current phase (frozen while paused, zero once over)."""
    require_aware(now)
    if state.status is Status.PAUSED:
        return state.paused_remaining if state.paused_remaining is not None else timedelta()
    if state.status is Status.RUNNING and state.phase_ends_at is not None:
        return max(state.phase_ends_at - now, timedelta())
    return timedelta()


def progress(plan: SprintPlan, state: SprintState, now: datetime, speed: float) -> float:
    """Fraction (0..1) of the planned sprint done, by schedule time.

    Within the current phase, progress is the planned length minus the time left, clamped to the
    phase; an extended phase therefore holds its progress until its remainder is back under plan.
    """
    require_aware(now)
    check_speed(speed)
    if state.status is Status.FINISHED:
        return 1.0
    phases = timeline(plan)
    total = sum(p.minutes for p in phases) * 60 / speed
    if total <= 0:
        return 1.0
    index = min(state.phase_index, len(phases) - 1)
    done = sum(p.minutes for p in phases[:index]) * 60 / speed
    if state.status is not Status.CANCELLED:
        planned = phases[index].minutes * 60 / speed
        left = time_left(state, now).total_seconds()
        done += min(max(planned - left, 0.0), planned)
    return min(max(done / total, 0.0), 1.0)


def progress_bar(fraction: float, width: int = 12) -> str:
    """A text bar such as ``▰▰▰▱▱▱``; a segment fills only once fully reached."""
    if width < 1:
        raise ValueError("width must be at least 1")
    clamped = 0.0 if fraction != fraction else min(max(fraction, 0.0), 1.0)  # NaN → 0
    filled = int(clamped * width + 1e-9)
    return "▰" * filled + "▱" * (width - filled)
