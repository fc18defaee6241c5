"""Times members type for a session or an offer: ``parse_when``'s grammar plus "in 30 min".

Shared by ``/session schedule`` and ``/session edit`` and by slot offers (issue #14), so a time
that schedules a session also offers one, with the same sentence when it can't be read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.schedule import ScheduleError, parse_when, wall_to_utc

__all__ = ["typed_instant", "typed_start"]

_RELATIVE = re.compile(r"in\s+(\d{1,4})\s*(m|min|mins|minutes?|h|hours?)", re.IGNORECASE)


def typed_start(text: str, zone: ZoneInfo, now: datetime, *, speed: float = 1) -> datetime:
    """The typed start as a wall time with ``tzinfo=zone`` (see ``parse_when``), or, for
    "in 30 min", the instant in ``zone`` (at ``speed``: the demo's compressed time)."""
    found = _RELATIVE.fullmatch(text.strip())
    if found is not None:  # "in 30 min": handy for a session right now (and the demo)
        amount, unit = int(found[1]), found[2].lower()
        delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
        if not timedelta(minutes=1) <= delta <= timedelta(days=60):
            raise ValidationError("“in …” takes 1 minute to 60 days.")
        if speed != 1:  # session time runs at the configured speed (the demo)
            return (now + delta / speed).astimezone(zone)
        when = (now + delta).astimezone(zone)
        return when.replace(second=0, microsecond=0) + timedelta(minutes=1)
    try:
        return parse_when(text, zone, now)
    except ScheduleError as err:
        raise ValidationError(str(err)) from None


def typed_instant(text: str, zone: ZoneInfo, now: datetime, *, speed: float = 1) -> datetime:
    """The typed time as an aware UTC instant: a typed wall time goes through ``wall_to_utc``
    (a time in the spring-forward gap shifts forward, one that happens twice is the earlier),
    "in 30 min" is exact."""
    if _RELATIVE.fullmatch(text.strip()) is not None:
        return typed_start(text, zone, now, speed=speed).astimezone(UTC)
    wall = typed_start(text, zone, now, speed=speed)
    return wall_to_utc(wall.replace(tzinfo=None, fold=0), zone)
