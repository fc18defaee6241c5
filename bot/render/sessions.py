"""Standing sessions drawn: the session card, reminders, the start line, lists and offers.

Pure functions from the view types of :mod:`bot.views.sessions` to Discord payloads. Times are
Discord timestamps, so each member sees their own zone and the countdown ticks without edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.sprint import SprintPlan
from bot.domain.text import escape_markdown
from bot.ids import session_button_id
from bot.render import limits
from bot.render.session_calendar import google_calendar_link
from bot.render.wire import ts
from bot.views.sessions import Attendee, OccurrenceView, SeriesView

__all__ = [
    "attendance_embed",
    "card_payload",
    "google_link",
    "offer_payload",
    "plan_text",
    "reminder_payload",
    "series_line",
    "series_text",
    "start_payload",
    "ts",
]

COLOUR = 0x5865F2
MAX_NAMES = 30  # per list on the card; the rest is a count


def plan_text(plan: dict[str, Any]) -> str:
    try:
        p = SprintPlan.from_dict(plan)
    except Exception:
        return "the server's default sprint"
    preset = plan.get("preset")
    head = f"{preset}: " if isinstance(preset, str) and preset else ""
    intro = f", {p.intro_min} min intro" if p.intro_min else ""
    rounds = "1 round" if p.rounds == 1 else f"{p.rounds} rounds"
    brk = f", {p.break_min} min breaks" if p.rounds > 1 else ""
    return f"{head}{rounds} of {p.work_min} min work{brk}{intro}"


def _names(people: Sequence[Attendee]) -> str:
    shown = [f"<@{a.user_id}>" for a in people[:MAX_NAMES]]
    more = len(people) - len(shown)
    return " ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "nobody yet"


def when_text(occ: OccurrenceView) -> str:
    return f"{ts(occ.starts_at)} ({ts(occ.starts_at, 'R')})"


def series_text(view: SeriesView, *, with_people: bool = True) -> str:
    """The card's description (also /session show)."""
    lines: list[str] = []
    occ = view.next
    if view.cancelled:
        lines.append("❌ **This series is cancelled.**")
    elif occ is None:
        lines.append("No more sessions in this series.")
    else:
        lines.append(f"**Next:** {when_text(occ)}")
        if occ.edited:
            lines.append("✏️ This one differs from the series (edited).")
    lines.append(f"**Repeats:** {view.repeat_text} · {view.zone}")
    where = f"<#{view.channel_id}>"
    voice = occ.voice_channel_id if occ is not None else view.voice_channel_id
    if voice is not None:
        where += f" · 🔊 <#{voice}>"
    lines.append(f"**Where:** {where}")
    lines.append(f"**Plan:** {plan_text(occ.plan if occ is not None else view.plan)}")
    norms = occ.norms if occ is not None else view.norms
    if norms:
        lines.append(f"**Norms:** {escape_markdown(norms)}")
    if view.reminders:
        lines.append(
            "**Reminders:** "
            + ", ".join(_before(m) for m in sorted(view.reminders, reverse=True))
            + " before, to Going and Maybe"
        )
    if with_people and occ is not None and not view.cancelled:
        places = f" ({len(occ.going)}/{view.capacity} places)" if view.capacity else ""
        lines.append(f"**Going{places}:** {_names(occ.going)}")
        if occ.maybe:
            lines.append(f"**Maybe:** {_names(occ.maybe)}")
        if occ.waitlist:
            lines.append(f"**Waitlist:** {_names(occ.waitlist)}")
        if occ.skipping or occ.cant:
            lines.append(f"Skipping this one: {occ.skipping} · Can't: {occ.cant}")
    if view.last_at is not None:
        missed = (
            f"; said they'd come but didn't: {_ids(view.last_missed)}" if view.last_missed else ""
        )
        lines.append(
            f"**Last time** ({ts(view.last_at, 'D')}): showed up: {_ids(view.last_showed)}{missed}"
        )
    lines.append(f"Scheduled by <@{view.creator_id}>")
    return "\n".join(lines)


def _ids(users: Sequence[int]) -> str:
    shown = " ".join(f"<@{u}>" for u in users[:MAX_NAMES])
    more = len(users) - MAX_NAMES
    return (shown + (f" and {more} more" if more > 0 else "")) if shown else "nobody"


def _before(minutes: int) -> str:
    if minutes == 0:
        return "at the start"
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def google_link(view: SeriesView) -> str | None:
    occ = view.next
    if occ is None:
        return None
    link = google_calendar_link(
        title=occ.title,
        details=f"Sprintbot coworking session ({plan_text(occ.plan)})",
        start=occ.starts_at,
        end=occ.ends_at,
        rrule=view.rrule,
        zone=view.zone,
    )
    return link if len(link) <= 512 else None  # a link button's url is at most 512


def card_components(view: SeriesView) -> list[dict[str, Any]]:
    occ = view.next
    if occ is None or view.cancelled:
        return []

    def button(label: str, action: str, style: int) -> dict[str, Any]:
        return {
            "type": 2,
            "style": style,
            "label": label,
            "custom_id": session_button_id(view.id, occ.id, action),
        }

    rows: list[dict[str, Any]] = [
        {
            "type": 1,
            "components": [
                button("Going", "going", 3),
                button("Maybe", "maybe", 1),
                button("Can't", "cant", 2),
                button("Skip this one", "skip", 2),
            ],
        }
    ]
    second: list[dict[str, Any]] = [button("Add to calendar", "cal", 2)]
    link = google_link(view)
    if link is not None:
        second.append({"type": 2, "style": 5, "label": "Google Calendar", "url": link})
    rows.append({"type": 1, "components": second})
    return rows[: limits.ACTION_ROWS]


def card_payload(view: SeriesView, *, invite_role: bool = False) -> dict[str, Any]:
    """The session card (send or edit). ``invite_role``: the first post pings the series' role."""
    title = view.next.title if view.next is not None else view.title
    embed = {
        "title": f"📅 {escape_markdown(title)}"[: limits.EMBED_TITLE],
        "description": series_text(view)[: limits.EMBED_DESCRIPTION],
        "color": COLOUR,
    }
    payload: dict[str, Any] = {
        "content": "",
        "embeds": [embed],
        "components": card_components(view),
        "allowed_mentions": {"parse": []},
    }
    if invite_role and view.role_id is not None:
        payload["content"] = f"<@&{view.role_id}> a new session is on the calendar."
        payload["allowed_mentions"] = {"parse": [], "roles": [str(view.role_id)]}
    return payload


def reminder_payload(
    view: SeriesView, occ: OccurrenceView, pings: Sequence[int], minutes: int
) -> dict[str, Any]:
    soon = "is starting now" if minutes == 0 else f"starts {ts(occ.starts_at, 'R')}"
    where = f" in <#{occ.voice_channel_id}>" if occ.voice_channel_id else ""
    mentions = " ".join(f"<@{u}>" for u in pings)
    text = (
        f"⏰ **{escape_markdown(occ.title)}** {soon} ({ts(occ.starts_at, 't')}){where}. "
        f"The sprint starts by itself; you'll be in it.\n{mentions}"
    )
    return {
        "content": text[: limits.CONTENT],
        "allowed_mentions": {"parse": [], "users": [str(u) for u in pings]},
    }


def start_payload(
    occ: OccurrenceView,
    pings: Sequence[int],
    *,
    late_by: timedelta | None = None,
    voice_gone: int | None = None,
) -> dict[str, Any]:
    lines = [f"📅 **{escape_markdown(occ.title)}** starts now."]
    if late_by is not None:
        minutes = max(1, int(late_by.total_seconds() // 60))
        lines.append(
            f"⏩ I was offline at {ts(occ.starts_at, 't')}, so it starts {minutes} min late "
            f"and runs for the time that's left (until {ts(occ.ends_at, 't')})."
        )
    if voice_gone is not None:
        lines.append(
            "🔇 The series' voice channel no longer exists, so this one runs without voice."
        )
    if occ.norms:
        lines.append(f"**Norms:** {escape_markdown(occ.norms)}")
    if pings:
        lines.append(
            "You're in: " + " ".join(f"<@{u}>" for u in pings) + " — press **I'm here** (or "
            "set a goal, check in, hop into voice) so you count as having shown up."
        )
    return {
        "content": "\n".join(lines)[: limits.CONTENT],
        "allowed_mentions": {"parse": [], "users": [str(u) for u in pings]},
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 3,
                        "label": "I'm here",
                        "custom_id": session_button_id(occ.series_id, occ.id, "here"),
                    }
                ],
            }
        ],
    }


def attendance_embed(
    title: str,
    showed: Sequence[int],
    missing: Sequence[int],
    next_at: datetime | None,
    card_url: str | None,
) -> dict[str, Any]:
    """The series on the sprint's end message: its name (linking its card), who showed up, who
    said they'd come and didn't, and the next session."""
    lines = [f"Showed up: {_ids(showed)}"]
    if missing:
        lines.append(f"Said they'd come but didn't join: {_ids(missing)}")
    if next_at is not None:
        lines.append(f"Next session: {ts(next_at)} ({ts(next_at, 'R')})")
    lines.append("`/session show` for the series.")
    embed: dict[str, Any] = {
        "title": f"📅 Standing session: {escape_markdown(title)}"[: limits.EMBED_TITLE],
        "description": "\n".join(lines)[: limits.EMBED_DESCRIPTION],
        "color": COLOUR,
    }
    if card_url is not None:
        embed["url"] = card_url
    return embed


def offer_payload(
    series_id: int, occ: OccurrenceView, user_id: int, expires: datetime
) -> dict[str, Any]:
    return {
        "content": (
            f"🎟️ <@{user_id}> a place opened up in **{escape_markdown(occ.title)}** "
            f"({ts(occ.starts_at)}). It's yours if you accept {ts(expires, 'R')}."
        ),
        "allowed_mentions": {"parse": [], "users": [str(user_id)]},
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 3,
                        "label": "Accept the place",
                        "custom_id": session_button_id(series_id, occ.id, "accept"),
                    }
                ],
            }
        ],
    }


def series_line(view: SeriesView) -> str:
    occ = view.next
    when = when_text(occ) if occ is not None else "no more sessions"
    going = f" · {len(occ.going)} going" if occ is not None else ""
    cap = f"/{view.capacity}" if occ is not None and view.capacity else ""
    return (
        f"**{escape_markdown(view.title)}** (#{view.id}) — {when} · {view.repeat_text} · "
        f"<#{view.channel_id}>{going}{cap}"
    )
