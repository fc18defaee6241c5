"""Readable text for stored messages: content, embeds, buttons and ephemeral marking.

Discord's dynamic timestamps (``<t:1700000000:R>``) are shown in the viewer's local time zone
(``tz``, default the machine's), the relative style also as "in 5 minutes"; mentions become
``@name``/``#channel``/``@role`` when a :class:`World` is given. Used by test failure messages
and meant for a terminal console.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from .models import Message, walk_components

if TYPE_CHECKING:
    from .world import World

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")
_STYLES = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%d/%m/%Y",
    "D": "%d %B %Y",
    "f": "%d %B %Y %H:%M",
    "F": "%A, %d %B %Y %H:%M",
}
_BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"}


def render_timestamps(text: str, *, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """Replace ``<t:UNIX:STYLE>`` with local times (R: "16:45 (in 25 minutes)")."""

    def replace(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=UTC).astimezone(tz)
        style = match.group(2) or "f"
        if style == "R":
            reference = (now or datetime.now(moment.tzinfo)).astimezone(moment.tzinfo)
            return f"{moment:%H:%M} ({relative(moment, reference)})"
        return moment.strftime(_STYLES[style])

    return _TIMESTAMP.sub(replace, text)


def relative(moment: datetime, now: datetime) -> str:
    """Discord's relative wording: "in 5 minutes", "2 hours ago", "now"."""
    seconds = round((moment - now).total_seconds())
    size = abs(seconds)
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if size >= length:
            count = size // length
            phrase = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {phrase}" if seconds > 0 else f"{phrase} ago"
    return "now"


def render_mentions(text: str, world: World | None) -> str:
    if world is None:
        return text

    def replace(match: re.Match[str]) -> str:
        kind, key = match.group(1), int(match.group(2))
        if kind == "#":
            channel = world.channels.get(key)
            return f"#{channel.name}" if channel else match.group(0)
        if kind == "@&":
            for guild in world.guilds.values():
                if key in guild.roles:
                    return f"@{guild.roles[key].name}"
            return match.group(0)
        user = world.users.get(key)
        return f"@{user.display_name}" if user else match.group(0)

    return _MENTION.sub(replace, text)


def render_message(
    message: Message,
    world: World | None = None,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> str:
    """A multi-line, plain-text rendering of one message."""

    def text(value: str) -> str:
        return render_timestamps(render_mentions(value, world), tz=tz, now=now)

    sent = message.created_at.astimezone(tz)
    head = f"[{sent:%H:%M}] {message.author.display_name}"
    tags = _tags(message, world)
    if tags:
        head += f" ({', '.join(tags)})"
    lines = [f"{head}: {text(message.content)}" if message.content else f"{head}:"]
    for embed in message.embeds:
        lines.extend(f"  ┃ {line}" for line in _embed_lines(embed, text))
    lines.extend(_component_lines(message.components, text))
    lines.extend(f"  📎 file {a.filename} ({_size(a.size)})" for a in message.attachments)
    return "\n".join(lines)


def _size(count: int) -> str:
    """``812 B``, ``23.8 KiB``, ``1.2 MiB``."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / 1024 / 1024:.1f} MiB"


def render_transcript(
    messages: Iterable[Message],
    world: World | None = None,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> str:
    return "\n".join(render_message(m, world, tz=tz, now=now) for m in messages)


def _tags(message: Message, world: World | None) -> list[str]:
    tags = []
    if message.author.bot:
        tags.append("bot")
    if message.ephemeral:
        viewer = world.users.get(message.ephemeral_for or 0) if world else None
        tags.append(f"only visible to {viewer.display_name}" if viewer else "ephemeral")
    if message.loading:
        tags.append("thinking…")
    if message.edited_at is not None:
        tags.append("edited")
    return tags


def _embed_lines(embed: dict[str, Any], text: Callable[[str], str]) -> list[str]:
    lines = []
    if author := (embed.get("author") or {}).get("name"):
        lines.append(text(author))
    if title := embed.get("title"):
        lines.append(f"**{text(title)}**")
    if description := embed.get("description"):
        lines.extend(text(description).splitlines())
    for item in embed.get("fields", []):
        lines.extend(f"{text(item.get('name', ''))}: {text(item.get('value', ''))}".splitlines())
    if footer := (embed.get("footer") or {}).get("text"):
        lines.append(f"— {text(footer)}")
    if timestamp := embed.get("timestamp"):
        lines.append(f"  {timestamp}")
    return lines


def _component_lines(components: list[dict[str, Any]], text: Callable[[str], str]) -> list[str]:
    lines = []
    for row in components:
        items = [_component(c, text) for c in walk_components([row]) if c is not row]
        items = [i for i in items if i]
        own = _component(row, text)
        if own:
            items.insert(0, own)
        if items:
            lines.append("  " + " ".join(items))
    return lines


def _component(component: dict[str, Any], text: Callable[[str], str]) -> str:
    kind = component.get("type")
    if kind == 2:
        label = component.get("label") or (component.get("emoji") or {}).get("name") or "?"
        label = f"~{label}~" if component.get("disabled") else label
        style = _BUTTON_STYLES.get(component.get("style", 2), "")
        suffix = " ↗" if style == "link" else ""
        return f"[{label}{suffix}]"
    if kind in (3, 5, 6, 7, 8):
        placeholder = component.get("placeholder") or "select"
        options = ", ".join(o.get("label", "") for o in component.get("options", []))
        return f"<{placeholder}{': ' + options if options else ''}>"
    if kind == 10:
        return text(component.get("content", ""))
    return ""
