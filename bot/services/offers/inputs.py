"""What a member types for an offer, read: slots and the expiry with the same parser as
``/session schedule`` (so "Mon 9:00" and "in 30 min" mean the same everywhere), and the repeat
rule checked against every slot (any of them may win)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.schedule import ScheduleError, parse_repeat
from bot.services.offers.views import repeat_text
from bot.services.sessions.typed import typed_instant

__all__ = ["checked_repeat", "typed_expiry", "typed_slots"]


def typed_slots(
    texts: Sequence[str], zone: ZoneInfo, now: datetime, speed: float
) -> list[datetime]:
    """Each slot as an instant, in the order typed; a slot that can't be read is named."""
    out: list[datetime] = []
    for number, text in enumerate(texts, 1):
        try:
            out.append(typed_instant(text, zone, now, speed=speed))
        except ValidationError as err:
            raise ValidationError(f"Slot {number}: {err}") from None
    return out


def typed_expiry(text: str | None, zone: ZoneInfo, now: datetime, speed: float) -> datetime | None:
    """The expiry as an instant; None when left out (the first slot's start)."""
    if text is None or not text.strip():
        return None
    try:
        return typed_instant(text, zone, now, speed=speed)
    except ValidationError as err:
        raise ValidationError(f"The expiry: {err}") from None


def checked_repeat(text: str | None, starts: Sequence[datetime], zone: ZoneInfo) -> str | None:
    """The repeat as typed (None: a one-off), once it fits every slot: "weekly on wed" with a
    Monday slot is refused now rather than when that slot wins."""
    if text is None or not text.strip():
        return None
    try:
        repeat = parse_repeat(text)
    except ScheduleError as err:
        raise ValidationError(str(err)) from None
    if repeat.freq == "none":
        return None
    for number, start in enumerate(starts, 1):
        try:
            repeat_text(repeat, start.astimezone(zone).replace(tzinfo=None))
        except ScheduleError as err:
            raise ValidationError(f"Slot {number}: {err}") from None
    return text.strip()[:100]
