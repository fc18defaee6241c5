"""What members type for a standing session: a start time and a repeat rule.

The rules behind these parsers are in :mod:`bot.domain.schedule` (its docstring); this module
holds the parsing so neither grows past the house limit. Import the names from
:mod:`bot.domain.schedule`, which re-exports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError

__all__ = [
    "DAY_CODES",
    "DAY_NAMES",
    "MAX_AHEAD",
    "MAX_OCCURRENCES",
    "MONTHS",
    "Repeat",
    "RepeatFreq",
    "ScheduleError",
    "format_day",
    "parse_repeat",
    "parse_when",
    "repeat_choices",
    "shown",
    "wall_to_utc",
]

MAX_OCCURRENCES = 500
MAX_AHEAD = timedelta(days=366)
MAX_WEEK_INTERVAL = 12
MAX_DAY_INTERVAL = 30

RepeatFreq = Literal["none", "daily", "weekdays", "weekly"]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_MONTH_WORDS = {
    **{name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES.split())},
    **{name: i + 1 for i, name in enumerate(_MONTH_NAMES.split())},
    "sept": 9,
}
_DAY_WORDS = {
    **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
    **{name[:3].lower(): i for i, name in enumerate(DAY_NAMES)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
# "yesterday" reads too, so "yesterday 12:00" is told it has passed rather than unreadable.
_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_WHEN_EXAMPLES = "2026-12-01 09:00, Mon 9:00, tomorrow 14:30 or 9am"


class ScheduleError(ValidationError, ValueError):
    """A start time or repeat rule the bot will not accept; ``str(e)`` is the user's sentence.

    It is a :class:`~bot.domain.errors.UserError` too, so the cogs' error boundary shows it as an
    ephemeral reply with no extra handling.
    """


def shown(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_day(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()][:3]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def _format_moment(local: datetime) -> str:
    return f"{format_day(local.date())} {local.hour:02d}:{local.minute:02d}"


# --- wall clock ---------------------------------------------------------------------------------


def wall_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``naive`` in ``zone``.

    In a spring-forward gap the wall time does not exist: the result is shifted forward by the
    length of the gap (London 01:30 on the change day → 02:30 BST; Lord Howe 02:15 → 02:45, its
    gap being 30 minutes). In a fall-back repeat the wall time happens twice: the result is the
    earlier instant. (This is PEP 495's ``fold=0`` reading.)
    """
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


# --- typed start times ----------------------------------------------------------------------------

_TIME_RE = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{1,2}))?(?:\s*(?P<ampm>[ap])\.?m\.?)?$"
)
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_ISO_DATETIME_RE = re.compile(r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})t(?P<time>\d{1,2}:\d{2})(?::00)?$")
_SLASH_DATE_RE = re.compile(r"^\d{1,4}[/.]\d{1,2}(?:[/.]\d{2,4})?$")
_DAY_NUMBER_RE = re.compile(r"^(?P<day>\d{1,2})(?:st|nd|rd|th)?$")
_YEAR_RE = re.compile(r"^\d{4}$")


def _parse_clock(word: str, original: str, *, dated: bool = False) -> time | None:
    """A time of day from one token, ``None`` if the token is not shaped like a time.

    With ``dated`` (a month name is present) a bare number is a day of the month, not an hour.
    """
    if dated and word.isdigit():
        return None
    if word == "noon":
        return time(12, 0)
    match = _TIME_RE.match(word)
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"]) if match["minute"] is not None else 0
    if match["minute"] is not None and len(match["minute"]) != 2:
        return None
    if match["ampm"] is None:
        if match["minute"] is None:
            raise ScheduleError(
                f"“{shown(original)}” has an hour but no minutes, so 9 could mean 09:00 or 21:00. "
                f"Write the time as 09:00, 21:00, 9am or 9pm."
            )
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ScheduleError(
                f"“{shown(original)}” is not a time of day: hours go from 0 to 23 and minutes "
                "from 00 to 59, e.g. 09:00 or 17:30."
            )
        return time(hour, minute)
    if not 1 <= hour <= 12:
        raise ScheduleError(
            f"“{shown(original)}” is not a time of day: with am or pm the hour goes from 1 to 12 "
            f"(write 13:00 or 1pm, not 13pm)."
        )
    if not 0 <= minute <= 59:
        raise ScheduleError(f"“{shown(original)}” is not a time of day: minutes go from 00 to 59.")
    return time(hour % 12 + (12 if match["ampm"] == "p" else 0), minute)


def _join_ampm(words: list[str]) -> list[str]:
    """``2:30 pm`` → ``2:30pm`` so a time is always one token."""
    out: list[str] = []
    for word in words:
        if word in {"am", "pm", "a.m.", "p.m.", "a.m", "p.m"} and out and out[-1][:1].isdigit():
            out[-1] += word
        else:
            out.append(word)
    return out


@dataclass(frozen=True)
class _Day:
    """The day part of a typed start: a fixed date, a weekday, or a month/day without a year."""

    fixed: date | None = None
    weekday: int | None = None
    month_day: tuple[int, int] | None = None
    relative: int | None = None  # -1 yesterday, 0 today, 1 tomorrow


def _checked_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ScheduleError(
            f"“{shown(original)}” names a day that does not exist "
            f"({day} {MONTHS[month - 1] if 1 <= month <= 12 else month}). "
            "Write the date as year-month-day, e.g. 2026-12-01."
        ) from None


def _known_day_word(word: str) -> bool:
    return (
        word in _RELATIVE_DAYS
        or word in _DAY_WORDS
        or word in _MONTH_WORDS
        or bool(_ISO_DATE_RE.match(word) or _DAY_NUMBER_RE.match(word) or _YEAR_RE.match(word))
    )


def _parse_day(words: list[str], original: str) -> _Day | None:
    """The day part from the non-time words, or ``None`` if there are none."""
    if not words:
        return None
    if len(words) == 1:
        word = words[0]
        if word in _RELATIVE_DAYS:
            return _Day(relative=_RELATIVE_DAYS[word])
        if word in _DAY_WORDS:
            return _Day(weekday=_DAY_WORDS[word])
        if _ISO_DATE_RE.match(word):
            y, m, d = (int(part) for part in word.split("-"))
            return _Day(fixed=_checked_date(y, m, d, original))
        if _SLASH_DATE_RE.match(word):
            raise ScheduleError(
                f"“{shown(original)}” uses a date like {word}, which reads differently in "
                "different countries (12/01 is 12 January in the UK and 1 December in the US). "
                "Write it as 2026-12-01 or 1 Dec."
            )
    # "1 dec", "dec 1", "1 december 2026", "dec 1st 2026"
    year: int | None = None
    rest = list(words)
    if len(rest) == 3 and _YEAR_RE.match(rest[2]):
        year = int(rest.pop())
    if len(rest) == 2:
        first, second = rest
        day_match, month = _DAY_NUMBER_RE.match(first), _MONTH_WORDS.get(second)
        if day_match is None or month is None:
            day_match, month = _DAY_NUMBER_RE.match(second), _MONTH_WORDS.get(first)
        if day_match is not None and month is not None:
            dom = int(day_match["day"])
            if year is not None:
                return _Day(fixed=_checked_date(year, month, dom, original))
            _checked_date(2028, month, dom, original)  # a leap year: 29 Feb is a real day
            return _Day(month_day=(month, dom))
    unknown = next((w for w in words if not _known_day_word(w)), words[0])
    unknown = next((w for w in original.split() if w.lower().strip(",") == unknown), unknown)
    raise ScheduleError(
        f"I can't read “{shown(unknown)}” in “{shown(original)}” as a day or a time. "
        f"Write a start like {_WHEN_EXAMPLES}."
    )


def _resolve_day(day: _Day | None, at: time, zone: ZoneInfo, now: datetime) -> date:
    today = now.astimezone(zone).date()

    def ahead(candidate: date) -> bool:
        return wall_to_utc(datetime.combine(candidate, at), zone) > now

    if day is None:
        return today if ahead(today) else today + timedelta(days=1)
    if day.relative is not None:
        return today + timedelta(days=day.relative)
    if day.weekday is not None:
        candidate = today + timedelta(days=(day.weekday - today.weekday()) % 7)
        return candidate if ahead(candidate) else candidate + timedelta(weeks=1)
    if day.month_day is not None:
        month, dom = day.month_day
        for year in range(today.year, today.year + 9):
            try:
                candidate = date(year, month, dom)
            except ValueError:  # 29 Feb outside a leap year
                continue
            if candidate >= today and ahead(candidate):
                return candidate
    assert day.fixed is not None
    return day.fixed


def parse_when(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The start a member typed, in ``zone``, strictly after ``now``.

    Accepts ``2026-12-01 09:00``, ``2026-12-01T09:00``, ``1 Dec 09:00``, ``Mon 9:00``,
    ``monday at 9am``, ``tomorrow 14:30``, ``today 18:00``, ``9am``, ``2:30 pm``, ``noon``.
    Refuses anything else with a :class:`ScheduleError` saying what is allowed (see the module
    docstring for the rules). The result has the typed wall clock and ``tzinfo=zone``.
    """
    original = text.strip()
    norm = " ".join(original.lower().replace(",", " ").split())
    if not norm:
        raise ScheduleError(f"Give a start time, e.g. {_WHEN_EXAMPLES}.")
    if len(norm) > 60:
        raise ScheduleError(
            f"That start time is too long to be one. Write it like {_WHEN_EXAMPLES}."
        )
    iso = _ISO_DATETIME_RE.match(norm)
    words = [iso["date"], iso["time"]] if iso else _join_ampm(norm.split())
    words = [w for w in words if w != "at"]
    clocks: list[time] = []
    day_words: list[str] = []
    dated = any(w in _MONTH_WORDS for w in words)
    for word in words:
        clock = _parse_clock(word, original, dated=dated)
        if clock is None:
            day_words.append(word)
        else:
            clocks.append(clock)
    if len(clocks) > 1:
        raise ScheduleError(
            f"“{shown(original)}” has more than one time in it. Give one start, "
            f"e.g. {_WHEN_EXAMPLES}."
        )
    day = _parse_day(day_words, original)
    if not clocks:
        raise ScheduleError(
            f"“{shown(original)}” has no time of day. Add one, e.g. “{' '.join(day_words)} 09:00”."
        )
    at = clocks[0]
    local_day = _resolve_day(day, at, zone, now)
    wall = datetime.combine(local_day, at)
    instant = wall_to_utc(wall, zone)
    if instant <= now:
        here = now.astimezone(zone)
        raise ScheduleError(
            f"{_format_moment(wall)} ({zone.key}) has already passed; it is now "
            f"{_format_moment(here.replace(tzinfo=None))} there. Give a start in the future."
        )
    if instant - now > MAX_AHEAD:
        raise ScheduleError(
            f"{_format_moment(wall)} is more than a year away. Schedule sessions up to a year "
            "ahead."
        )
    return wall.replace(tzinfo=zone, fold=0)


# --- repeat rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repeat:
    """How a series repeats. ``weekdays`` (0=Monday) is empty for "weekly on the start's day"."""

    freq: RepeatFreq = "none"
    weekdays: tuple[int, ...] = ()
    interval: int = 1
    until: date | None = None
    count: int | None = None


_NONE_WORDS = frozenset({"none", "no", "once", "never", "one-off", "one off", "does not repeat"})
_DAILY_WORDS = frozenset({"daily", "every day", "each day", "everyday"})
_WEEKDAY_WORDS = frozenset(
    {"weekdays", "every weekday", "each weekday", "mon-fri", "monday to friday", "workdays"}
)
_WEEKLY_WORDS = {
    "weekly": 1,
    "every week": 1,
    "each week": 1,
    "fortnightly": 2,
    "biweekly": 2,
    "every other week": 2,
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "other": 2}
_EVERY_N_RE = re.compile(r"^every (?P<n>\d{1,3}|one|two|three|four|other) (?P<unit>days?|weeks?)\b")
_REPEAT_EXAMPLES = "none, daily, weekdays, weekly, weekly mon,wed, every 2 weeks on tue thu"


def _parse_weekdays(text: str, original: str) -> tuple[int, ...]:
    words = [w for w in re.split(r"[\s,;/&+]+|\band\b", text) if w]
    days: set[int] = set()
    for word in words:
        key = word.rstrip(".")
        if key.endswith("s") and key[:-1] in _DAY_WORDS and len(key) > 4:
            key = key[:-1]  # "mondays"
        if key not in _DAY_WORDS:
            raise ScheduleError(
                f"“{shown(word)}” in “{shown(original)}” is not a weekday. Name days like "
                "mon, tue, wed (e.g. weekly mon,wed)."
            )
        days.add(_DAY_WORDS[key])
    return tuple(sorted(days))


def _interval(n: str, unit: str, original: str) -> int:
    value = _NUMBER_WORDS[n] if n in _NUMBER_WORDS else int(n)
    top = MAX_WEEK_INTERVAL if unit.startswith("week") else MAX_DAY_INTERVAL
    if not 1 <= value <= top:
        raise ScheduleError(
            f"“{shown(original)}”: repeat every 1 to {top} {unit.rstrip('s')}s, not {value}."
        )
    return value


def _parse_until(until: str, original: str) -> date:
    text = until.strip()
    if not _ISO_DATE_RE.match(text):
        raise ScheduleError(
            f"“{shown(text)}” is not an end date. Write it as year-month-day, e.g. 2027-03-01."
        )
    try:
        return date.fromisoformat("-".join(f"{int(p):02d}" for p in text.split("-")))
    except ValueError:
        raise ScheduleError(
            f"“{shown(text)}” is not a day that exists. Write the end date as year-month-day, "
            "e.g. 2027-03-01."
        ) from None


def parse_repeat(text: str, *, until: str | None = None, count: int | None = None) -> Repeat:
    """A repeat rule from ``none``, ``daily``, ``every 2 days``, ``weekdays``, ``weekly``,
    ``weekly mon,wed``, ``every monday``, ``mon wed``, ``every 2 weeks``, ``fortnightly``,
    ``every 2 weeks on tue thu``; ``until`` is an end date (YYYY-MM-DD, inclusive) and ``count``
    the number of sessions (1–500); at most one of them.
    """
    original = text.strip()
    norm = " ".join(original.lower().replace(",", " , ").split()).replace(" ,", ",")
    norm = norm.strip(" ,")
    if len(norm) > 80:
        raise ScheduleError(f"That repeat is too long. Use one of: {_REPEAT_EXAMPLES}.")
    end_date = _parse_until(until, original) if until is not None and until.strip() else None
    if count is not None and isinstance(count, bool):
        raise ScheduleError("The number of sessions must be a whole number from 1 to 500.")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise ScheduleError(
            f"A series can have 1 to {MAX_OCCURRENCES} sessions, not {count}. Leave the count "
            "out for a series with no end."
        )
    if end_date is not None and count is not None:
        raise ScheduleError(
            "Give an end date or a number of sessions, not both (e.g. until 2027-03-01, or 10 "
            "times)."
        )
    freq: RepeatFreq
    weekdays: tuple[int, ...] = ()
    interval = 1
    if not norm or norm in _NONE_WORDS:
        if end_date is not None or count is not None:
            raise ScheduleError(
                "A session that does not repeat has no end date or count. Pick a repeat such as "
                "weekly, or leave the end out."
            )
        return Repeat()
    if norm in _DAILY_WORDS:
        freq = "daily"
    elif norm in _WEEKDAY_WORDS:
        freq, weekdays = "weekdays", (0, 1, 2, 3, 4)
    else:
        rest = norm
        every = _EVERY_N_RE.match(rest)
        if every is not None:
            interval = _interval(every["n"], every["unit"], original)
            freq = "daily" if every["unit"].startswith("day") else "weekly"
            rest = rest[every.end() :]
        else:
            for words, weeks in sorted(_WEEKLY_WORDS.items(), key=lambda kv: -len(kv[0])):
                if rest == words or rest.startswith(words + " "):
                    freq, interval, rest = "weekly", weeks, rest[len(words) :]
                    break
            else:
                freq = "weekly"
                rest = rest.removeprefix("every ").removeprefix("each ")
                if not rest:
                    raise ScheduleError(
                        f"“{shown(original)}” is not a repeat I know. Use one of: "
                        f"{_REPEAT_EXAMPLES}."
                    )
        rest = rest.strip(" ,").removeprefix("on ").strip(" ,")
        if rest:
            if freq == "daily":
                raise ScheduleError(
                    f"“{shown(original)}”: a daily repeat has no weekdays. Use weekly mon,wed "
                    "for chosen days, or weekdays for Monday to Friday."
                )
            try:
                weekdays = _parse_weekdays(rest, original)
            except ScheduleError:
                raise ScheduleError(
                    f"“{shown(original)}” is not a repeat I know. Use one of: {_REPEAT_EXAMPLES}."
                ) from None
    return Repeat(freq=freq, weekdays=weekdays, interval=interval, until=end_date, count=count)


def repeat_choices() -> list[tuple[str, str]]:
    """(label, value) pairs for the repeat option's autocomplete, most common first."""
    return [
        ("Does not repeat", "none"),
        ("Every week (on the start's day)", "weekly"),
        ("Every weekday (Monday to Friday)", "weekdays"),
        ("Every day", "daily"),
        ("Every 2 weeks (on the start's day)", "every 2 weeks"),
        ("Every week on Monday and Wednesday", "weekly mon,wed"),
        ("Every week on Tuesday and Thursday", "weekly tue,thu"),
        ("Every week on Monday, Wednesday and Friday", "weekly mon,wed,fri"),
        ("Every 2 weeks on Tuesday and Thursday", "every 2 weeks on tue,thu"),
    ]
