"""Sprint messages as Discord JSON (plain dicts): the status card, announcements, replies.

Pure functions of the data they are given; no discord import. User text (titles, names) is
escaped here and never pings: every payload that mentions carries explicit ``allowed_mentions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import sprint as domain
from bot.domain.sprint import EndReason, Phase, PhaseKind, SprintPlan, Status
from bot.domain.text import escape_markdown, truncate
from bot.ids import SprintAction, sprint_button_id
from bot.render import limits
from bot.render.wire import ButtonStyle, action_row, button, link_button, ts

if TYPE_CHECKING:
    from bot.views.sprint import HistoryEntry, JoinResult, SprintDefaults, SprintView

__all__ = [
    "card_components",
    "card_payload",
    "clip_content",
    "ended_line",
    "escape_title",
    "finished_line",
    "fmt_duration",
    "history_embed",
    "join_reply",
    "leave_reply",
    "phase_line",
    "phase_phrase",
    "phase_title",
    "plan_summary",
    "schedule_times",
    "settings_embed",
    "start_reply",
    "status_text",
    "ts",
    "voice_status_text",
]

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


def _short_name(phase: Phase, plan: SprintPlan) -> str:
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
    lines.extend(f"✓ {_short_name(p, plan)}" for p in view.phases[:index])
    for phase, begins, ends in times:
        name = _short_name(phase, plan)
        if begins is not None and ends is not None:
            lines.append(f"{name} · {ts(begins, 't')}–{ts(ends, 't')} · ends {ts(ends, 'R')}")
        elif phase.index == index:
            left = state.paused_remaining or timedelta()
            lines.append(f"{name} · ⏸️ {fmt_duration(left)} left")
        else:
            lines.append(f"{name} · {phase.minutes} min")
    return truncate("\n".join(lines), DESCRIPTION_LIMIT)


def _progress(view: SprintView, now: datetime) -> str:
    fraction = domain.progress(view.plan, view.state, now, view.speed)
    return f"{domain.progress_bar(fraction)} {int(fraction * 100 + 1e-9)}%"


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
            f"{_progress(view, now)}"
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
    lines.append(f"{_progress(view, now)} · {plan_summary(view.plan)}")
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
