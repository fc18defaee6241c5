"""``/when``: a time shown in everyone's zone (a Discord timestamp, then each member named)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.text import truncate
from bot.render import limits
from bot.render.wire import ts

if TYPE_CHECKING:
    from bot.views.when import MemberTime, WhenView

__all__ = ["when_text"]

_SOURCE = {"hours": "", "personal": "", "server": ", the server's zone: they set none"}


def _member_line(m: MemberTime) -> str:
    line = f"• <@{m.user_id}>: {m.local:%a %H:%M} ({m.zone}{_SOURCE.get(m.zone_source, '')})"
    warnings = []
    if m.outside_hours:
        warnings.append("outside their available hours")
    if m.night:
        warnings.append("at night for them")
    if warnings:
        line += " ⚠️ " + " and ".join(warnings)
    elif m.outside_hours is False:
        line += " ✅ within their hours"
    return line


def when_text(view: WhenView) -> str:
    """The public answer: the moment as timestamps (each reader sees their own zone), what was
    typed and in which zone, and one line per member named."""
    whose = "your zone" if view.zone_source == "personal" else "the server's zone"
    lines = [
        f"🕒 **{ts(view.at, 'F')}** ({ts(view.at, 'R')}), shown in each reader's own time.",
        f"Typed as {view.local:%a %d %b %H:%M} in {view.zone} ({whose}).",
    ]
    lines.extend(_member_line(m) for m in view.members)
    return truncate("\n".join(lines), limits.CONTENT)
