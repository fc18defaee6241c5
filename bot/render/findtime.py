"""Drawing the /findtime answer: each slot as Discord timestamps (every reader sees their own
zone), who can come, and who hasn't set their hours yet. Mentions here never ping: the bot is
built with no allowed mentions and this reply adds none."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.limits import CONTENT
from bot.render.pods import duration, ts
from bot.views.findtime import FindTimeView

__all__ = ["findtime_text"]

NAMED = 8  # beyond this many, a list of people becomes a count


def _who(ids: Sequence[int]) -> str:
    if len(ids) > NAMED:
        return ", ".join(f"<@{uid}>" for uid in ids[:NAMED]) + f" and {len(ids) - NAMED} more"
    return ", ".join(f"<@{uid}>" for uid in ids)


def findtime_text(view: FindTimeView) -> str:
    with_hours = [uid for uid in view.asked if uid in view.zones]
    group = _who(view.asked)
    if view.role_id is not None:
        group = f"<@&{view.role_id}> (its members with hours set, and those named: {group})"
    head = (
        f"🗓️ **Finding {duration(view.length_minutes)} in the next {view.days} "
        f"day{'s' if view.days != 1 else ''}** for {group} — times shown in your own zone."
    )
    lines = [head]
    if not view.slots:
        lines.append(
            "No time fits: "
            + (
                "no two of them are free together for that long."
                if len(with_hours) > 1
                else "their hours leave no slot that long."
            )
            + " Try a shorter length or more days."
        )
    for number, slot in enumerate(view.slots, 1):
        coming = [uid for uid in with_hours if uid in slot.members]
        away = [uid for uid in with_hours if uid not in slot.members]
        if not away:
            who = f"everyone ({len(coming)})"
        elif len(away) <= NAMED // 2 or len(coming) > NAMED:
            who = f"{len(coming)} of {len(with_hours)}, all but {_who(away)}"
        else:
            who = f"{len(coming)} of {len(with_hours)}: {_who(coming)}"
        lines.append(
            f"**{number}.** {ts(slot.start, 'F')} – {ts(slot.end, 't')} ({ts(slot.start, 'R')}) "
            f"· {who}"
        )
    if view.missing:
        lines.append(
            f"Not set their hours here yet: {_who(view.missing)} — `/availability set` "
            "(e.g. “weekdays 08:00–12:00”) lets me include them."
        )
    text = "\n".join(lines)
    if len(text) > CONTENT:
        text = text[: CONTENT - 1] + "…"
    return text
