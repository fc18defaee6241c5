"""What a sprint posts at its phase changes and its end, and the voice channel's status."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.sprint import EndReason, PhaseKind, SprintPlan, Status
from bot.domain.text import escape_markdown, truncate
from bot.render.sprint.common import (
    EMOJI,
    INTRO_HINT,
    VOICE_STATUS_LIMIT,
    phase_phrase,
    plural,
)
from bot.render.wire import ts

if TYPE_CHECKING:
    from bot.views.sprint import SprintView

# -- announcements --------------------------------------------------------------------------------


def phase_line(
    view: SprintView, *, catching_up: bool = False, skipped_by: int | None = None
) -> str:
    """The line posted when the sprint enters its current phase."""
    phase = view.phase
    plan = view.plan
    ends = view.state.phase_ends_at
    until = f"{ts(ends, 't')} ({ts(ends, 'R')})" if ends is not None else "soon"
    if catching_up:
        text = f"⏩ Catching up: we're now in {phase_phrase(phase, plan)}, ending {until}."
    elif phase.kind is PhaseKind.WORK:
        final = "final round" if phase.round == plan.rounds and plan.rounds > 1 else "round"
        text = f"🍅 **Work — {final} {phase.round}/{plan.rounds}.** Focus until {until}."
    elif phase.kind is PhaseKind.LONG_BREAK:
        text = (
            f"🌴 **Long break** — round {phase.round}/{plan.rounds} done, well earned. "
            f"Back to work {ts(ends, 'R') if ends else 'soon'}."
        )
    elif phase.kind is PhaseKind.BREAK:
        text = (
            f"☕ **Break** — round {phase.round}/{plan.rounds} done. Stretch, drink some water. "
            f"Back to work {ts(ends, 'R') if ends else 'soon'}."
        )
    else:
        text = f"👋 **Intro** until {until}. {INTRO_HINT}"
    if skipped_by is not None:
        text += f" (skipped ahead by <@{skipped_by}>)"
    return text


def finished_line(
    title: str,
    plan: SprintPlan,
    at: datetime,
    *,
    catching_up: bool = False,
    by: int | None = None,
) -> str:
    name = escape_markdown(title)
    if catching_up:
        text = (
            f"⏩ Catching up: **{name}** finished {ts(at, 't')} while I was away — "
            f"{plural(plan.rounds, 'round')} done. Well done, everyone!"
        )
    else:
        text = (
            f"🏁 **{name}** is complete: {plural(plan.rounds, 'round')}, "
            f"{plan.work_minutes()} min of "
            "focus. Great work, everyone!"
        )
    if by is not None:
        text += f" (last phase skipped by <@{by}>)"
    return text


def ended_line(title: str, reason: str, *, by: int | None = None) -> str:
    name = escape_markdown(title)
    if reason == EndReason.STOPPED:
        who = f" by <@{by}>" if by is not None else ""
        return f"⏹️ **{name}** was stopped{who}."
    if reason == EndReason.EMPTY:
        return f"👋 Everyone left, so **{name}** has ended."
    if reason == EndReason.CHANNEL:
        return f"⏹️ **{name}** has ended because its text channel was deleted."
    return f"🏁 **{name}** has ended."


def voice_status_text(view: SprintView, zone: str = "UTC") -> str:
    """The voice channel's status: the phase and when it ends, in the server's time zone."""
    if view.is_over:
        return ""
    phase = view.phase
    short = {
        PhaseKind.INTRO: "Intro",
        PhaseKind.WORK: f"Work {phase.round}/{view.plan.rounds}",
        PhaseKind.BREAK: "Break",
        PhaseKind.LONG_BREAK: "Long break",
    }[phase.kind]
    if view.state.status is Status.PAUSED:
        return f"⏸️ Paused · {short}"
    ends = view.state.phase_ends_at
    if ends is None:
        return f"{EMOJI[phase.kind]} {short}"
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = ends.astimezone(tz)
    text = f"{EMOJI[phase.kind]} {short} · until {local:%H:%M} {local.tzname() or ''}".rstrip()
    return truncate(text, VOICE_STATUS_LIMIT)
