"""When a member is available: weekly local-hour windows in their own IANA zone.

A member says "weekdays 08:00–12:00; Sat 10–14" in their zone; :func:`parse_windows` turns that into
:class:`Window` values (local weekday, minutes from local midnight). :func:`week_intervals` makes
the concrete UTC intervals of any stretch of time, DST-correct: a window 01:00–03:00 on the
night clocks spring forward lasts one real hour. :func:`intersect` and :func:`total_minutes` answer
"when are these people free together, and for how long". Pure: shared by pods (matching on shared
hours) and by finding a time across zones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.weeks import DAY_NAMES, local_to_utc, parse_day

__all__ = [
    "MAX_WINDOWS",
    "Availability",
    "Interval",
    "Window",
    "available_at",
    "format_windows",
    "intersect",
    "is_night",
    "mask_intervals",
    "merge",
    "parse_windows",
    "slot_floor",
    "slot_mask",
    "total_minutes",
    "week_intervals",
    "windows_from_json",
    "windows_to_json",
]

DAY_MINUTES = 24 * 60
MAX_WINDOWS = 50
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, order=True)
class Window:
    """Available on local weekday ``day`` (0=Monday) from ``start`` to ``end`` minutes after
    local midnight (``end`` may be 1440: until midnight)."""

    day: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.day <= 6:
            raise ValueError(f"day {self.day} is not 0..6")
        if not 0 <= self.start < self.end <= DAY_MINUTES:
            raise ValueError(f"window {self.start}..{self.end} is not inside one day")


@dataclass(frozen=True, order=True)
class Interval:
    """A stretch of real time, aware UTC, ``start < end``."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Availability:
    zone: ZoneInfo
    windows: tuple[Window, ...]


# -- parsing ---------------------------------------------------------------------------------------

_DASH = r"\s*(?:-|–|—|to|until|till)\s*"
_CLOCK = r"(?:\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?\s*m\.?)?|noon|midnight)"
_RANGE = re.compile(rf"(?P<a>{_CLOCK}){_DASH}(?P<b>{_CLOCK})", re.IGNORECASE)
_CLOCK_PARTS = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?:(?P<ap>[ap])\.?\s*m\.?)?$", re.IGNORECASE
)
_CLAUSES = re.compile(r"[;\n]+")
_DAY_SPLIT = re.compile(r"[\s,/&+]+|\band\b", re.IGNORECASE)
_DAY_RANGE = re.compile(rf"^(?P<a>[a-z]+\.?){_DASH}(?P<b>[a-z]+\.?)$", re.IGNORECASE)
_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "workdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "every day": tuple(range(7)),
    "all week": tuple(range(7)),
    "any day": tuple(range(7)),
}
_EXAMPLE = "e.g. “weekdays 08:00–12:00; Sat 10:00–14:00”"


def _minutes(text: str, whole: str) -> int:
    word = text.strip().lower()
    if word == "noon":
        return 12 * 60
    if word == "midnight":
        return 0
    m = _CLOCK_PARTS.match(word)
    if m is None:
        raise ValidationError(f"“{whole}” has a time I can't read ({text.strip()}). {_EXAMPLE}.")
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if m["ap"]:
        if not 1 <= hour <= 12:
            raise ValidationError(f"“{text.strip()}” is not a time: with am/pm use hours 1–12.")
        hour = hour % 12 + (12 if m["ap"].lower() == "p" else 0)
    if hour == 24 and minute == 0:
        return DAY_MINUTES
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValidationError(f"“{text.strip()}” is not a time of day (use 00:00 to 24:00).")
    return hour * 60 + minute


def _bare(text: str) -> bool:
    return text.strip().isdigit()


def _days(spec: str, whole: str) -> tuple[int, ...]:
    text = " ".join(spec.strip().strip(",:").split()).lower()
    if not text:
        raise ValidationError(
            f"“{whole}” needs the days first, like “weekdays”, “Mon, Wed” or “Sat–Sun”. {_EXAMPLE}."
        )
    if text in _DAY_GROUPS:
        return _DAY_GROUPS[text]
    days: set[int] = set()
    for part in _DAY_SPLIT.split(re.sub(r"\s*(–|—)\s*|\s+-\s+|\s+to\s+", "-", text)):
        if not part or not part.strip():
            continue
        if part in _DAY_GROUPS:
            days.update(_DAY_GROUPS[part])
            continue
        rng = _DAY_RANGE.match(part)
        try:
            if rng is not None:
                a, b = parse_day(rng["a"]), parse_day(rng["b"])
                span = (b - a) % 7
                days.update((a + i) % 7 for i in range(span + 1))
            else:
                days.add(parse_day(part))
        except ValidationError:
            raise ValidationError(
                f"“{part}” in “{whole}” is not a day. Use day names (Mon, Tuesday), ranges "
                "(Mon–Fri), “weekdays”, “weekends” or “every day”."
            ) from None
    return tuple(sorted(days))


def parse_windows(text: str) -> tuple[Window, ...]:
    """Windows from text like ``weekdays 08:00–12:00; Sat 10-14, 18:00-21:00``.

    Clauses are separated by ``;`` or new lines; each is days followed by one or more time ranges.
    A range that ends before it starts runs past midnight into the next day. ``none`` gives ``()``.
    """
    if text.strip().lower() in ("none", "nothing", "-", "never"):
        return ()
    clauses = [c.strip() for c in _CLAUSES.split(text) if c.strip()]
    if not clauses:
        raise ValidationError(f"Say when you're available, {_EXAMPLE}.")
    found: list[Window] = []
    for clause in clauses:
        ranges = list(_RANGE.finditer(clause))
        if not ranges:
            raise ValidationError(
                f"“{clause}” has no time range. Write days then hours, {_EXAMPLE}."
            )
        days = _days(clause[: ranges[0].start()], clause)
        rest = _RANGE.sub(" ", clause[ranges[0].start() :])
        if rest.strip(" ,and"):
            raise ValidationError(
                f"I couldn't read “{rest.strip()}” in “{clause}”. Put the days first, then the "
                f"hours, {_EXAMPLE}."
            )
        for rng in ranges:
            start, end = _minutes(rng["a"], clause), _minutes(rng["b"], clause)
            if 0 < end < start < 12 * 60 and _bare(rng["a"]) and _bare(rng["b"]):
                end += 12 * 60  # "9-5": office hours, not a night shift
            if start == DAY_MINUTES:
                start = 0
            if end == 0:
                end = DAY_MINUTES
            if start == end:
                raise ValidationError(
                    f"“{rng.group(0)}” in “{clause}” is empty: it ends as it starts."
                )
            for day in days:
                if start < end:
                    found.append(Window(day, start, end))
                else:  # past midnight
                    found.append(Window(day, start, DAY_MINUTES))
                    found.append(Window((day + 1) % 7, 0, end))
    windows = normalise(found)
    if len(windows) > MAX_WINDOWS:
        raise ValidationError(
            f"That's {len(windows)} separate windows; {MAX_WINDOWS} is the most. Merge some."
        )
    return windows


def normalise(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted, with overlapping or touching windows of a day merged."""
    out: list[Window] = []
    for w in sorted(windows):
        last = out[-1] if out else None
        if last is not None and last.day == w.day and w.start <= last.end:
            out[-1] = Window(w.day, last.start, max(last.end, w.end))
        else:
            out.append(w)
    return tuple(out)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_label(days: Sequence[int]) -> str:
    ds = tuple(sorted(days))
    if ds == tuple(range(7)):
        return "Every day"
    if ds == (0, 1, 2, 3, 4):
        return "Weekdays"
    if ds == (5, 6):
        return "Weekends"
    runs: list[list[int]] = []
    for d in ds:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(
        f"{_SHORT[r[0]]}–{_SHORT[r[-1]]}" if len(r) >= 3 else ", ".join(_SHORT[d] for d in r)
        for r in runs
    )


def format_windows(windows: Sequence[Window]) -> str:
    """``Weekdays 08:00–12:00; Sat 10:00–14:00`` (days with the same hours grouped)."""
    if not windows:
        return "no hours"
    by_day: dict[int, tuple[tuple[int, int], ...]] = {}
    for w in normalise(windows):
        by_day[w.day] = (*by_day.get(w.day, ()), (w.start, w.end))
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(by_day[day], []).append(day)
    parts = []
    for hours, days in sorted(groups.items(), key=lambda item: item[1][0]):
        spans = ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in hours)
        parts.append(f"{_day_label(days)} {spans}")
    return "; ".join(parts)


def windows_to_json(windows: Sequence[Window]) -> list[list[int]]:
    return [[w.day, w.start, w.end] for w in windows]


def windows_from_json(data: Any) -> tuple[Window, ...]:
    """Windows stored by :func:`windows_to_json`; malformed entries are skipped."""
    out: list[Window] = []
    for item in data or ():
        try:
            day, start, end = (int(v) for v in item)
            out.append(Window(day, start, end))
        except (TypeError, ValueError):
            continue
    return normalise(out)


# -- concrete time ---------------------------------------------------------------------------------


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    if minutes >= DAY_MINUTES:
        return local_to_utc(day + timedelta(days=1), time(0, 0), zone)
    return local_to_utc(day, time(minutes // 60, minutes % 60), zone)


def week_intervals(availability: Availability, start: datetime, days: int = 7) -> list[Interval]:
    """The member's available UTC intervals within ``[start, start + days)``, merged, sorted."""
    if start.tzinfo is None:
        raise ValueError("week_intervals needs an aware start")
    start = start.astimezone(UTC)
    end = start + timedelta(days=days)
    if not availability.windows:
        return []
    by_day: dict[int, list[Window]] = {}
    for w in availability.windows:
        by_day.setdefault(w.day, []).append(w)
    zone = availability.zone
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: list[Interval] = []
    day = first
    while day <= last:
        for w in by_day.get(day.weekday(), ()):
            a, b = max(_at(day, w.start, zone), start), min(_at(day, w.end, zone), end)
            if a < b:
                found.append(Interval(a, b))
        day += timedelta(days=1)
    return merge(found)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for iv in sorted(intervals):
        if out and iv.start <= out[-1].end:
            if iv.end > out[-1].end:
                out[-1] = Interval(out[-1].start, iv.end)
        else:
            out.append(iv)
    return out


def intersect(*members: Sequence[Interval]) -> list[Interval]:
    """When every one of ``members`` is available (each a merged, sorted list)."""
    if not members:
        return []
    common = list(members[0])
    for other in members[1:]:
        out: list[Interval] = []
        i = j = 0
        while i < len(common) and j < len(other):
            a = max(common[i].start, other[j].start)
            b = min(common[i].end, other[j].end)
            if a < b:
                out.append(Interval(a, b))
            if common[i].end < other[j].end:
                i += 1
            else:
                j += 1
        common = out
    return common


def total_minutes(intervals: Iterable[Interval]) -> int:
    return sum(iv.minutes for iv in intervals)


def day_name(day: int) -> str:
    return DAY_NAMES[day]


SLOT_MINUTES = 15


def slot_mask(
    intervals: Iterable[Interval], start: datetime, slot_minutes: int = SLOT_MINUTES
) -> int:
    """A bit per ``slot_minutes`` slot after ``start`` that ``intervals`` cover entirely: shared
    time of many people is then one ``&`` and a bit count."""
    mask = 0
    step = slot_minutes * 60
    base = start.timestamp()
    for iv in intervals:
        first = max(-int(-(iv.start.timestamp() - base) // step), 0)  # ceil, not before start
        last = int((iv.end.timestamp() - base) // step)  # floor
        if last > first:
            mask |= ((1 << (last - first)) - 1) << first
    return mask


def slot_floor(when: datetime, slot_minutes: int = SLOT_MINUTES) -> datetime:
    """``when`` rounded down to the slot grid (whole quarter hours), so masks line up with the
    hours people write."""
    step = slot_minutes * 60
    return datetime.fromtimestamp(int(when.timestamp()) // step * step, UTC)


def mask_intervals(mask: int, start: datetime, slot_minutes: int = SLOT_MINUTES) -> list[Interval]:
    """The intervals a :func:`slot_mask` covers (back to real time)."""
    out: list[Interval] = []
    step = timedelta(minutes=slot_minutes)
    i = 0
    while mask >> i:
        if not (mask >> i) & 1:
            low = ((mask >> i) & -(mask >> i)).bit_length() - 1
            i += low
            continue
        j = i
        while (mask >> j) & 1:
            j += 1
        out.append(Interval(start + i * step, start + j * step))
        i = j
    return out


# -- one moment ------------------------------------------------------------------------------------

NIGHT_START = 22 * 60  # local minutes from midnight: 22:00 …
NIGHT_END = 7 * 60  # … to 07:00 counts as night


def available_at(availability: Availability, instant: datetime) -> bool:
    """Whether ``instant`` (aware) falls inside one of the member's weekly windows."""
    around = week_intervals(availability, instant - timedelta(days=1), days=2)
    return any(iv.start <= instant < iv.end for iv in around)


def is_night(local: datetime) -> bool:
    """Whether a local wall-clock time is at night (22:00–07:00) for whoever lives there."""
    minutes = local.hour * 60 + local.minute
    return minutes >= NIGHT_START or minutes < NIGHT_END
