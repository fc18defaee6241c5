"""Discord JSON for goals, break check-ins and the end-of-sprint debrief (pure functions).

Everything a member typed goes through :func:`escape_markdown`, so it renders as written, never
pings and can't break the layout. Names are shown as ``<@id>`` mentions in content and embed
bodies with ``allowed_mentions`` ``{"parse": []}``: Discord shows the member's name, nobody is
notified. Embed titles and field names don't render mentions, so they use the escaped name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import week_label
from bot.ids import checkin_id, debrief_id
from bot.render import limits
from bot.render.wire import action_row, button

NO_PINGS: dict[str, Any] = {"parse": []}

CHECKIN_EMOJI = {"done": "✅", "progress": "🔜", "stuck": "🆘"}
CHECKIN_LABEL = {"done": "Done", "progress": "Progress", "stuck": "Stuck"}
CHECKIN_STATUSES = ("done", "progress", "stuck")
NO_CHECKIN = "▫️"

GOAL_DONE = "✅"
GOAL_OPEN = "⬜"
SPRINT_MARK = "🏃"
WEEK_MARK = "📅"

COLOUR_DEBRIEF = 0x2ECC71
COLOUR_LIST = 0x5865F2

# Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
EMBED_TITLE = limits.EMBED_TITLE
EMBED_DESCRIPTION = limits.EMBED_DESCRIPTION
EMBED_FIELDS = limits.EMBED_FIELDS
FIELD_NAME = limits.EMBED_FIELD_NAME
FIELD_VALUE = limits.EMBED_FIELD_VALUE
EMBED_TOTAL = limits.EMBED_TOTAL
CHOICE_NAME = limits.CHOICE_NAME
SELECT_LABEL = limits.SELECT_LABEL
SELECT_DESCRIPTION = limits.SELECT_DESCRIPTION
THREAD_NAME = limits.THREAD_NAME

BUTTON_PRIMARY = 1
BUTTON_SECONDARY = 2
BUTTON_SUCCESS = 3
BUTTON_DANGER = 4


def user_text(text: str, limit: int | None = None) -> str:
    """User text escaped for Discord; cut to ``limit`` characters after escaping."""
    escaped = escape_markdown(text)
    return truncate(escaped, limit) if limit is not None else escaped


def mention(user_id: int) -> str:
    """A user mention; with ``allowed_mentions`` ``{"parse": []}`` it shows a name, never pings."""
    return f"<@{int(user_id)}>"


# -- goals -------------------------------------------------------------------------------------


def progress_line(done: int, total: int) -> str:
    """The card suffix for a member's goals, e.g. ``✅ 2/3``."""
    return f"{GOAL_DONE} {done}/{total}"


def goal_line(text: str, status: str, *, limit: int | None = None) -> str:
    mark = GOAL_DONE if status == "done" else GOAL_OPEN
    return f"{mark} {user_text(text, limit)}"


def goal_choice_name(text: str, scope: str) -> str:
    """An autocomplete choice (plain text, 100 characters): the scope mark and the goal."""
    mark = SPRINT_MARK if scope == "sprint" else WEEK_MARK
    return truncate(f"{mark} {' '.join(text.split())}", CHOICE_NAME)


def celebration_payload(user_id: int, text: str, done: int, total: int) -> dict[str, Any]:
    """The short line in the channel when someone finishes a goal (pings nobody)."""
    tally = f" ({done}/{total})" if total > 1 else ""
    return {
        "content": f"🎉 {mention(user_id)} finished **{user_text(text, 300)}**{tally}",
        "allowed_mentions": NO_PINGS,
    }


@dataclass(frozen=True)
class ListedGoal:
    id: int
    text: str
    status: str
    scope: str
    where: str  # "Sprint: Deep work" / "Week of 3 Mar" (plain text)


def goals_list_embed(owner_id: int, owner_name: str, goals: Sequence[ListedGoal]) -> dict[str, Any]:
    """The reply to /goals list: one section per sprint/week, open first, within limits."""
    title = truncate(f"Goals of {user_text(owner_name)}", EMBED_TITLE)
    if not goals:
        return {
            "title": title,
            "description": f"{mention(owner_id)} has no goals here yet. Add one with `/goal`.",
            "color": COLOUR_LIST,
        }
    sections: dict[str, list[str]] = {}
    for goal in goals:
        sections.setdefault(goal.where, []).append(goal_line(goal.text, goal.status))
    fields: list[dict[str, Any]] = []
    budget = EMBED_TOTAL - len(title) - 200
    for where, lines in list(sections.items())[:EMBED_FIELDS]:
        name = truncate(user_text(where), FIELD_NAME)
        value = _fit_lines(lines, min(FIELD_VALUE, max(budget - len(name), 20)))
        budget -= len(name) + len(value)
        if budget <= 0:
            break
        fields.append({"name": name, "value": value, "inline": False})
    done = sum(1 for g in goals if g.status == "done")
    return {
        "title": title,
        "description": f"{GOAL_DONE} {done}/{len(goals)} done",
        "color": COLOUR_LIST,
        "fields": fields,
    }


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters, then "… and N more" when some don't fit."""
    limit = max(limit, 24)
    full = "\n".join(lines)
    if len(full) <= limit:
        return full
    reserve = 20  # room for "\n… and NNN more"
    out: list[str] = []
    size = 0
    for line in lines:
        need = len(line) + (1 if out else 0)
        if size + need > limit - reserve:
            break
        out.append(line)
        size += need
    if not out:
        return truncate(lines[0], limit)
    return "\n".join(out) + f"\n… and {len(lines) - len(out)} more"


# -- check-ins ---------------------------------------------------------------------------------


def checkin_prompt_text(round_: int, rounds: int) -> str:
    """The check-in line added to the sprint's break announcement (no pings, no user text)."""
    return (
        f"✋ Check-in · round {round_} of {rounds} — How did it go? Tap one below. You can add a "
        "note, and **Stuck** opens a huddle thread where others can help during the break."
    )


def checkin_components(sprint_id: int, round_: int) -> list[dict[str, Any]]:
    """Done / Progress / Stuck and a note button (custom_ids ``checkin:{sid}:{round}:{action}``)."""
    return [
        action_row(
            *(
                button(
                    checkin_id(sprint_id, round_, status),
                    CHECKIN_LABEL[status],
                    emoji=CHECKIN_EMOJI[status],
                    style=BUTTON_SUCCESS if status == "done" else BUTTON_SECONDARY,
                )
                for status in CHECKIN_STATUSES
            ),
            button(checkin_id(sprint_id, round_, "note"), "Add a note", emoji="📝"),
        )
    ]


def checkin_card_line(status: str) -> str:
    """The card suffix for a member's latest check-in, e.g. ``check-in 🔜``."""
    emoji = CHECKIN_EMOJI.get(status)
    return f"check-in {emoji}" if emoji else ""


def huddle_ref(sprint_id: int, round_: int, user_id: int) -> str:
    return f"huddle:{sprint_id}:{round_}:{user_id}"


def huddle_name(display_name: str) -> str:
    """A thread name (plain text, 100 characters) like ``🆘 alice's huddle``."""
    name = " ".join(display_name.split()) or "someone"
    suffix = "'s huddle"
    return "🆘 " + truncate(name, THREAD_NAME - len(suffix) - 2) + suffix


def huddle_intro_payload(user_id: int, round_: int, note: str | None) -> dict[str, Any]:
    """First message in a huddle: adds the stuck member to the thread (the only ping)."""
    said = f"\n> {user_text(note, 900)}" if note else ""
    return {
        "content": (
            f"🆘 {mention(user_id)} is stuck after round {round_}.{said}\n"
            "Anyone free this break: jump in and help. 💪"
        ),
        "allowed_mentions": {"parse": [], "users": [str(int(user_id))]},
    }


# -- debrief -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DebriefGoal:
    text: str
    done: bool


@dataclass(frozen=True)
class DebriefMember:
    user_id: int
    name: str
    goals: tuple[DebriefGoal, ...]
    focus_minutes: int
    trail: tuple[tuple[int, str | None], ...]  # (round, check-in status or None)
    checkin_notes: tuple[tuple[int, str], ...] = ()  # (round, note)
    debrief_notes: tuple[str, ...] = ()
    huddles: tuple[int, ...] = ()  # thread ids

    @property
    def goals_done(self) -> int:
        return sum(1 for g in self.goals if g.done)

    @property
    def goals_total(self) -> int:
        return len(self.goals)


@dataclass(frozen=True)
class Debrief:
    sprint_id: int
    title: str
    reason: str  # finished | stopped | empty | channel
    ended_at: datetime | None
    members: tuple[DebriefMember, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """What is stored in ``Sprint.summary``."""
        return {
            "members": [
                {
                    "user_id": m.user_id,
                    "name": m.name,
                    "goals_done": m.goals_done,
                    "goals_total": m.goals_total,
                    "focus_minutes": m.focus_minutes,
                }
                for m in self.members
            ]
        }


def debrief_ref(sprint_id: int, where: str = "channel") -> str:
    return f"debrief:{sprint_id}" if where == "channel" else f"debrief:{sprint_id}:{where}"


def trail_text(trail: Sequence[tuple[int, str | None]]) -> str:
    return " · ".join(f"{r} {CHECKIN_EMOJI.get(s or '', NO_CHECKIN)}" for r, s in trail)


def _member_heading(m: DebriefMember) -> str:
    name = user_text(m.name, 80)
    goals = f"{GOAL_DONE} {m.goals_done}/{m.goals_total}" if m.goals_total else "no goals"
    return truncate(f"{name} — {goals} · ⏱ {m.focus_minutes} min focus", FIELD_NAME)


def _member_body(m: DebriefMember) -> list[str]:
    lines = [mention(m.user_id)]
    done = [g for g in m.goals if g.done]
    open_ = [g for g in m.goals if not g.done]
    lines += [goal_line(g.text, "done", limit=150) for g in done]
    lines += [goal_line(g.text, "open", limit=150) for g in open_]
    if m.trail:
        lines.append(f"Check-ins: {trail_text(m.trail)}")
    lines += [f"💬 R{r}: {user_text(note, 200)}" for r, note in m.checkin_notes]
    lines += [f"🆘 Huddle: <#{tid}>" for tid in m.huddles]
    lines += [f"📝 {user_text(note, 300)}" for note in m.debrief_notes]
    return lines


def debrief_payload(data: Debrief) -> dict[str, Any]:
    """The end-of-sprint summary embed with its two buttons, within Discord's embed limits."""
    title = truncate(f"🏁 Debrief · {user_text(data.title)}", EMBED_TITLE)
    members = data.members
    done = sum(m.goals_done for m in members)
    total = sum(m.goals_total for m in members)
    focus = sum(m.focus_minutes for m in members)
    ended = "Ended early. " if data.reason == "stopped" else ""
    when = f" <t:{int(data.ended_at.timestamp())}:t>" if data.ended_at else ""
    description = (
        f"{ended}Sprint over{when}: {len(members)} "
        f"{'member' if len(members) == 1 else 'members'}, {GOAL_DONE} {done}/{total} goals done, "
        f"⏱ {focus} focus minutes together.\n"
        "Add a note for next time, or carry your open goals over."
    )
    if not members:
        description = f"{ended}Sprint over{when}. Nobody stayed to the end this time."
    fields: list[dict[str, Any]] = []
    shown = members if len(members) <= EMBED_FIELDS else members[: EMBED_FIELDS - 1]
    rest = members[len(shown) :]
    n_fields = len(shown) + (1 if rest else 0)
    budget = EMBED_TOTAL - len(title) - len(description) - 50
    per_field = min(FIELD_VALUE, budget // max(n_fields, 1))
    for m in shown:
        name = _member_heading(m)
        fields.append(
            {
                "name": name,
                "value": _fit_lines(_member_body(m), per_field - len(name)),
                "inline": False,
            }
        )
    if rest:
        lines = [
            f"{mention(m.user_id)} {GOAL_DONE} {m.goals_done}/{m.goals_total} · "
            f"⏱ {m.focus_minutes} min"
            for m in rest
        ]
        fields.append(
            {
                "name": f"…and {len(rest)} more",
                "value": _fit_lines(lines, per_field - 20),
                "inline": False,
            }
        )
    return {
        "embeds": [
            {"title": title, "description": description, "color": COLOUR_DEBRIEF, "fields": fields}
        ],
        "components": [
            action_row(
                button(
                    debrief_id(data.sprint_id, "note"),
                    "Add a debrief note",
                    emoji="📝",
                    style=BUTTON_PRIMARY,
                ),
                button(
                    debrief_id(data.sprint_id, "carry"),
                    "Carry my open goals over",
                    emoji="➡️",
                ),
            )
        ],
        "allowed_mentions": NO_PINGS,
    }


def week_where(week: date) -> str:
    return week_label(week)


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6,000 limit of one embed."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        size += len(f["name"]) + len(f["value"])
    return size
