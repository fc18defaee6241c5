"""When standing sessions happen: typed start times, repeat rules and their occurrences.

A series is stored as local wall-clock time + IANA zone + an RFC 5545 RRULE value, never as a
fixed UTC offset, so 09:00 London stays 09:00 London across DST. Everything here is pure; the
clock is passed in.

Decisions, so nobody has to guess:

- **Typed start times** (:func:`parse_when`) follow a small grammar, not dateutil's fuzzy
  guessing: an optional day (``2026-12-01``, ``1 Dec``, ``Dec 1 2026``, ``today``, ``tomorrow``,
  a weekday name such as ``Mon`` or ``monday``) and a time (``09:00``, ``9:00``, ``9am``,
  ``2:30 pm``, ``noon``), in either order, with an optional ``at`` between. Every word must be
  part of that grammar. Slash dates such as ``12/01`` are refused: half the world reads them as
  12 January and the other half as 1 December. A bare hour (``9``) is refused for the same reason
  (9:00 or 21:00?).
- A weekday name means the next such day (today if that time is still ahead); a time alone means
  today if still ahead, else tomorrow; a month and day without a year mean the next such date.
  A start in the past, or more than :data:`MAX_AHEAD` ahead, is refused, saying which: a past
  time that reads (``yesterday 12:00``, ``today 08:00`` at noon, ``2020-01-01 09:00``) is told
  it has passed, not that it can't be read.
- **Wall time → instant** (:func:`wall_to_utc`): a wall time that does not exist (the
  spring-forward gap) is shifted forward by the length of the gap (01:30 on the London change day
  is 02:30 BST); a wall time that happens twice (the fall-back repeat) is the earlier instant
  (01:30 BST, not 01:30 GMT). :func:`parse_when` returns the typed wall time with ``tzinfo=zone``
  and ``fold=0``, so ``.replace(tzinfo=None)`` is the series' wall time and its instant is
  :func:`wall_to_utc`'s.
- **Repeat rules** (:func:`rrule_text`) are written in the series' own wall clock, like its first
  start: ``UNTIL`` is the last second of the end date in the series' zone, without ``Z``.
  :func:`utc_rrule` gives the strict RFC 5545 form (``UNTIL`` in UTC) that calendars need with a
  ``DTSTART;TZID=…``; the calendar renderers use it. An open-ended series (no end date, no count)
  is allowed; a bounded one may not make more than :data:`MAX_OCCURRENCES` sessions.
- The first start must be one of the repeat's days (a Tuesday start for "weekly mon,wed" is
  refused with a suggestion) because RFC 5545 leaves a start outside its own rule undefined.
- **Moving a series** (:func:`moved_rule`, ``/session edit`` this and all future ones with a new
  start): every session takes the new time; the moved session's weekday is replaced by the new
  one and the rule's other days stay (Mon/Wed/Fri, Monday's moved to Tuesday: Tue/Wed/Fri), not
  all days shifted by the same offset. A move that would merge two days or jump over sessions
  of the other days is refused, and so is one past the end date; a ``COUNT`` keeps only what
  is left.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.domain.schedule_input import (
    DAY_CODES,
    DAY_NAMES,
    MAX_AHEAD,
    MAX_OCCURRENCES,
    MONTHS,
    Repeat,
    RepeatFreq,
    ScheduleError,
    format_day,
    parse_repeat,
    parse_when,
    repeat_choices,
    wall_to_utc,
)

__all__ = [
    "MAX_AHEAD",
    "MAX_OCCURRENCES",
    "Repeat",
    "RepeatFreq",
    "ScheduleError",
    "describe_repeat",
    "moved_rule",
    "occurrences",
    "parse_repeat",
    "parse_when",
    "repeat_choices",
    "rrule_text",
    "utc_rrule",
    "wall_to_utc",
]


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None, fold=0)


def _until_stamp(day: date) -> str:
    return f"{day:%Y%m%d}T235959"


def rrule_text(first_local: datetime, repeat: Repeat) -> str | None:
    """The RRULE value for a series starting at wall time ``first_local`` (naive, or aware in the
    series' zone), in the series' own wall clock (see the module docstring); ``None`` for a
    one-off. Raises :class:`ScheduleError` if the start is not one of the repeat's days, the end
    date is before the start, or the series would make more than :data:`MAX_OCCURRENCES`.
    """
    if repeat.freq == "none":
        return None
    first = _naive(first_local)
    parts: list[str]
    if repeat.freq == "daily":
        parts = ["FREQ=DAILY"]
        days: tuple[int, ...] = ()
    else:
        days = repeat.weekdays or (first.weekday(),)
        parts = ["FREQ=WEEKLY"]
    if repeat.interval != 1:
        parts.append(f"INTERVAL={repeat.interval}")
    if days:
        if first.weekday() not in days:
            listed = _and([DAY_NAMES[d] for d in days])
            nxt = next(
                first.date() + timedelta(days=i)
                for i in range(1, 8)
                if (first.weekday() + i) % 7 in days
            )
            raise ScheduleError(
                f"The first start, {format_day(first.date())}, is not one of the repeat days "
                f"({listed}). Start on one of them (e.g. {format_day(nxt)}) or add "
                f"{DAY_NAMES[first.weekday()]} to the days."
            )
        parts.append("BYDAY=" + ",".join(DAY_CODES[d] for d in days))
        if repeat.interval != 1:
            parts.append("WKST=MO")
    if repeat.until is not None:
        if repeat.until < first.date():
            raise ScheduleError(
                f"The end date {format_day(repeat.until)} is before the first start "
                f"{format_day(first.date())}. Pick an end date on or after it."
            )
        parts.append(f"UNTIL={_until_stamp(repeat.until)}")
    if repeat.count is not None:
        if not 1 <= repeat.count <= MAX_OCCURRENCES:
            raise ScheduleError(f"A series can have 1 to {MAX_OCCURRENCES} sessions.")
        parts.append(f"COUNT={repeat.count}")
    text = ";".join(parts)
    if repeat.until is not None:
        for made, _ in enumerate(rrulestr(text, dtstart=first), start=1):
            if made > MAX_OCCURRENCES:
                raise ScheduleError(
                    f"That series would make more than {MAX_OCCURRENCES} sessions before "
                    f"{format_day(repeat.until)}. Pick an earlier end date, give a number of "
                    "sessions, or leave the end out for a series with no end."
                )
    return text


def _rule_parts(rrule: str) -> dict[str, str]:
    text = rrule.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        parts[key.strip().upper()] = value.strip()
    return parts


def _join_parts(parts: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _local_until(value: str, zone: ZoneInfo) -> datetime:
    """An UNTIL value as a wall time in ``zone`` (a ``Z`` value is converted)."""
    if value.endswith("Z"):
        instant = datetime.strptime(value, "%Y%m%dT%H%M%S%z")
        return _naive(instant.astimezone(zone))
    if "T" in value:
        return datetime.combine(_stamp_date(value), _stamp_time(value))
    return datetime.combine(_stamp_date(value), time(23, 59, 59))


def _stamp_date(value: str) -> date:
    return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))


def _stamp_time(value: str) -> time:
    clock = value.split("T", 1)[1]
    return time(int(clock[0:2]), int(clock[2:4]), int(clock[4:6]))


def utc_rrule(rrule: str, zone: str) -> str:
    """``rrule`` with ``UNTIL`` in UTC, the form RFC 5545 requires with ``DTSTART;TZID=…``."""
    parts = _rule_parts(rrule)
    if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
        local = _local_until(parts["UNTIL"], ZoneInfo(zone))
        parts["UNTIL"] = f"{wall_to_utc(local, ZoneInfo(zone)):%Y%m%dT%H%M%SZ}"
    return _join_parts(parts)


def occurrences(
    first_local: datetime, zone: str, rrule: str | None, after: datetime, limit: int
) -> list[datetime]:
    """Up to ``limit`` starts of the series (aware UTC, ascending) strictly after ``after``.

    ``first_local`` is the series' first start as naive wall clock in ``zone``; each occurrence
    has that wall time on its day, turned into an instant by :func:`wall_to_utc`.
    """
    tz = ZoneInfo(zone)
    first = _naive(first_local)
    if limit <= 0:
        return []
    if rrule is None:
        start = wall_to_utc(first, tz)
        return [start] if start > after else []
    parts = _rule_parts(rrule)
    if "UNTIL" in parts:
        parts["UNTIL"] = f"{_local_until(parts['UNTIL'], tz):%Y%m%dT%H%M%S}"
    rule = rrulestr(_join_parts(parts), dtstart=first, cache=False)
    # A day of margin: wall clock and instants differ by at most a zone's offset change.
    floor = _naive(after.astimezone(tz)) - timedelta(days=1)
    found: list[datetime] = []
    candidates = rule.xafter(floor, inc=True) if floor > first else iter(rule)
    for local in candidates:
        start = wall_to_utc(local, tz)
        if start > after:
            found.append(start)
            if len(found) >= limit:
                break
    return found


def moved_rule(
    rrule: str | None,
    first_local: datetime,
    zone: str,
    moved_from: datetime,
    moved_to: datetime,
) -> str | None:
    """The rule of a series whose session at wall time ``moved_from`` moves, with all the
    following ones, to start at ``moved_to`` (``/session edit``, this and all future ones);
    ``moved_to`` becomes the series' first start. Wall times are naive in ``zone``.

    A series has one time of day, so every session takes ``moved_to``'s time. A weekly rule's
    day of the moved session becomes ``moved_to``'s weekday and its other days stay (Mon/Wed/Fri,
    Monday's session moved to Tuesday: Tue/Wed/Fri), so a single-day series simply moves. A daily
    rule goes on daily from ``moved_to``. A ``COUNT`` keeps only what is left of it (the series
    still ends after as many sessions); ``UNTIL`` stays, and a move past it is refused (the
    series would otherwise end after the moved session).

    Raises :class:`ScheduleError` when a rule on several days would lose sessions: the new day is
    already one of its days (the two would merge), or the move jumps over sessions of its other
    days (Mon/Wed/Fri, Monday's moved to Thursday: Wednesday's would be left out).
    """
    if rrule is None:
        return None
    tz = ZoneInfo(zone)
    first, old, new = _naive(first_local), _naive(moved_from), _naive(moved_to)
    parts = _rule_parts(rrule)
    local = dict(parts)
    if "UNTIL" in local:
        local["UNTIL"] = f"{_local_until(local['UNTIL'], tz):%Y%m%dT%H%M%S}"
    if "UNTIL" in local:
        last = _local_until(parts["UNTIL"], tz)
        if new > last:
            raise ScheduleError(
                f"{format_day(new.date())} is after the series' last date, "
                f"{format_day(last.date())}; move it to that day or earlier (the end date "
                "can't be edited: to go on later, schedule a new series)."
            )
    rule = rrulestr(_join_parts(local), dtstart=first, cache=False)
    codes = [c.strip()[-2:] for c in parts.get("BYDAY", "").split(",") if c.strip()]
    if parts.get("FREQ") == "WEEKLY" and codes:
        days = sorted({DAY_CODES.index(c) for c in codes if c in DAY_CODES})
        others = [d for d in days if d != old.weekday()]
        if others and new.weekday() in others:
            raise ScheduleError(
                f"{DAY_NAMES[new.weekday()]} is already one of this series' days "
                f"({_and([DAY_NAMES[d] for d in days])}), so moving "
                f"{DAY_NAMES[old.weekday()]}'s session there for all future ones would merge two "
                f"days into one. To change the time of every session, keep its day (e.g. "
                f"`{DAY_NAMES[old.weekday()][:3]} {new:%H:%M}`); to move only this session, use "
                "`scope: this one only`."
            )
        lost = [
            d.date()
            for d in rule.between(old, new, inc=False)
            if d.weekday() in others and d.date() != new.date()
        ]
        if lost:
            named = [format_day(d) for d in lost[:3]]
            if len(lost) > 3:
                named.append(f"{len(lost) - 3} more")
            raise ScheduleError(
                f"Moving it to {format_day(new.date())} for all future ones would leave out the "
                f"sessions of the series' other days in between ({_and(named)}). Pick a day "
                f"before {format_day(lost[0])}, or use `scope: this one only`."
            )
        parts["BYDAY"] = ",".join(DAY_CODES[d] for d in sorted({*others, new.weekday()}))
    if "COUNT" in parts:
        held = 0
        for when in rule:
            if when >= old:
                break
            held += 1
        parts["COUNT"] = str(max(1, int(parts["COUNT"]) - held))
    return _join_parts(parts)


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_repeat(rrule: str | None) -> str:
    """The rule in words: ``does not repeat``, ``every day``, ``every weekday``,
    ``every Monday and Wednesday until 1 Mar 2027``, ``every 2 weeks on Tuesday, 10 times``.
    """
    if rrule is None or not rrule.strip():
        return "does not repeat"
    parts = _rule_parts(rrule)
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1") or "1")
    codes = [c for c in parts.get("BYDAY", "").split(",") if c]
    days = [DAY_CODES.index(c[-2:]) for c in codes if c[-2:] in DAY_CODES]
    if freq == "DAILY":
        text = "every day" if interval == 1 else f"every {interval} days"
    elif freq == "WEEKLY":
        names = [DAY_NAMES[d] for d in sorted(days)]
        if interval == 1:
            text = "every weekday" if sorted(days) == [0, 1, 2, 3, 4] else f"every {_and(names)}"
            if not names:
                text = "every week"
        else:
            text = f"every {interval} weeks" + (f" on {_and(names)}" if names else "")
    else:
        text = f"repeats ({freq.lower() or 'custom'})"
    if "UNTIL" in parts:
        value = parts["UNTIL"]
        end = _stamp_date(value)
        text += f" until {end.day} {MONTHS[end.month - 1]} {end.year}"
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        text += ", once" if count == 1 else f", {count} times"
    return text
