"""Pod rounds follow local wall time in the server's zone, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import ValidationError
from bot.domain.pod_schedule import (
    first_anchor,
    latest_slot,
    next_slot_after,
    parse_cadence,
    round_times,
)

NY = ZoneInfo("America/New_York")
NINE = time(9, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_cadences_and_bad_ones() -> None:
    assert [parse_cadence(x) for x in ("weekly", "Every 2 weeks", 4, "fortnightly")] == [1, 2, 4, 2]
    with pytest.raises(ValidationError, match="weekly, every 2 weeks or every 4 weeks"):
        parse_cadence("daily")


def test_first_round_is_the_next_local_day_and_time() -> None:
    # Sunday 7 March 2027 12:00 UTC = 07:00 in New York: the next Monday 09:00 is 8 March.
    assert first_anchor(0, NINE, NY, utc(2027, 3, 7, 12)) == date(2027, 3, 8)
    # Monday 8 March 15:00 UTC = 10:00 local: today's 09:00 has passed, so next Monday.
    assert first_anchor(0, NINE, NY, utc(2027, 3, 8, 15)) == date(2027, 3, 15)


def test_slots_keep_the_wall_time_across_dst() -> None:
    anchor = date(2027, 3, 8)
    first = latest_slot(anchor, 1, NINE, NY, utc(2027, 3, 9))
    second = next_slot_after(anchor, 1, NINE, NY, utc(2027, 3, 9))
    assert (first, second) == (utc(2027, 3, 8, 14), utc(2027, 3, 15, 13))  # EST, then EDT
    assert latest_slot(anchor, 1, NINE, NY, utc(2027, 3, 8, 13, 59)) is None


def test_catch_up_runs_the_latest_due_slot_once() -> None:
    anchor = date(2027, 3, 8)
    # Down for three weeks: the latest slot before now is the one to run.
    assert latest_slot(anchor, 1, NINE, NY, utc(2027, 3, 31)) == utc(2027, 3, 29, 13)
    assert latest_slot(anchor, 2, NINE, NY, utc(2027, 3, 31)) == utc(2027, 3, 22, 13)


def test_round_times_nudge_halfway_and_ask_on_the_last_day() -> None:
    anchor = date(2027, 1, 4)
    times = round_times(utc(2027, 1, 4, 14), anchor, 1, NINE, NY)
    assert times.ends_at == utc(2027, 1, 11, 14)
    assert times.nudge_at == utc(2027, 1, 8, 2)
    assert times.ask_at == utc(2027, 1, 10, 14)


def test_an_early_round_runs_until_a_slot_at_least_half_a_cadence_away() -> None:
    anchor = date(2027, 1, 4)
    early = round_times(utc(2027, 1, 9), anchor, 1, NINE, NY)  # Saturday: Monday is too close
    assert early.ends_at == utc(2027, 1, 18, 14)
    late = round_times(utc(2027, 1, 4, 14), anchor, 1, NINE, NY, now=utc(2027, 1, 10, 14))
    assert utc(2027, 1, 10, 14) < late.nudge_at < late.ask_at < late.ends_at
    assert late.ends_at - late.ask_at == timedelta(hours=24) / 7
