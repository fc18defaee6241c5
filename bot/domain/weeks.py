"""The weekly accountability schedule: kickoff, check-ins and review, in the guild's time zone.

Wall-clock times are converted to UTC per week, so a 09:00 kickoff stays at 09:00 local across
DST changes. A local time inside a spring-forward gap moves forward to the first instant that
exists (the transition itself); an ambiguous fall-back time takes its first occurrence (fold=0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.sprint import require_aware

__all__ = [
    "DAY_NAMES",
    "PostKind",
    "ScheduledPost",
    "WeekSchedule",
    "due_posts",
    "format_time",
    "local_to_utc",
    "next_post",
    "parse_day",
    "parse_days",
    "parse_time",
    "posts_for_week",
    "week_end",
    "week_label",
    "week_start",
]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EXTRA_ABBREVIATIONS = {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}


class PostKind(StrEnum):
    KICKOFF = "kickoff"
    CHECKIN = "checkin"
    REVIEW = "review"


_KIND_ORDER = {PostKind.KICKOFF: 0, PostKind.CHECKIN: 1, PostKind.REVIEW: 2}


def format_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _moment(day: int, at: time) -> str:
    return f"{DAY_NAMES[day]} {format_time(at)}"


def _wall(value: time) -> time:
    return value.replace(tzinfo=None, fold=0)


@dataclass(frozen=True)
class WeekSchedule:
    """When the weekly posts go out, as local wall times. Days: 0=Monday … 6=Sunday."""

    kickoff_day: int = 0
    kickoff_time: time = field(default_factory=lambda: time(9, 0))
    checkin_days: tuple[int, ...] = (2,)
    checkin_time: time = field(default_factory=lambda: time(12, 0))
    review_day: int = 4
    review_time: time = field(default_factory=lambda: time(17, 0))

    def __post_init__(self) -> None:
        for label, day in (("kickoff", self.kickoff_day), ("review", self.review_day)):
            _check_day(day, label)
        days = tuple(sorted(set(self.checkin_days)))
        for day in days:
            _check_day(day, "check-in")
        object.__setattr__(self, "checkin_days", days)
        for name in ("kickoff_time", "checkin_time", "review_time"):
            object.__setattr__(self, name, _wall(getattr(self, name)))

        kickoff = (self.kickoff_day, self.kickoff_time)
        review = (self.review_day, self.review_time)
        if review < kickoff:
            raise ValidationError(
                f"The review ({_moment(*review)}) can't come before the kickoff "
                f"({_moment(*kickoff)}) in the week."
            )
        for day in days:
            checkin = (day, self.checkin_time)
            if not kickoff <= checkin <= review:
                raise ValidationError(
                    f"Check-ins must fall between the kickoff ({_moment(*kickoff)}) and the "
                    f"review ({_moment(*review)}); {_moment(*checkin)} doesn't."
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kickoff_day": self.kickoff_day,
            "kickoff_time": format_time(self.kickoff_time),
            "checkin_days": list(self.checkin_days),
            "checkin_time": format_time(self.checkin_time),
            "review_day": self.review_day,
            "review_time": format_time(self.review_time),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WeekSchedule:
        return cls(
            kickoff_day=int(data["kickoff_day"]),
            kickoff_time=time.fromisoformat(str(data["kickoff_time"])),
            checkin_days=tuple(int(d) for d in data["checkin_days"]),
            checkin_time=time.fromisoformat(str(data["checkin_time"])),
            review_day=int(data["review_day"]),
            review_time=time.fromisoformat(str(data["review_time"])),
        )


def _check_day(day: int, label: str) -> None:
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
        raise ValidationError(f"The {label} day must be a weekday from Monday to Sunday.")


# --- parsing user input -------------------------------------------------------------------------


def parse_day(text: str) -> int:
    """A weekday (0=Monday) from an English name or abbreviation, or ISO number 1-7 (1=Monday)."""
    word = text.strip().lower().rstrip(".")
    if word.isdigit() and len(word) == 1 and 1 <= int(word) <= 7:
        return int(word) - 1
    if word in _EXTRA_ABBREVIATIONS:
        return _EXTRA_ABBREVIATIONS[word]
    if len(word) >= 2:
        matches = [i for i, name in enumerate(DAY_NAMES) if name.lower().startswith(word)]
        if len(matches) == 1:
            return matches[0]
    raise ValidationError(f"Unknown day '{text.strip()}'. Use a weekday name like Monday or Mon.")


_DAY_SEPARATORS = re.compile(r"[\s,;/&+]+|\band\b", re.IGNORECASE)
_NO_DAYS = frozenset({"none", "no", "-", "never", "off"})


def parse_days(text: str) -> tuple[int, ...]:
    """Weekdays from text like ``wed``, ``tue,thu`` or ``Tue Thu``; ``none`` gives ``()``."""
    if text.strip().lower() in _NO_DAYS:
        return ()
    parts = [part for part in _DAY_SEPARATORS.split(text) if part and part.strip()]
    if not parts:
        raise ValidationError("Give at least one weekday, e.g. Wed or Tue, Thu.")
    return tuple(sorted({parse_day(part) for part in parts}))


_TIME_RE = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?:(?P<ampm>[ap])\.?\s*m\.?)?$"
)


def parse_time(text: str) -> time:
    """A wall time from ``09:00``, ``9:00``, ``17:30``, ``5pm`` or ``5:30 pm``."""
    error = ValidationError(
        f"'{text.strip()}' is not a time of day. Use HH:MM, 24-hour, e.g. 09:00 or 17:30."
    )
    match = _TIME_RE.match(text.strip().lower())
    if match is None:
        raise error
    hour = int(match["hour"])
    minute = int(match["minute"]) if match["minute"] is not None else 0
    if match["ampm"] is None:
        if match["minute"] is None:  # a bare "9" is ambiguous
            raise error
    elif 1 <= hour <= 12:
        hour = hour % 12 + (12 if match["ampm"] == "p" else 0)
    else:
        raise error
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise error
    return time(hour, minute)


# --- weeks ---------------------------------------------------------------------------------------


def week_start(local_date: date) -> date:
    """The Monday of ``local_date``'s ISO week."""
    return local_date - timedelta(days=local_date.weekday())


def week_end(week: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local week starting on Monday ``week`` ends (next Monday 00:00)."""
    return local_to_utc(week + timedelta(days=7), time(0, 0), zone)


def week_label(week: date) -> str:
    """``Week of 23 Nov`` (English, no leading zero)."""
    return f"Week of {week.day} {_MONTHS[week.month - 1]}"


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``zone``, DST-correct.

    Nonexistent (spring-forward gap) → the first valid instant after the gap, i.e. the
    transition; ambiguous (fall-back) → the first occurrence.
    """
    naive = datetime.combine(day, _wall(at))
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = int(min(first, other).timestamp()), int(max(first, other).timestamp())
    # Smallest instant whose local wall time is at or after the requested one.
    while lo < hi:
        mid = (lo + hi) // 2
        local = datetime.fromtimestamp(mid, UTC).astimezone(zone).replace(tzinfo=None)
        if local >= naive:
            hi = mid
        else:
            lo = mid + 1
    return datetime.fromtimestamp(lo, UTC)


@dataclass(frozen=True)
class ScheduledPost:
    kind: PostKind
    week_start: date
    key: str  # unique within the week: "kickoff", "checkin:<weekday>", "review"
    at: datetime  # aware UTC

    @property
    def done_key(self) -> tuple[date, str]:
        return (self.week_start, self.key)


def posts_for_week(schedule: WeekSchedule, week_start: date, zone: ZoneInfo) -> list[ScheduledPost]:
    """The week's posts (``week_start`` must be a Monday), ordered by time."""
    if week_start.weekday() != 0:
        raise ValueError(f"week_start must be a Monday, got {week_start} ({week_start:%A})")

    def post(kind: PostKind, key: str, day: int, at: time) -> ScheduledPost:
        when = local_to_utc(week_start + timedelta(days=day), at, zone)
        return ScheduledPost(kind=kind, week_start=week_start, key=key, at=when)

    posts = [post(PostKind.KICKOFF, "kickoff", schedule.kickoff_day, schedule.kickoff_time)]
    posts += [
        post(PostKind.CHECKIN, f"checkin:{day}", day, schedule.checkin_time)
        for day in schedule.checkin_days
    ]
    posts.append(post(PostKind.REVIEW, "review", schedule.review_day, schedule.review_time))
    posts.sort(key=lambda p: (p.at, _KIND_ORDER[p.kind], p.key))
    return posts


def due_posts(
    schedule: WeekSchedule,
    zone: ZoneInfo,
    now: datetime,
    done_keys: set[tuple[date, str]] | frozenset[tuple[date, str]],
    *,
    week: date | None = None,
) -> list[ScheduledPost]:
    """Posts of the current week that are due and not done, in order: the local week containing
    ``now``, or ``week`` when the caller decided it (it never goes back to a week that is over).

    After downtime this catches up the current week only; posts of a week that is over are
    never sent late.
    """
    require_aware(now)
    if week is None:
        week = week_start(now.astimezone(zone).date())
    return [
        p
        for p in posts_for_week(schedule, week, zone)
        if p.at <= now and p.done_key not in done_keys
    ]


def next_post(
    schedule: WeekSchedule,
    zone: ZoneInfo,
    now: datetime,
    done_keys: set[tuple[date, str]] | frozenset[tuple[date, str]],
    *,
    week: date | None = None,
) -> ScheduledPost | None:
    """What to arm a timer for: the first due-and-not-done post, else the next one after ``now``
    (from the current week on: the local week of ``now``, or ``week`` when given)."""
    due = due_posts(schedule, zone, now, done_keys, week=week)
    if due:
        return due[0]
    if week is None:
        week = week_start(now.astimezone(zone).date())
    for offset in range(0, 5):
        for p in posts_for_week(schedule, week + timedelta(weeks=offset), zone):
            if p.at > now and p.done_key not in done_keys:
                return p
    return None
