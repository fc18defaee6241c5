"""Answers to members' commands and clicks, the history and the server's sprint settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.domain import sprint as domain
from bot.domain.sprint import Phase, PhaseKind, Status
from bot.domain.text import escape_markdown, truncate
from bot.ids import SprintAction
from bot.render.sprint.common import (
    EMOJI,
    ENDED_REASONS,
    INTRO_HINT,
    clip_content,
    escape_title,
    fmt_duration,
    phase_phrase,
    phase_title,
    plan_summary,
    plural,
    progress_line,
)
from bot.render.wire import ts

if TYPE_CHECKING:
    from bot.views.sprint import HistoryEntry, JoinResult, SprintDefaults, SprintView

# -- interaction replies --------------------------------------------------------------------------


def start_reply(view: SprintView) -> str:
    first = view.phase
    if first.kind is PhaseKind.INTRO and view.state.phase_ends_at is not None:
        begins = f"Intro until {ts(view.state.phase_ends_at, 'R')}: {INTRO_HINT}"
    else:
        begins = "Work starts now."
    return (
        f"Started **{escape_title(view)}** ({plan_summary(view.plan)}). {begins} "
        "The card with Join, Leave, Pause and Skip buttons is posted in this channel."
    )


def status_text(view: SprintView, now: datetime) -> str:
    phase = view.phase
    state = view.state
    lines = [f"**{escape_title(view)}** · hosted by <@{view.host_id}>"]
    if view.is_over:
        reason = ENDED_REASONS.get(view.end_reason or "", "Ended")
        lines.append(f"{reason} {ts(state.ended_at or now, 'f')}.")
    else:
        head = f"{EMOJI[phase.kind]} {phase_title(phase, view.plan)}"
        if state.status is Status.PAUSED:
            left = domain.time_left(state, now)
            lines.append(f"{head} — ⏸️ paused with {fmt_duration(left)} left")
        elif state.phase_ends_at is not None:
            left = domain.time_left(state, now)
            lines.append(
                f"{head} — ends {ts(state.phase_ends_at, 't')} ({ts(state.phase_ends_at, 'R')}), "
                f"{fmt_duration(left)} left"
            )
    lines.append(f"{progress_line(view, now)} · {plan_summary(view.plan)}")
    people = view.active
    names = ", ".join(f"<@{p.user_id}>" for p in people[:40])
    if len(people) > 40:
        names += f" and {len(people) - 40} more"
    lines.append(f"In this sprint ({len(people)}): {names or 'nobody'}")
    if view.voice_channel_id is not None:
        lines.append(f"Voice: <#{view.voice_channel_id}>")
    return clip_content("\n".join(lines))


def join_reply(result: JoinResult, now: datetime) -> str:
    view = result.sprint
    name = escape_title(view)
    if result.already:
        return f"You're already in **{name}**. Leave with the Leave button or `/sprint leave`."
    ends = view.state.phase_ends_at
    if not result.late:
        start = f"work starts {ts(ends, 'R')}" if ends else "work starts after the intro"
        return f"You're in **{name}**! {INTRO_HINT} ({start})."
    where = phase_phrase(view.phase, view.plan)
    if view.state.status is Status.PAUSED:
        timing = "paused right now"
    elif ends is not None:
        timing = f"ending {ts(ends, 'R')}"
    else:
        timing = ""
    return (
        f"You're in **{name}**! We're in {where}{', ' + timing if timing else ''}. "
        "Add your goal with the button below or `/goal`."
    )


def already_moved_on(view: SprintView, action: SprintAction) -> str:
    """The answer to a control meant for a state another control has already changed."""
    name = escape_title(view)
    where = phase_phrase(view.phase, view.plan)
    ends = view.state.phase_ends_at
    ending = f", ending {ts(ends, 'R')}" if ends is not None else ""
    paused = view.state.status is Status.PAUSED
    if action is SprintAction.PAUSE and paused:
        now = f"**{name}** is already paused in {where}"
    elif action is SprintAction.RESUME and not paused:
        now = f"**{name}** is already running again: {where}{ending}"
    else:
        now = f"**{name}** is now in {where}" + (", paused" if paused else ending)
    return (
        f"Already moved on: {now}. Someone changed the sprint a moment before you, so I left "
        "it as it is; check the card and try again if you still want to."
    )


_KIND_NAMES = {
    PhaseKind.INTRO: "An intro",
    PhaseKind.WORK: "A work round",
    PhaseKind.BREAK: "A break",
    PhaseKind.LONG_BREAK: "A long break",
}


def extend_refusal(phase: Phase, longest: int, extended: int, asked: int) -> str:
    """Why /sprint extend was refused: the phase would outgrow the bound for its kind."""
    lasts = phase.minutes + extended
    how = f" ({phase.minutes} planned + {extended} added)" if extended else ""
    what = (
        f"{_KIND_NAMES[phase.kind]} can last at most {longest} min, and this one already "
        f"lasts {lasts} min{how}"
    )
    room = longest - lasts
    if room <= 0:
        return f"I can't extend this phase any further: {what}. Skip ahead when you're ready."
    return f"I can't add {asked} min: {what}, so you can add at most {plural(room, 'minute')}."


def skip_reply(view: SprintView, *, resumed: bool = False) -> str:
    if view.is_over:
        return "Skipped the last phase: the sprint is complete."
    text = f"Skipped ahead: we're now in {phase_phrase(view.phase, view.plan)}."
    if resumed:
        ends = view.state.phase_ends_at
        until = f", ending {ts(ends, 'R')}" if ends is not None else ""
        text += (
            " The sprint was paused; skipping started the next phase, so it's running "
            f"again{until}."
        )
    return text


def leave_reply(view: SprintView, ended: bool) -> str:
    if ended:
        return (
            f"You left **{escape_title(view)}**. You were the last one in, so the sprint has ended."
        )
    return f"You left **{escape_title(view)}**. Rejoin any time with the Join button."


EMBED_TOTAL_LIMIT = 5800  # Discord allows 6,000 characters per embed; keep a margin


def history_embed(entries: Sequence[HistoryEntry], now: datetime) -> dict[str, Any]:
    """Recent sprints as one embed (kept under Discord's size limits)."""
    title = "Recent sprints"
    if not entries:
        return {
            "title": title,
            "description": "No sprints here yet. Start one with `/sprint start`.",
            "color": 0x5865F2,
        }
    fields: list[dict[str, Any]] = []
    total = len(title)
    for entry in entries[:25]:
        field = _history_field(entry)
        size = len(field["name"]) + len(field["value"])
        if total + size > EMBED_TOTAL_LIMIT:
            break
        fields.append(field)
        total += size
    embed: dict[str, Any] = {"title": title, "color": 0x5865F2, "fields": fields}
    if len(fields) < len(entries):
        embed["footer"] = {"text": f"Showing the latest {len(fields)} of {len(entries)}."}
    return embed


def _history_field(entry: HistoryEntry) -> dict[str, Any]:
    status = (
        "running now"
        if entry.status in ("running", "paused")
        else ENDED_REASONS.get(entry.end_reason or "", entry.status).lower()
    )
    people = entry.participant_ids
    head = (
        f"{ts(entry.created_at, 'f')} in <#{entry.channel_id}> · {len(people)} "
        f"{'person' if len(people) == 1 else 'people'} · {status}"
    )
    body: list[str] = [head]
    members = _summary_members(entry.summary)
    if members:
        body.extend(_summary_line(member) for member in members[:6])
        if len(members) > 6:
            body.append(f"… and {len(members) - 6} more")
    elif people:
        mentions = " ".join(f"<@{uid}>" for uid in people[:10])
        if len(people) > 10:
            mentions += f" +{len(people) - 10}"
        body.append(mentions)
    return {
        "name": truncate(escape_markdown(entry.title), 200),
        "value": truncate("\n".join(body), 480),
        "inline": False,
    }


def _summary_members(summary: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not summary:
        return []
    members = summary.get("members")
    if not isinstance(members, list):
        return []
    return [m for m in members if isinstance(m, Mapping)]


def _summary_line(member: Mapping[str, Any]) -> str:
    name = member.get("name")
    user_id = member.get("user_id")
    who = escape_markdown(truncate(str(name), 40)) if name else f"<@{user_id}>"
    bits: list[str] = []
    done, total = member.get("goals_done"), member.get("goals_total")
    if isinstance(total, int) and total > 0:
        bits.append(f"{done if isinstance(done, int) else 0}/{total} goals")
    focus = member.get("focus_minutes")
    if isinstance(focus, int | float):
        bits.append(f"{round(focus)} min focus")
    return f"• {who}" + (": " + " · ".join(bits) if bits else "")


def settings_embed(defaults: SprintDefaults) -> dict[str, Any]:
    def mark(key: str) -> str:
        return "" if key in defaults.customised else " (bot default)"

    plan_lines = [
        f"Work: {defaults.work} min{mark('work')}",
        f"Break: {defaults.brk} min{mark('brk')}",
        f"Rounds: {defaults.rounds}{mark('rounds')}",
        f"Long break: {defaults.long_break} min{mark('long_break')}",
        f"Long break every: {plural(defaults.long_break_every, 'round')}{mark('long_break_every')}",
        f"Intro: {defaults.intro} min{mark('intro')}",
    ]
    role = f"<@&{defaults.manager_role_id}>" if defaults.manager_role_id else "none (Manage Server)"
    options = [
        f"Manager role: {role}",
        f"Ping at phase changes: {'on' if defaults.ping_on_phase else 'off'}",
        f"Voice members join automatically: {'on' if defaults.auto_join_voice else 'off'}",
        f"Chime in voice: {'on' if defaults.chime else 'off'}",
        f"Announcements in the voice chat: {'on' if defaults.voice_chat else 'off'}",
    ]
    return {
        "title": "Sprint settings for this server",
        "color": 0x5865F2,
        "fields": [
            {"name": "Defaults for /sprint start", "value": "\n".join(plan_lines)},
            {"name": "Options", "value": "\n".join(options)},
        ],
        "footer": {"text": "Change them with /sprint settings <option>"},
    }
