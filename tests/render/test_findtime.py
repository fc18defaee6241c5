"""The /findtime reply: timestamps, who comes, who is left out, and Discord's length limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.overlap import Slot
from bot.render.findtime import findtime_text
from bot.render.limits import CONTENT
from bot.views.findtime import FindTimeView

START = datetime(2027, 11, 1, 13, tzinfo=UTC)


def view(asked: list[int], slots: list[Slot[int]], missing: tuple[int, ...] = ()) -> FindTimeView:
    return FindTimeView(
        asked=tuple(asked),
        zones={uid: "Europe/London" for uid in asked if uid not in missing},
        missing=missing,
        slots=tuple(slots),
        length_minutes=90,
        days=7,
    )


def test_slots_as_timestamps_with_who_comes_and_who_has_no_hours() -> None:
    slot = Slot(START, START + timedelta(minutes=90), frozenset({1, 2}))
    text = findtime_text(view([1, 2, 3, 4], [slot], missing=(4,)))
    lines = text.splitlines()
    assert "Finding 1 h 30 min in the next 7 days" in lines[0]
    stamp = int(START.timestamp())
    assert lines[1] == (
        f"**1.** <t:{stamp}:F> – <t:{stamp + 5400}:t> (<t:{stamp}:R>) · 2 of 3, all but <@3>"
    )
    assert "<@4>" in lines[2] and "`/availability set`" in lines[2]


def test_no_slot_says_what_to_try() -> None:
    assert "Try a shorter length or more days" in findtime_text(view([1, 2], []))


def test_a_hundred_members_stay_within_one_message() -> None:
    asked = list(range(10**17, 10**17 + 100))
    slots = [
        Slot(START + timedelta(hours=h), START + timedelta(hours=h + 1), frozenset(asked[h:]))
        for h in range(5)
    ]
    text = findtime_text(view(asked, slots))
    assert len(text) <= CONTENT
    assert "and 92 more" in text.splitlines()[0]
    assert text.splitlines()[1].endswith("everyone (100)")
    assert "96 of 100, all but" in text.splitlines()[-1]
