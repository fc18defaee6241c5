"""SHIM (sessions branch only): the contract of the schedule engineer's pure time layer.

Replaced by the real module when it lands on main; only what the sessions service calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du

__all__ = [
    "MAX_OCCURRENCES",
    "Repeat",
    "ScheduleError",
    "describe_repeat",
    "occurrences",
    "parse_repeat",
    "parse_when",
    "repeat_choices",
    "rrule_text",
    "wall_to_utc",
]

MAX_OCCURRENCES = 500
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RR_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class ScheduleError(ValueError):
    """str(e) is the sentence the user sees."""


@dataclass(frozen=True)
class Repeat:
    freq: str = "none"
    weekdays: tuple[int, ...] = ()
    interval: int = 1
    until: date | None = None
    count: int | None = None


def _time(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if m is None:
        raise ScheduleError(f"I can't read the time “{text}”: write it like 09:00 or 9am.")
    hour, minute, half = int(m[1]), int(m[2] or 0), m[3]
    if half:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"“{text}” isn't a time: with am/pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"“{text}” isn't a time: hours go 0–23 and minutes 0–59.")
    return hour, minute


def parse_when(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    words = text.strip().lower().split()
    local_now = now.astimezone(zone)
    if not words:
        raise ScheduleError("Say when: e.g. 2026-12-01 09:00, Mon 9:00, tomorrow 14:30 or 9am.")
    day: date
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", words[0]):
        try:
            day = date.fromisoformat(words[0])
        except ValueError:
            raise ScheduleError(f"“{words[0]}” isn't a date.") from None
        rest = words[1:]
    elif words[0] in ("today", "tomorrow"):
        day = local_now.date() + timedelta(days=1 if words[0] == "tomorrow" else 0)
        rest = words[1:]
    elif words[0][:3] in _DAYS and len(words) > 1:
        target = _DAYS.index(words[0][:3])
        day = local_now.date() + timedelta(days=(target - local_now.weekday()) % 7)
        rest = words[1:]
        h, m = _time(" ".join(rest))
        if wall_to_utc(datetime(day.year, day.month, day.day, h, m), zone) <= now:  # noqa: DTZ001
            day += timedelta(days=7)
    elif len(words) == 1 and re.match(r"\d", words[0]):
        day, rest = local_now.date(), words
        h, m = _time(words[0])
        if wall_to_utc(datetime(day.year, day.month, day.day, h, m), zone) <= now:  # noqa: DTZ001
            day += timedelta(days=1)
    else:
        raise ScheduleError(
            f"I can't read “{text}”: write e.g. 2026-12-01 09:00, Mon 9:00, tomorrow 14:30 or 9am."
        )
    h, m = _time(" ".join(rest)) if rest else (9, 0)
    when = wall_to_utc(datetime(day.year, day.month, day.day, h, m), zone).astimezone(zone)  # noqa: DTZ001
    if when <= now:
        raise ScheduleError("That time has already passed: pick a time in the future.")
    return when


def parse_repeat(text: str, *, until: str | None = None, count: int | None = None) -> Repeat:
    t = text.strip().lower()
    until_d = None
    if until:
        try:
            until_d = date.fromisoformat(until.strip())
        except ValueError:
            raise ScheduleError(f"“{until}” isn't a date: write it like 2027-03-31.") from None
    if count is not None and count < 1:
        raise ScheduleError("count is at least 1.")
    if t in ("", "none", "once"):
        return Repeat("none")
    if t == "daily":
        return Repeat("daily", (), 1, until_d, count)
    if t == "weekdays":
        return Repeat("weekdays", (0, 1, 2, 3, 4), 1, until_d, count)
    m = re.fullmatch(r"(?:every (\d+) weeks?|weekly|every week)(?: on (.+))?", t)
    if m is None:
        raise ScheduleError(f"I can't read the repeat “{text}”: try weekly on mon,wed.")
    days: list[int] = []
    for word in re.split(r"[ ,]+(?:and )?", m[2] or ""):
        if not word:
            continue
        if word[:3] not in _DAYS:
            raise ScheduleError(f"“{word}” isn't a day.")
        days.append(_DAYS.index(word[:3]))
    return Repeat("weekly", tuple(sorted(set(days))), int(m[1] or 1), until_d, count)


def repeat_choices() -> list[tuple[str, str]]:
    return [
        ("once", "none"),
        ("daily", "daily"),
        ("weekdays", "weekdays"),
        ("weekly", "weekly"),
        ("every 2 weeks", "every 2 weeks"),
    ]


def rrule_text(first_local: datetime, repeat: Repeat) -> str | None:
    if repeat.freq == "none":
        return None
    parts = ["FREQ=DAILY" if repeat.freq == "daily" else "FREQ=WEEKLY"]
    if repeat.interval > 1:
        parts.append(f"INTERVAL={repeat.interval}")
    days = repeat.weekdays or ((first_local.weekday(),) if repeat.freq == "weekly" else ())
    if days:
        parts.append("BYDAY=" + ",".join(_RR_DAYS[d] for d in days))
    if repeat.until is not None:
        parts.append(f"UNTIL={repeat.until:%Y%m%d}T235959")
    if repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    text = ";".join(parts)
    if repeat.until is None and repeat.count is None:
        return text  # open-ended: occurrences are computed as they come
    rule = du.rrulestr(text, dtstart=first_local.replace(tzinfo=None))
    for total, _ in enumerate(rule, start=1):
        if total > MAX_OCCURRENCES:
            raise ScheduleError(
                f"That repeat makes more than {MAX_OCCURRENCES} sessions: add an end date "
                "(until) or a count."
            )
    return text


def wall_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    aware = naive.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:  # in a gap: shift forward by the gap
        aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(UTC)


def occurrences(
    first_local: datetime, zone: str, rrule: str | None, after: datetime, limit: int
) -> list[datetime]:
    tz = ZoneInfo(zone)
    if rrule is None:
        when = wall_to_utc(first_local, tz)
        return [when] if when > after and limit > 0 else []
    out: list[datetime] = []
    for local in du.rrulestr(rrule, dtstart=first_local.replace(tzinfo=None)):
        when = wall_to_utc(local, tz)
        if when > after:
            out.append(when)
            if len(out) >= limit:
                break
    return out


def describe_repeat(repeat_or_rrule: Repeat | str | None) -> str:
    if repeat_or_rrule is None:
        return "once"
    if isinstance(repeat_or_rrule, str):
        parts = dict(p.split("=", 1) for p in repeat_or_rrule.split(";"))
        if parts["FREQ"] == "DAILY":
            return "every day"
        days = [_DAY_NAMES[_RR_DAYS.index(d)] for d in parts.get("BYDAY", "").split(",") if d]
        if days == list(_DAY_NAMES[:5]):
            return "every weekday"
        every = (
            "every" if parts.get("INTERVAL", "1") == "1" else f"every {parts['INTERVAL']} weeks on"
        )
        joined = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
        return f"{every} {joined}"
    return repeat_or_rrule.freq
