"""Pods: the round announcement, each pod's thread (intro, nudge, "Did you meet?") as Discord JSON.

Pure functions from the small view types below. Times are Discord timestamps, so every reader sees
them in their own zone; a member's own wall clock ("09:12 in Europe/Berlin") is written out so pod
mates know what time it is for each other. Mentions: a message that pings names exactly the
members it pings (in a private thread, being mentioned is also how a member is added to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.text import truncate
from bot.ids import pod_button_id, pod_pause_id, pod_weekly_id
from bot.render.wire import ts

__all__ = [
    "PodIntro",
    "PodMate",
    "announce_payload",
    "ask_payload",
    "duration",
    "intro_payload",
    "nudge_payload",
    "pause_payload",
    "thread_payload",
    "thread_ref",
    "ts",
]

MESSAGE_LIMIT = 2000
ARCHIVE_MINUTES = 10080  # a week: Discord's longest auto-archive
SHOWN_SLOTS = 5
PRIMARY, SECONDARY, SUCCESS, DANGER = 1, 2, 3, 4
PUBLIC_THREAD, PRIVATE_THREAD = 11, 12


@dataclass(frozen=True)
class PodMate:
    user_id: int
    name: str
    zone: str | None  # None: they have not told us their zone
    local_now: datetime | None
    has_hours: bool


@dataclass(frozen=True)
class PodIntro:
    pod_id: int
    number: int
    round_number: int
    mates: tuple[PodMate, ...]
    shared: tuple[tuple[datetime, datetime], ...]  # the longest shared stretches, by time
    shared_minutes: int
    ends_at: datetime
    kept: bool = False


def thread_ref(pod_id: int) -> str:
    return f"pod_thread:{pod_id}"


def intro_ref(pod_id: int) -> str:
    return f"pod_intro:{pod_id}"


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _button(cid: str, label: str, emoji: str, style: int = SECONDARY) -> dict[str, object]:
    return {"type": 2, "style": style, "label": label, "custom_id": cid, "emoji": {"name": emoji}}


def _row(*buttons: dict[str, object]) -> dict[str, object]:
    return {"type": 1, "components": list(buttons)}


def _pings(user_ids: Sequence[int]) -> dict[str, object]:
    return {"parse": [], "users": [str(u) for u in user_ids][:100]}


def thread_name(number: int, names: Sequence[str]) -> str:
    label = ", ".join(" ".join(n.split()) for n in names if n.strip())
    return truncate(f"Pod {number} · {label}" if label else f"Pod {number}", 100)


def thread_payload(number: int, names: Sequence[str], *, private: bool) -> dict[str, object]:
    """The body of ``POST /channels/{id}/threads`` for a pod's thread."""
    body: dict[str, object] = {
        "name": thread_name(number, names),
        "type": PRIVATE_THREAD if private else PUBLIC_THREAD,
        "auto_archive_duration": ARCHIVE_MINUTES,
    }
    if private:
        body["invitable"] = False
    return body


def _mate_line(mate: PodMate) -> str:
    if mate.zone and mate.local_now is not None:
        where = f"{mate.local_now:%H:%M} now ({mate.zone})"
    else:
        where = "zone not set"
    hours = "" if mate.has_hours else " · no hours set"
    return f"• <@{mate.user_id}> — {where}{hours}"


def _shared_lines(shared: Sequence[tuple[datetime, datetime]], minutes: int) -> str:
    if not shared:
        return ""
    lines = [
        f"• {ts(a, 'f')} – {ts(b, 't')} ({duration(int((b - a).total_seconds() // 60))})"
        for a, b in shared[:SHOWN_SLOTS]
    ]
    more = len(shared) - SHOWN_SLOTS
    if more > 0:
        lines.append(f"…and {more} more")
    return f"**Free together this round** ({duration(minutes)} in all; your own time):\n" + (
        "\n".join(lines)
    )


def _no_shared(mates: Sequence[PodMate]) -> str:
    missing = [m for m in mates if not m.has_hours]
    if missing:
        who = ", ".join(f"<@{m.user_id}>" for m in missing)
        return (
            f"I don't know everyone's hours yet ({who}): `/availability set` lets me show "
            "when you're all free."
        )
    return "Your set hours don't overlap this round: pick a time that works for everyone."


def intro_payload(intro: PodIntro) -> dict[str, object]:
    """The first message in a pod's thread: who is in, their clocks, the shared hours."""
    ids = [m.user_id for m in intro.mates]
    head = (
        f"👋 **Pod {intro.number}** · round {intro.round_number}"
        + (" · kept together" if intro.kept else "")
        + f" · until {ts(intro.ends_at, 'f')}"
    )
    body = [head, "\n".join(_mate_line(m) for m in intro.mates)]
    shared = _shared_lines(intro.shared, intro.shared_minutes)
    body.append(shared or _no_shared(intro.mates))
    body.append(
        "Say hi and pick a time to meet (a call, a coworking sprint, a walk). Press "
        "**We met** once you have; **Keep this pod** if you'd like to stay together next round."
    )
    rows = [
        _row(
            _button(pod_button_id("met", intro.pod_id), "We met", "✅", SUCCESS),
            _button(pod_button_id("keep", intro.pod_id), "Keep this pod", "🔒"),
            _button(pod_button_id("rotate", intro.pod_id), "Rotate me next round", "🔀"),
        )
    ]
    if intro.shared:  # one click: the first free time above becomes a weekly standing session
        rows.append(
            _row(
                _button(
                    pod_weekly_id(intro.pod_id, intro.shared[0][0]),
                    "Meet weekly at the first free time",
                    "📅",
                    PRIMARY,
                )
            )
        )
    return {
        "content": truncate("\n\n".join(body), MESSAGE_LIMIT),
        "allowed_mentions": _pings(ids),
        "components": rows,
    }


def nudge_payload(
    pod_id: int,
    member_ids: Sequence[int],
    shared: Sequence[tuple[datetime, datetime]],
    shared_minutes: int,
    ends_at: datetime,
    *,
    header: str = "",
) -> dict[str, object]:
    """Halfway through a round, to a pod that has not said it met (``shared``: what is left)."""
    who = " ".join(f"<@{u}>" for u in member_ids)
    lines = [
        f"{header}⏰ {who} — halfway through the round (it ends {ts(ends_at, 'R')}). "
        "Have you found a time yet?",
        _shared_lines(shared, shared_minutes),
        "Press **We met** when you have.",
    ]
    return {
        "content": truncate("\n\n".join(x for x in lines if x), MESSAGE_LIMIT),
        "allowed_mentions": _pings(member_ids),
        "components": [_row(_button(pod_button_id("met", pod_id), "We met", "✅", SUCCESS))],
    }


def ask_payload(
    pod_id: int, member_ids: Sequence[int], ends_at: datetime, *, header: str = ""
) -> dict[str, object]:
    """The end-of-round question; the answers feed the next matching."""
    who = " ".join(f"<@{u}>" for u in member_ids)
    return {
        "content": truncate(
            f"{header}🏁 {who} — this round ends {ts(ends_at, 'R')}. **Did you meet?** "
            "Your answers help the next matching.",
            MESSAGE_LIMIT,
        ),
        "allowed_mentions": _pings(member_ids),
        "components": [
            _row(
                _button(pod_button_id("met", pod_id), "We met", "✅", SUCCESS),
                _button(pod_button_id("miss", pod_id), "We didn't", "❌", DANGER),
                _button(pod_button_id("keep", pod_id), "Keep this pod", "🔒"),
                _button(pod_button_id("rotate", pod_id), "Rotate me next round", "🔀"),
            )
        ],
    }


def pause_payload(config_id: int, user_id: int, *, header: str = "") -> dict[str, object]:
    """To a member who did not show up two rounds in a row: pause, or stay in?"""
    return {
        "content": truncate(
            f"{header}<@{user_id}>, it looks like the last two rounds didn't work out for you. "
            "Shall I pause pods for you? Until you answer you're left out of the next matching, "
            "so your pod mates get a new pod.",
            MESSAGE_LIMIT,
        ),
        "allowed_mentions": _pings([user_id]),
        "components": [
            _row(
                _button(pod_pause_id("pause", config_id, user_id), "Pause me", "⏸️"),
                _button(pod_pause_id("stay", config_id, user_id), "Keep me in", "▶️", PRIMARY),
            )
        ],
    }


def announce_payload(
    round_number: int,
    pods: int,
    members: int,
    kept: int,
    unmatched: Sequence[int],
    next_at: datetime,
) -> dict[str, object]:
    """In the pods channel when a round starts (pings only who could not be placed)."""
    lines = [
        f"🫛 **Pods · round {round_number}**: {members} members in {pods} "
        f"{'pod' if pods == 1 else 'pods'}"
        + (f" ({kept} kept together)" if kept else "")
        + ". Each pod has its own thread — say hi there!",
    ]
    if unmatched:
        who = ", ".join(f"<@{u}>" for u in unmatched)
        lines.append(
            f"{who}: I couldn't place you in a pod this round. You're in the next matching."
        )
    if not pods and not unmatched:
        lines.append("Nobody is opted in yet: `/pods join` to take part.")
    lines.append(f"Next round {ts(next_at, 'F')}. `/pods join` to take part, `/pods me` for yours.")
    return {
        "content": truncate("\n".join(lines), MESSAGE_LIMIT),
        "allowed_mentions": _pings(list(unmatched)),
    }


def moved_payload(user_id: int, mates: Sequence[int], *, header: str = "") -> dict[str, object]:
    """A member joins this pod mid-round (their own pod fell apart)."""
    return {
        "content": truncate(
            f"{header}👋 <@{user_id}> joins this pod for the rest of the round. "
            + " ".join(f"<@{u}>" for u in mates)
            + ", say hi!",
            MESSAGE_LIMIT,
        ),
        "allowed_mentions": _pings([user_id, *mates]),
    }


def left_payload(user_id: int, alone: int | None, *, header: str = "") -> dict[str, object]:
    """A member left the pod mid-round."""
    text = f"{header}<@{user_id}> left pods; the rest of this pod carries on."
    pings: list[int] = []
    if alone is not None:
        text = (
            f"{header}<@{user_id}> left pods. <@{alone}>, you're the only one left here, so "
            "I'll put you in another pod as soon as one fits (or in the next round)."
        )
        pings = [alone]
    return {"content": truncate(text, MESSAGE_LIMIT), "allowed_mentions": _pings(pings)}
