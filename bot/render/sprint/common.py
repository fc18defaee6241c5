"""What every sprint message shares: colours, emoji, and the small pieces of wording."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain import sprint as domain
from bot.domain.sprint import EndReason, Phase, PhaseKind, SprintPlan, Status
from bot.domain.text import escape_markdown, truncate
from bot.render import limits

if TYPE_CHECKING:
    from bot.views.sprint import SprintView

CONTENT_LIMIT = limits.CONTENT
FIELD_LIMIT = limits.EMBED_FIELD_VALUE
DESCRIPTION_LIMIT = limits.EMBED_DESCRIPTION
VOICE_STATUS_LIMIT = limits.VOICE_STATUS

EMOJI = {
    PhaseKind.INTRO: "👋",
    PhaseKind.WORK: "🍅",
    PhaseKind.BREAK: "☕",
    PhaseKind.LONG_BREAK: "🌴",
}
COLOUR = {
    PhaseKind.INTRO: 0x5865F2,
    PhaseKind.WORK: 0xE5533D,
    PhaseKind.BREAK: 0x2ECC71,
    PhaseKind.LONG_BREAK: 0x1ABC9C,
}
PAUSED_COLOUR = 0x95A5A6
FINISHED_COLOUR = 0xF1C40F
ENDED_COLOUR = 0x607D8B
INTRO_HINT = "Say hi and post your goal with `/goal`."
RUNNING_COLOUR = 0xE5533D

ENDED_REASONS: dict[str, str] = {
    EndReason.FINISHED: "Finished",
    EndReason.STOPPED: "Stopped early",
    EndReason.EMPTY: "Ended: everyone left",
    EndReason.CHANNEL: "Ended: its channel was deleted",
}


# -- small pieces ---------------------------------------------------------------------------------


def fmt_duration(delta: timedelta) -> str:
    """``1 h 5 min``, ``12 min``, ``45 s`` (rounded to what a person cares about)."""
    seconds = max(round(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def clip_content(text: str) -> str:
    return truncate(text, CONTENT_LIMIT)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 round``, ``3 rounds``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def plan_summary(plan: SprintPlan) -> str:
    """The plan in a line, naming only the breaks it has (one round has none)."""
    if plan.rounds == 1:
        text = f"1 round of {plan.work_min} min work"
    else:
        text = f"{plan.rounds} × {plan.work_min} min work"
        if plan.long_break_every >= 2:  # else every break is a long one
            text += f", {plan.break_min} min breaks"
        if plan.long_break_every == 1:
            text += f", {plan.long_break_min} min long breaks"
        elif plan.long_break_every < plan.rounds:
            text += f", {plan.long_break_min} min long break every {plan.long_break_every} rounds"
    if plan.intro_min:
        text += f", {plan.intro_min} min intro"
    return text


def phase_title(phase: Phase, plan: SprintPlan) -> str:
    if phase.kind is PhaseKind.INTRO:
        return "Intro"
    if phase.kind is PhaseKind.WORK:
        return f"Work · round {phase.round}/{plan.rounds}"
    if phase.kind is PhaseKind.LONG_BREAK:
        return f"Long break · after round {phase.round}/{plan.rounds}"
    return f"Break · after round {phase.round}/{plan.rounds}"


def phase_phrase(phase: Phase, plan: SprintPlan) -> str:
    """How a sentence names a phase: "work round 3/4", "the break after round 2/4"."""
    if phase.kind is PhaseKind.INTRO:
        return "the intro"
    if phase.kind is PhaseKind.WORK:
        return f"work round {phase.round}/{plan.rounds}"
    if phase.kind is PhaseKind.LONG_BREAK:
        return f"the long break after round {phase.round}/{plan.rounds}"
    return f"the break after round {phase.round}/{plan.rounds}"


def escape_title(view: SprintView) -> str:
    """The sprint's title, safe to put in a message (no markdown, no pings)."""
    return escape_markdown(view.title)


def short_name(phase: Phase, plan: SprintPlan) -> str:
    if phase.kind is PhaseKind.WORK:
        return f"{EMOJI[phase.kind]} Work {phase.round}/{plan.rounds}"
    if phase.kind is PhaseKind.LONG_BREAK:
        return f"{EMOJI[phase.kind]} Long break"
    if phase.kind is PhaseKind.BREAK:
        return f"{EMOJI[phase.kind]} Break"
    return f"{EMOJI[phase.kind]} Intro"


def schedule_times(view: SprintView) -> list[tuple[Phase, datetime | None, datetime | None]]:
    """Each phase from the current one on, with its planned start and end (None while paused).

    Projected from the current phase's end with the planned lengths, so the result holds until
    the schedule changes (pause, resume, skip, extend, catch-up), which edits the card anyway.
    """
    state = view.state
    phases = view.phases
    index = min(state.phase_index, len(phases) - 1)
    out: list[tuple[Phase, datetime | None, datetime | None]] = []
    if state.status is not Status.RUNNING or state.phase_ends_at is None:
        return [(p, None, None) for p in phases[index:]]
    start, end = state.phase_started_at, state.phase_ends_at
    out.append((phases[index], start, end))
    for phase in phases[index + 1 :]:
        start, end = end, end + domain.phase_duration(phase.minutes, view.speed)
        out.append((phase, start, end))
    return out


def progress_line(view: SprintView, now: datetime) -> str:
    fraction = domain.progress(view.plan, view.state, now, view.speed)
    return f"{domain.progress_bar(fraction)} {int(fraction * 100 + 1e-9)}%"
