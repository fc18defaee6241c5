"""Discord's wire format for the pieces every area builds: timestamps, buttons, action rows.

Plain dicts (the JSON Discord takes); no discord import, so services' messages and render share
them. Custom ids live in :mod:`bot.ids`; size limits in :mod:`bot.render.limits`.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

__all__ = ["ButtonStyle", "TimestampStyle", "action_row", "button", "link_button", "ts"]

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


class ButtonStyle(IntEnum):
    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3
    DANGER = 4
    LINK = 5


def ts(when: datetime, style: TimestampStyle = "F") -> str:
    """A Discord timestamp every client shows in its own zone (``R`` ticks: "in 5 minutes")."""
    return f"<t:{int(when.timestamp())}:{style}>"


def button(
    custom_id: str,
    label: str,
    *,
    emoji: str | None = None,
    style: int = ButtonStyle.SECONDARY,
) -> dict[str, Any]:
    """An interactive button (component type 2) with an optional unicode emoji."""
    data: dict[str, Any] = {"type": 2, "style": int(style), "label": label, "custom_id": custom_id}
    if emoji:
        data["emoji"] = {"name": emoji}
    return data


def link_button(url: str, label: str, *, emoji: str | None = None) -> dict[str, Any]:
    """A button that opens ``url`` in the browser (no custom id: the bot hears no click)."""
    data: dict[str, Any] = {"type": 2, "style": int(ButtonStyle.LINK), "label": label, "url": url}
    if emoji:
        data["emoji"] = {"name": emoji}
    return data


def action_row(*components: dict[str, Any]) -> dict[str, Any]:
    """An action row (component type 1) holding up to five buttons."""
    return {"type": 1, "components": list(components)}
