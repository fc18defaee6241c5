"""Finding a time: the overlap search against a brute-force minute-by-minute check, and examples
with members in London, New York, Kolkata and Sydney across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.availability import Availability, Window, normalise
from bot.domain.overlap import Slot, find_slots, grid_start

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = [LONDON, NEW_YORK, KOLKATA, SYDNEY, ZoneInfo("UTC")]
DAY = 24 * 60


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- the brute force -------------------------------------------------------------------------------


def _wall_info(zone: ZoneInfo, start: datetime, minutes: int) -> list[tuple[int, int, int]]:
    """For each minute after ``start``: (local weekday, local minute of day, fold end) where the
    fold end is -1 outside a repeated (fall-back) hour, else the local minute when it ends."""
    out: list[tuple[int, int, int]] = []
    folds: list[int] = []
    for i in range(minutes):
        local = (start + timedelta(minutes=i)).astimezone(zone)
        out.append((local.weekday(), local.hour * 60 + local.minute, -1))
        folds.append(local.fold)
    # The wall clock just after a second pass of a repeated hour, found walking backwards.
    after = -1
    for i in range(minutes - 1, -1, -1):
        if folds[i] == 1:
            if after < 0:  # the run ends past the horizon: find its end the slow way
                j = i
                while (start + timedelta(minutes=j)).astimezone(zone).fold == 1:
                    j += 1
                local = (start + timedelta(minutes=j)).astimezone(zone)
                after = local.hour * 60 + local.minute
            out[i] = (out[i][0], out[i][1], after)
        else:
            after = out[i][1]
    return out


def _free_minutes(av: Availability, info: list[tuple[int, int, int]]) -> list[bool]:
    """Minute by minute: is the member free? A window covers the minutes whose local wall time is
    inside it; in a repeated hour's second pass, a window covers it when it starts before the
    repeat ends and ends at or after that (it runs continuously through both passes)."""
    table = [False] * (7 * DAY)
    for w in av.windows:
        for m in range(w.start, w.end):
            table[w.day * DAY + m] = True
    free: list[bool] = []
    for weekday, minute, fold_end in info:
        if fold_end < 0:
            free.append(table[weekday * DAY + minute])
        else:
            free.append(any(w.day == weekday and w.start < fold_end <= w.end for w in av.windows))
    return free


def brute_force(
    members: dict[int, Availability], start: datetime, days: int, length: int, step: int
) -> dict[datetime, frozenset[int]]:
    """Every grid start in the horizon → who is free for each of its minutes."""
    horizon = days * DAY
    infos = {z.key: _wall_info(z, start, horizon) for z in {av.zone for av in members.values()}}
    prefix: dict[int, list[int]] = {}
    for uid, av in members.items():
        free = _free_minutes(av, infos[av.zone.key])
        sums = [0]
        for f in free:
            sums.append(sums[-1] + f)
        prefix[uid] = sums
    out: dict[datetime, frozenset[int]] = {}
    for o in range(horizon - length + 1):
        at = start + timedelta(minutes=o)
        if int(at.timestamp()) % (step * 60):
            continue
        who = frozenset(u for u, s in prefix.items() if s[o + length] - s[o] == length)
        if who:
            out[at] = who
    return out


# -- properties ------------------------------------------------------------------------------------

windows = st.builds(
    lambda day, a, b: Window(day, min(a, b) * 15, max(a, b) * 15 + 15),
    st.integers(0, 6),
    st.integers(0, 95),
    st.integers(0, 95),
)
availabilities = st.builds(
    lambda zone, ws: Availability(zone, normalise(ws)),
    st.sampled_from(ZONES),
    st.lists(windows, max_size=5),
)
# Starts near every 2027 DST change of the four zones, and anywhere in the year.
DST_CHANGES = [
    utc(2027, 3, 14, 7),  # New York springs forward
    utc(2027, 3, 28, 1),  # London springs forward
    utc(2027, 4, 3, 16),  # Sydney falls back
    utc(2027, 10, 2, 16),  # Sydney springs forward
    utc(2027, 10, 31, 1),  # London falls back
    utc(2027, 11, 7, 6),  # New York falls back
]
starts = st.one_of(
    st.builds(
        lambda base, minutes: base - timedelta(minutes=minutes),
        st.sampled_from(DST_CHANGES),
        st.integers(0, 13 * DAY),
    ),
    st.builds(
        lambda minutes: utc(2027, 1, 1) + timedelta(minutes=minutes), st.integers(0, 365 * DAY)
    ),
)
groups = st.lists(availabilities, min_size=1, max_size=50).map(lambda avs: dict(enumerate(avs)))
lengths = st.sampled_from([15, 30, 45, 60, 90, 120])
steps = st.sampled_from([15, 30, 60])
SEARCH = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SEARCH
@given(members=groups, start=starts, length=lengths, step=steps)
def test_no_slot_is_missed_and_none_is_invented(
    members: dict[int, Availability], start: datetime, length: int, step: int
) -> None:
    found = find_slots(members, start, length_minutes=length, step_minutes=step, horizon_days=14)
    expected = brute_force(members, start, 14, length, step)
    assert {s.start: s.members for s in found} == expected
    assert len(found) == len(expected)
    assert all(s.end - s.start == timedelta(minutes=length) for s in found)
    # Ranked: most members first, then earlier.
    keys = [(-s.count, s.start) for s in found]
    assert keys == sorted(keys)


@SEARCH
@given(
    members=groups,
    start=starts,
    length=lengths,
    limit=st.integers(1, 8),
    minimum=st.integers(1, 4),
)
def test_every_suggested_slot_is_inside_everyones_hours_it_claims(
    members: dict[int, Availability], start: datetime, length: int, limit: int, minimum: int
) -> None:
    found = find_slots(
        members, start, length_minutes=length, minimum=minimum, limit=limit, apart=True
    )
    expected = brute_force(members, start, 14, length, 30)
    assert len(found) <= limit
    for slot in found:
        assert slot.count >= minimum
        assert slot.members <= expected[slot.start]  # free, minute by minute, for the whole slot
        assert slot.members == expected[slot.start]  # and nobody free is left off
    # Apart: no two overlap, and every slot left out overlaps a chosen one at least as good.
    for a in found:
        for b in found:
            assert a is b or a.end <= b.start or b.end <= a.start
    if len(found) < limit:
        for at, who in expected.items():
            if len(who) >= minimum and all(s.start != at for s in found):
                end = at + timedelta(minutes=length)
                assert any(
                    s.start < end
                    and at < s.end
                    and (s.count, -s.start.timestamp()) >= (len(who), -at.timestamp())
                    for s in found
                )


# -- examples across DST changes -------------------------------------------------------------------

WEEKDAYS = tuple(range(5))


def hours(zone: ZoneInfo, days: tuple[int, ...], start: int, end: int) -> Availability:
    return Availability(zone, tuple(Window(d, start * 60, end * 60) for d in days))


def starts_of(slots: list[Slot[str]]) -> list[datetime]:
    return sorted(s.start for s in slots)


def test_london_and_new_york_gain_an_hour_between_the_two_spring_changes() -> None:
    # London 14–16 local, New York 10–12 local, weekdays. Before 14 March: 15–16 UTC together;
    # 15–26 March (New York on summer time, London not yet): 14–16 UTC; from 29 March: 14–15 UTC.
    members = {
        "alice": hours(LONDON, WEEKDAYS, 14, 16),
        "bob": hours(NEW_YORK, WEEKDAYS, 10, 12),
    }
    found = find_slots(members, utc(2027, 3, 8), horizon_days=28, minimum=2)
    by_day: dict[int, list[str]] = {}
    for s in found:
        by_day.setdefault(s.start.day, []).append(f"{s.start:%H:%M}")
    assert by_day[12] == ["15:00"]  # Friday before the US change
    assert sorted(by_day[15]) == ["14:00", "14:30", "15:00"]  # Monday after it
    assert sorted(by_day[29]) == ["14:00"]  # Monday after the UK change
    assert all(s.members == {"alice", "bob"} for s in found)


def test_kolkata_and_sydney_across_sydneys_autumn_change() -> None:
    # Kolkata 09–11 (03:30–05:30 UTC); Sydney 14–16: 03–05 UTC on summer time, 04–06 UTC after
    # Sunday 4 April 2027.
    members = {
        "priya": hours(KOLKATA, tuple(range(7)), 9, 11),
        "sam": hours(SYDNEY, tuple(range(7)), 14, 16),
    }
    found = find_slots(members, utc(2027, 4, 2), horizon_days=4, minimum=2)
    assert starts_of(found) == [
        utc(2027, 4, 2, 3, 30),
        utc(2027, 4, 2, 4),
        utc(2027, 4, 3, 3, 30),
        utc(2027, 4, 3, 4),
        utc(2027, 4, 4, 4),  # Sunday 14:00 in Sydney is now 04:00 UTC
        utc(2027, 4, 4, 4, 30),
        utc(2027, 4, 5, 4),
        utc(2027, 4, 5, 4, 30),
    ]


def test_four_zones_ranked_by_how_many_can_come_then_earliest() -> None:
    # Sunday 31 October 2027: London back on GMT, New York still on summer time (UTC-4).
    members = {
        "london": hours(LONDON, (0,), 13, 15),  # Mon 13–15 UTC
        "new_york": hours(NEW_YORK, (0,), 9, 11),  # Mon 13–15 UTC (EDT)
        "kolkata": hours(KOLKATA, (0,), 18, 21),  # Mon 12:30–15:30 UTC
        "sydney": hours(SYDNEY, (1,), 0, 2),  # Tue 00–02 AEDT = Mon 13–15 UTC
    }
    found = find_slots(members, utc(2027, 10, 31, 12), horizon_days=2, limit=3, apart=True)
    # All four are free 13:00–15:00 UTC: two separate hours; no other hour avoids those.
    assert [(s.start, s.count) for s in found] == [
        (utc(2027, 11, 1, 13), 4),
        (utc(2027, 11, 1, 14), 4),
    ]
    assert found[0].members == set(members)
    everyone = find_slots(members, utc(2027, 10, 31, 12), horizon_days=2)
    assert [(s.start, s.count) for s in everyone[:4]] == [
        (utc(2027, 11, 1, 13), 4),
        (utc(2027, 11, 1, 13, 30), 4),
        (utc(2027, 11, 1, 14), 4),
        (utc(2027, 11, 1, 12, 30), 1),  # Kolkata only, earliest of the rest
    ]
    # A week later New York is on winter time (UTC-5): 9–11 there is 14–16 UTC, London 13–15 UTC.
    later = find_slots(members, utc(2027, 11, 7, 12), horizon_days=2, limit=1)
    assert later[0].start == utc(2027, 11, 8, 14) and later[0].members == set(members)


def test_a_slot_through_the_repeated_hour_counts_real_time() -> None:
    # New York falls back on Sunday 7 November 2027 (02:00 EDT → 01:00 EST): 00:00–03:00 local
    # lasts four real hours, so four one-hour slots fit.
    member = {"n": hours(NEW_YORK, (6,), 0, 3)}
    found = find_slots(member, utc(2027, 11, 7), length_minutes=60, step_minutes=60, horizon_days=1)
    assert starts_of(found) == [utc(2027, 11, 7, h) for h in (4, 5, 6, 7)]


def test_the_horizon_and_the_grid() -> None:
    member = {"u": Availability(ZoneInfo("UTC"), tuple(Window(d, 0, DAY) for d in range(7)))}
    found = find_slots(member, utc(2027, 1, 1, 10, 7), horizon_days=1, step_minutes=30)
    assert found[0].start == utc(2027, 1, 1, 10, 30)
    assert max(s.end for s in found) <= utc(2027, 1, 2, 10, 7)
    assert grid_start(utc(2027, 1, 1, 10, 30), 30) == utc(2027, 1, 1, 10, 30)
    assert find_slots(member, utc(2027, 1, 1), horizon_days=1, length_minutes=25 * 60) == []
    with pytest.raises(ValueError):
        find_slots(member, utc(2027, 1, 1), length_minutes=0)
