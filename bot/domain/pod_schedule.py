"""When pod rounds happen: every 1, 2 or 4 weeks on a local day and time in the server's zone.

Round slots are counted from an anchor date (the local date of the first round): slot ``k`` is
``anchor + k * cadence`` weeks at the local time, converted to UTC per slot so DST never moves
the wall time. A round runs from its start to the next slot; halfway through, pods that have not
met get a nudge, and on the last day of the round (a seventh of it before the end) every pod is
asked "Did you meet?". Pure: the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError
from bot.domain.weeks import DAY_NAMES, format_time, local_to_utc

__all__ = [
    "CADENCES",
    "RoundTimes",
    "cadence_label",
    "first_anchor",
    "latest_slot",
    "next_slot_after",
    "parse_cadence",
    "round_times",
    "schedule_label",
    "slot_at",
]

CADENCES = {1: "weekly", 2: "every 2 weeks", 4: "every 4 weeks"}
_CADENCE_WORDS = {
    "weekly": 1,
    "week": 1,
    "1": 1,
    "every week": 1,
    "every 1 week": 1,
    "biweekly": 2,
    "fortnightly": 2,
    "2": 2,
    "every 2 weeks": 2,
    "every two weeks": 2,
    "monthly": 4,
    "4": 4,
    "every 4 weeks": 4,
    "every four weeks": 4,
}


def parse_cadence(text: str | int) -> int:
    """Weeks between rounds: 1, 2 or 4 (``weekly``, ``every 2 weeks``, ``every 4 weeks``)."""
    key = " ".join(str(text).strip().lower().split())
    if key in _CADENCE_WORDS:
        return _CADENCE_WORDS[key]
    raise ValidationError(
        f"“{str(text).strip()[:40]}” is not a cadence I run. Pick weekly, every 2 weeks or "
        "every 4 weeks."
    )


def cadence_label(weeks: int) -> str:
    return CADENCES.get(weeks, f"every {weeks} weeks")


def schedule_label(weeks: int, day: int, at: time) -> str:
    return f"{cadence_label(weeks).capitalize()} on {DAY_NAMES[day]} at {format_time(at)}"


def slot_at(anchor: date, k: int, cadence_weeks: int, at: time, zone: ZoneInfo) -> datetime:
    return local_to_utc(anchor + timedelta(weeks=k * cadence_weeks), at, zone)


def first_anchor(day: int, at: time, zone: ZoneInfo, now: datetime) -> date:
    """The local date of the first ``day``/``at`` at or after ``now``."""
    local = now.astimezone(zone).date()
    candidate = local + timedelta(days=(day - local.weekday()) % 7)
    if local_to_utc(candidate, at, zone) < now:
        candidate += timedelta(weeks=1)
    return candidate


def latest_slot(
    anchor: date, cadence_weeks: int, at: time, zone: ZoneInfo, now: datetime
) -> datetime | None:
    """The last slot at or before ``now`` (None before the first)."""
    step = 7 * cadence_weeks
    days = (now.astimezone(zone).date() - anchor).days
    if days < 0:
        return None
    k = days // step
    while k >= 0:
        when = slot_at(anchor, k, cadence_weeks, at, zone)
        if when <= now:
            return when
        k -= 1
    return None


def next_slot_after(
    anchor: date, cadence_weeks: int, at: time, zone: ZoneInfo, after: datetime
) -> datetime:
    """The first slot strictly after ``after``."""
    step = 7 * cadence_weeks
    days = (after.astimezone(zone).date() - anchor).days
    k = max(days // step, 0)
    while True:
        when = slot_at(anchor, k, cadence_weeks, at, zone)
        if when > after:
            return when
        k += 1


@dataclass(frozen=True)
class RoundTimes:
    starts_at: datetime
    nudge_at: datetime
    ask_at: datetime
    ends_at: datetime


def round_times(
    starts_at: datetime,
    anchor: date,
    cadence_weeks: int,
    at: time,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
) -> RoundTimes:
    """A round starting at ``starts_at`` (a slot, or now for an early round) ends at the first
    slot at least half a cadence later. Nudge and question are placed in what is left of it
    after ``now`` (a round started late, after downtime, still gets both)."""
    half = timedelta(weeks=cadence_weeks) / 2
    ends_at = next_slot_after(anchor, cadence_weeks, at, zone, starts_at + half)
    begin = max(starts_at, now) if now is not None else starts_at
    length = ends_at - begin
    return RoundTimes(
        starts_at=starts_at,
        nudge_at=begin + length / 2,
        ask_at=ends_at - length / 7,
        ends_at=ends_at,
    )
