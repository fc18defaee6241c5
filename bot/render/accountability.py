"""Discord JSON for the weekly accountability thread (pure functions, no discord import).

Every time shown is a Discord timestamp (``<t:UNIX:F>``), so each member reads it in their own zone.
Member text is escaped and never pings; the only pings are the configured role at kickoff and the
members with open goals at a check-in, each listed exactly in ``allowed_mentions``. A member who
left the server is shown by their stored name (or an ID mention) and never pinged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import DAY_NAMES, WeekSchedule, format_time, week_label
from bot.ids import WeekAction, week_component_id
from bot.render import limits
from bot.render.wire import action_row, button, ts

__all__ = [
    "ARCHIVE_AFTER_MINUTES",
    "NO_PINGS",
    "GoalLine",
    "MemberRef",
    "MemberWeek",
    "ReviewLine",
    "archive_payload",
    "checkin_payload",
    "is_week_ref",
    "kickoff_payload",
    "kickoff_ref",
    "member_label",
    "pod_review_ref",
    "pod_summary_ref",
    "pod_summary_supersede_key",
    "review_payload",
    "review_ref",
    "schedule_lines",
    "summary_payload",
    "summary_ref",
    "thread_name",
    "thread_ref",
    "ts",
    "week_of_thread_ref",
]

NO_PINGS: dict[str, Any] = {"parse": []}
ARCHIVE_AFTER_MINUTES = 10080  # a week: the thread stays open until the review archives it

COLOUR_KICKOFF = 0x5865F2
COLOUR_SUMMARY = 0x3498DB
COLOUR_CHECKIN = 0xF1C40F
COLOUR_REVIEW = 0x2ECC71

DONE = "✅"
OPEN = "⬜"

CONTENT_LIMIT = limits.CONTENT
EMBED_DESCRIPTION = limits.EMBED_DESCRIPTION
EMBED_TOTAL = limits.EMBED_TOTAL
THREAD_NAME = limits.THREAD_NAME
MAX_ALLOWED_USERS = limits.ALLOWED_MENTIONS_USERS  # Discord caps allowed_mentions.users at 100

BUTTON_PRIMARY = 1
BUTTON_SECONDARY = 2
BUTTON_SUCCESS = 3


# -- identifiers -------------------------------------------------------------------------------


REF_PREFIX = "acc_"


def kickoff_ref(week_id: int) -> str:
    """The starter message of a text-channel week (the thread grows from it)."""
    return f"acc_kickoff:{week_id}"


def thread_ref(week_id: int) -> str:
    return f"acc_thread:{week_id}"


def week_of_thread_ref(ref: str) -> int | None:
    """The week id in a :func:`thread_ref` (None for any other ref)."""
    prefix, _, rest = ref.partition(":")
    return int(rest) if prefix == "acc_thread" and rest.isdigit() else None


def is_week_ref(ref: str) -> bool:
    """Whether an outbox ref is one of the weekly thread's (kickoff, thread, summary)."""
    return ref.startswith(REF_PREFIX)


def review_ref(week_id: int) -> str:
    return f"acc_review:{week_id}"


def summary_ref(week_id: int) -> str:
    return f"acc_summary:{week_id}"


def summary_supersede_key(week_id: int) -> str:
    return f"week_summary:{week_id}"


def pod_summary_ref(pod_week_id: int) -> str:
    """The week's summary in one pod's thread (accountability per pod)."""
    return f"acc_pod_summary:{pod_week_id}"


def pod_summary_supersede_key(pod_week_id: int) -> str:
    return f"pod_week_summary:{pod_week_id}"


def pod_review_ref(pod_week_id: int) -> str:
    return f"acc_pod_review:{pod_week_id}"


def thread_name(week: date) -> str:
    return truncate(week_label(week), THREAD_NAME)


# -- data the service hands over ---------------------------------------------------------------


@dataclass(frozen=True)
class MemberRef:
    user_id: int
    name: str = ""  # last known display name
    left: bool = False  # left the server: never pinged, shown by name


@dataclass(frozen=True)
class GoalLine:
    id: int
    text: str
    done: bool
    carried: bool = False  # carried over from an earlier week


@dataclass(frozen=True)
class MemberWeek:
    member: MemberRef
    goals: tuple[GoalLine, ...]

    @property
    def done(self) -> int:
        return sum(1 for g in self.goals if g.done)

    @property
    def open_goals(self) -> tuple[GoalLine, ...]:
        return tuple(g for g in self.goals if not g.done)


@dataclass(frozen=True)
class ReviewLine:
    member: MemberRef
    done: tuple[str, ...]
    open: tuple[str, ...]
    sprints: int
    focus_minutes: int
    streak: int
    note: str | None = None

    def figures(self) -> dict[str, Any]:
        return {
            "user_id": self.member.user_id,
            "done": len(self.done),
            "open": len(self.open),
            "sprints": self.sprints,
            "focus_minutes": self.focus_minutes,
            "streak": self.streak,
        }


@dataclass(frozen=True)
class WeekTimes:
    checkins: tuple[datetime, ...] = field(default_factory=tuple)
    review: datetime | None = None


# -- helpers -----------------------------------------------------------------------------------


def _text(text: str, limit: int) -> str:
    return truncate(escape_markdown(text), limit)


def member_label(member: MemberRef) -> str:
    """``<@id>`` for a member (a name, no ping, with allowed_mentions parse []); a member who left
    is shown by stored name so the line still reads right."""
    if member.left:
        name = _text(member.name, 80) if member.name.strip() else f"<@{member.user_id}>"
        return f"{name} (left the server)"
    return f"<@{member.user_id}>"


def _button(cid: str, label: str, emoji: str, style: int = BUTTON_SECONDARY) -> dict[str, Any]:
    return button(cid, label, emoji=emoji, style=style)


_row = action_row


def _fit(blocks: Sequence[str], limit: int, more: str = "member") -> str:
    """Whole blocks joined by newlines up to ``limit`` characters, then "… and N more"."""
    out: list[str] = []
    size = 0
    reserve = 40
    for i, block in enumerate(blocks):
        need = len(block) + (1 if out else 0)
        last = i == len(blocks) - 1
        if size + need > (limit if last else limit - reserve):
            rest = len(blocks) - len(out)
            tail = f"… and {rest} more {more}{'' if rest == 1 else 's'}"
            if not out:
                return truncate(block, limit - len(tail) - 1) + "\n" + tail
            return "\n".join(out) + "\n" + tail
        out.append(block)
        size += need
    return "\n".join(out)


def schedule_lines(schedule: WeekSchedule, zone_name: str) -> list[str]:
    """The weekly rhythm in server wall time (for the setup/show replies)."""
    checkins = ", ".join(DAY_NAMES[d] for d in schedule.checkin_days) or "none"
    return [
        f"Kickoff: {DAY_NAMES[schedule.kickoff_day]} {format_time(schedule.kickoff_time)}",
        f"Check-ins: {checkins}"
        + (f" at {format_time(schedule.checkin_time)}" if schedule.checkin_days else ""),
        f"Review: {DAY_NAMES[schedule.review_day]} {format_time(schedule.review_time)}",
        f"(server time, {zone_name})",
    ]


# -- kickoff -----------------------------------------------------------------------------------


def kickoff_payload(
    week_id: int, week: date, times: WeekTimes, role_id: int | None
) -> dict[str, Any]:
    """The first message of the week: how it works, the role ping, and "Add my goals"."""
    steps = [
        "1. Press **Add my goals** (one goal per line), or use `/goal` outside a sprint.",
        "2. Tick goals off with `/done` or the **Mark done** button as you go.",
    ]
    if times.checkins:
        when = ", ".join(ts(t) for t in times.checkins)
        steps.append(f"3. Check-in {when}: I'll ping whoever still has open goals.")
    if times.review is not None:
        steps.append(
            f"{len(steps) + 1}. Review {ts(times.review)}: goals done, sprints, focus time and "
            "streaks, and a button to carry open goals into next week."
        )
    content = f"📅 **{week_label(week)}** — what will you get done this week?"
    allowed: dict[str, Any] = {"parse": []}
    if role_id is not None:
        content = f"<@&{int(role_id)}> " + content
        allowed = {"parse": [], "roles": [str(int(role_id))]}
    return {
        "content": content,
        "embeds": [
            {
                "title": "How this week works",
                "description": "\n".join(steps),
                "color": COLOUR_KICKOFF,
            }
        ],
        "components": [
            _row(
                _button(
                    week_component_id(WeekAction.GOALS, week_id),
                    "Add my goals",
                    "📝",
                    BUTTON_PRIMARY,
                )
            )
        ],
        "allowed_mentions": allowed,
    }


# -- summary -----------------------------------------------------------------------------------


def _member_block(mw: MemberWeek, goal_limit: int = 10) -> str:
    total = len(mw.goals)
    head = f"{member_label(mw.member)} — {DONE} {mw.done}/{total}"
    lines = [head]
    ordered = sorted(mw.goals, key=lambda g: (g.done, g.id))
    for goal in ordered[:goal_limit]:
        carried = " ↪" if goal.carried else ""
        lines.append(f"{DONE if goal.done else OPEN} {_text(goal.text, 150)}{carried}")
    if total > goal_limit:
        lines.append(f"… and {total - goal_limit} more")
    return "\n".join(lines)


def summary_payload(
    week_id: int,
    week: date,
    members: Sequence[MemberWeek],
    *,
    updated_at: datetime,
    final: bool = False,
) -> dict[str, Any]:
    """Everyone's goals and progress for the week; edited in place as goals change."""
    done = sum(m.done for m in members)
    total = sum(len(m.goals) for m in members)
    if members:
        body = _fit([_member_block(m) for m in members], EMBED_DESCRIPTION - 200)
        headline = f"{DONE} {done}/{total} goals done by {len(members)} " + (
            "member" if len(members) == 1 else "members"
        )
        description = headline + "\n\n" + body
    else:
        description = "No goals yet. Press **Add my goals** or use `/goal` to add yours."
    footer = ("Final — the week has been reviewed" if final else "Updated") + f" {ts(updated_at)}"
    embed = {
        "title": f"🎯 Goals · {week_label(week)}",
        "description": description + "\n\n" + footer,
        "color": COLOUR_SUMMARY,
    }
    components: list[dict[str, Any]] = []
    if not final:
        components = [
            _row(
                _button(
                    week_component_id(WeekAction.GOALS, week_id),
                    "Add my goals",
                    "📝",
                    BUTTON_PRIMARY,
                ),
                _button(
                    week_component_id(WeekAction.DONE, week_id), "Mark done", "✅", BUTTON_SUCCESS
                ),
            )
        ]
    return {
        "content": "",
        "embeds": [embed],
        "components": components,
        "allowed_mentions": NO_PINGS,
    }


# -- check-in ----------------------------------------------------------------------------------


def checkin_payload(
    week_id: int, week: date, open_members: Sequence[MemberWeek], review_at: datetime | None
) -> dict[str, Any]:
    """Mid-week check-in: each member's open goals; pings only present members with open goals."""
    pinged: list[int] = []
    mentions: list[str] = []
    size = 0
    for mw in open_members:
        if mw.member.left or len(pinged) >= MAX_ALLOWED_USERS:
            continue
        piece = f"<@{mw.member.user_id}>"
        if size + len(piece) + 1 > CONTENT_LIMIT - 300:
            break
        pinged.append(mw.member.user_id)
        mentions.append(piece)
        size += len(piece) + 1
    review = f" The review is {ts(review_at, 'R')} ({ts(review_at)})." if review_at else ""
    if open_members:
        content = f"👋 Check-in for **{week_label(week)}**: how are your goals going?{review}" + (
            "\n" + " ".join(mentions) if mentions else ""
        )
        blocks = [
            "\n".join(
                [member_label(mw.member)]
                + [f"{OPEN} {_text(g.text, 150)}" for g in mw.open_goals[:10]]
                + ([f"… and {len(mw.open_goals) - 10} more"] if len(mw.open_goals) > 10 else [])
            )
            for mw in open_members
        ]
        description = _fit(blocks, EMBED_DESCRIPTION - 100)
    else:
        content = f"👋 Check-in for **{week_label(week)}**: no open goals right now.{review}"
        description = "Everything is ticked off, or nobody has added goals yet. 🎉"
    return {
        "content": content,
        "embeds": [
            {
                "title": "Still open",
                "description": description
                + "\n\nTap **Mark done** for what you finished, or leave a **Progress** note.",
                "color": COLOUR_CHECKIN,
            }
        ],
        "components": [
            _row(
                _button(
                    week_component_id(WeekAction.DONE, week_id), "Mark done", "✅", BUTTON_SUCCESS
                ),
                _button(week_component_id(WeekAction.NOTE, week_id), "Progress", "💬"),
                _button(week_component_id(WeekAction.GOALS, week_id), "Add goals", "📝"),
            )
        ],
        "allowed_mentions": {"parse": [], "users": [str(uid) for uid in pinged]},
    }


# -- review ------------------------------------------------------------------------------------


def _review_block(line: ReviewLine) -> str:
    total = len(line.done) + len(line.open)
    streak = f" · 🔥 {line.streak}-week streak" if line.streak > 1 else ""
    head = (
        f"{member_label(line.member)} — {DONE} {len(line.done)}/{total} done · "
        f"🏃 {line.sprints} {'sprint' if line.sprints == 1 else 'sprints'} · "
        f"⏱ {line.focus_minutes} min focus{streak}"
    )
    lines = [head]
    lines += [f"{DONE} {_text(t, 120)}" for t in line.done[:8]]
    lines += [f"{OPEN} {_text(t, 120)}" for t in line.open[:8]]
    hidden = max(len(line.done) - 8, 0) + max(len(line.open) - 8, 0)
    if hidden:
        lines.append(f"… and {hidden} more")
    if line.note:
        lines.append(f"💬 {_text(line.note, 200)}")
    return "\n".join(lines)


def review_payload(
    week_id: int, week: date, lines: Sequence[ReviewLine], *, archived: bool
) -> dict[str, Any]:
    """The week's review: per member goals, sprints, focus and streak; carry-over button."""
    done = sum(len(r.done) for r in lines)
    total = done + sum(len(r.open) for r in lines)
    focus = sum(r.focus_minutes for r in lines)
    if lines:
        headline = f"{DONE} {done}/{total} goals done · ⏱ {focus} focus minutes together"
        body = _fit([_review_block(r) for r in lines], EMBED_DESCRIPTION - 400)
        description = headline + "\n\n" + body
    else:
        description = "Nobody set goals or joined a sprint this week. Next week is a fresh start!"
    any_open = any(r.open for r in lines)
    tail = []
    if any_open:
        tail.append("Open goals? **Carry my open goals** moves yours into next week.")
    if archived:
        tail.append("This thread is archived now; see you at next week's kickoff.")
    if tail:
        description += "\n\n" + " ".join(tail)
    components = (
        [
            _row(
                _button(
                    week_component_id(WeekAction.CARRY, week_id),
                    "Carry my open goals",
                    "➡️",
                    BUTTON_PRIMARY,
                )
            )
        ]
        if any_open
        else []
    )
    return {
        "content": f"🏁 **Review · {week_label(week)}**",
        "embeds": [
            {"title": "How the week went", "description": description, "color": COLOUR_REVIEW}
        ],
        "components": components,
        "allowed_mentions": NO_PINGS,
    }


def archive_payload() -> dict[str, Any]:
    return {"archived": True}
