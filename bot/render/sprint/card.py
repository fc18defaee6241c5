"""The sprint's status card: its schedule, its people and its buttons."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.sprint import PhaseKind, Status
from bot.domain.text import truncate
from bot.ids import SprintAction, sprint_button_id
from bot.render import limits
from bot.render.sprint.common import (
    DESCRIPTION_LIMIT,
    ENDED_COLOUR,
    ENDED_REASONS,
    FIELD_LIMIT,
    FINISHED_COLOUR,
    PAUSED_COLOUR,
    RUNNING_COLOUR,
    escape_title,
    fmt_duration,
    plan_summary,
    plural,
    progress_line,
    schedule_times,
    short_name,
)
from bot.render.wire import ButtonStyle, action_row, button, link_button, ts

if TYPE_CHECKING:
    from bot.views.sprint import SprintView


def _schedule(view: SprintView) -> str:
    """The running card's body: the sprint's end and one line per phase, as timestamps.

    Discord clients render ``<t:…:R>`` relative to their own clock ("in 20 minutes", "5 minutes
    ago"), so members see where the sprint is without the bot editing the card at each phase.
    """
    state = view.state
    plan = view.plan
    index = min(state.phase_index, len(view.phases) - 1)
    times = schedule_times(view)
    lines: list[str] = []
    if state.status is Status.PAUSED:
        left = state.paused_remaining or timedelta()
        lines.append(
            f"⏸️ Paused with {fmt_duration(left)} left in this phase; the schedule's times "
            "come back when it resumes."
        )
    elif times and times[-1][2] is not None:
        end = times[-1][2]
        lines.append(f"🏁 **Ends {ts(end, 't')}** ({ts(end, 'R')})")
    lines.append("Post your goal with `/goal`; check in at each break.")
    lines.append("")
    lines.extend(f"✓ {short_name(p, plan)}" for p in view.phases[:index])
    for phase, begins, ends in times:
        name = short_name(phase, plan)
        if begins is not None and ends is not None:
            lines.append(f"{name} · {ts(begins, 't')}–{ts(ends, 't')} · ends {ts(ends, 'R')}")
        elif phase.index == index:
            left = state.paused_remaining or timedelta()
            lines.append(f"{name} · ⏸️ {fmt_duration(left)} left")
        else:
            lines.append(f"{name} · {phase.minutes} min")
    return truncate("\n".join(lines), DESCRIPTION_LIMIT)


def _people(view: SprintView, lines: Mapping[int, str], *, limit: int = FIELD_LIMIT) -> str:
    people = view.active if not view.is_over else view.participants
    if not people:
        return "Nobody yet: press **Join**."
    out: list[str] = []
    size = 0
    for index, person in enumerate(people):
        suffix = lines.get(person.user_id)
        line = f"<@{person.user_id}>" + (f" {truncate(suffix, 60)}" if suffix else "")
        more = f"… and {len(people) - index} more"
        if size + len(line) + 1 > limit - len(more) - 1:
            out.append(more)
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


# -- the status card ------------------------------------------------------------------------------


LIVE_PAGE_LABEL = "Live page"


def card_components(view: SprintView, link: str | None = None) -> list[dict[str, Any]]:
    """Join, Leave, Pause/Resume, Skip; none once the sprint is over (the buttons go away).

    Pause, Resume and Skip carry the sprint's ``control_seq``: a click meant for a state that
    another control already changed is answered "already moved on" and changes nothing.
    ``link``: the sprint's live page (``/share sprint``), a link button that stays on the ended
    card too (the page then shows the summary).
    """
    live = [link_button(link, LIVE_PAGE_LABEL, emoji="🌐")] if link else []
    if view.is_over:
        return [action_row(*live)] if live else []
    sid, seq = view.id, view.control_seq
    paused = view.state.status is Status.PAUSED
    toggle = (
        button(
            sprint_button_id(sid, SprintAction.RESUME, seq),
            "Resume",
            emoji="▶️",
            style=ButtonStyle.SUCCESS,
        )
        if paused
        else button(sprint_button_id(sid, SprintAction.PAUSE, seq), "Pause", emoji="⏸️")
    )
    return [
        action_row(
            button(sprint_button_id(sid, SprintAction.JOIN), "Join", style=ButtonStyle.SUCCESS),
            button(sprint_button_id(sid, SprintAction.LEAVE), "Leave"),
            toggle,
            button(sprint_button_id(sid, SprintAction.SKIP, seq), "Skip", emoji="⏭️"),
            *live,
        )
    ]


def card_embed(view: SprintView, lines: Mapping[int, str], now: datetime) -> dict[str, Any]:
    phase = view.phase
    state = view.state
    fields: list[dict[str, Any]] = [
        {"name": "Host", "value": f"<@{view.host_id}>", "inline": True},
        {"name": "Plan", "value": truncate(plan_summary(view.plan), FIELD_LIMIT), "inline": True},
    ]
    if view.voice_channel_id is not None:
        fields.append({"name": "Voice", "value": f"<#{view.voice_channel_id}>", "inline": True})
    if view.is_over:
        ended_at = state.ended_at or now
        reason = ENDED_REASONS.get(view.end_reason or "", "Ended")
        done_rounds = phase.round if phase.kind is not PhaseKind.INTRO else 0
        if state.status is Status.FINISHED:
            done_rounds = view.plan.rounds
        description = (
            f"**{reason}** {ts(ended_at, 'f')} · {done_rounds}/"
            f"{plural(view.plan.rounds, 'round')}\n"
            f"{progress_line(view, now)}"
        )
        emoji = "🏁" if state.status is Status.FINISHED else "⏹️"
        colour = FINISHED_COLOUR if state.status is Status.FINISHED else ENDED_COLOUR
        people_name = f"Took part ({len(view.participants)})"
        footer = f"Sprint #{view.id} · this sprint has ended"
    else:
        # No progress bar or "current phase" line: they would go stale between edits.
        description = _schedule(view)
        emoji = "⏱️"
        colour = PAUSED_COLOUR if state.status is Status.PAUSED else RUNNING_COLOUR
        people_name = f"In this sprint ({len(view.active)})"
        footer = f"Sprint #{view.id} · Join or leave any time · /sprint status"
    fields.append({"name": people_name, "value": _people(view, lines), "inline": False})
    return {
        "title": truncate(f"{emoji} {escape_title(view)}", limits.EMBED_TITLE),
        "description": description,
        "color": colour,
        "fields": fields,
        "footer": {"text": footer},
    }


def card_payload(
    view: SprintView, lines: Mapping[int, str], now: datetime, *, link: str | None = None
) -> dict[str, Any]:
    """The whole card message body (send or edit); ``link``: the live page, when shared."""
    return {
        "content": "",
        "embeds": [card_embed(view, lines, now)],
        "components": card_components(view, link),
        "allowed_mentions": {"parse": []},
    }
