"""The rules of slot offers: the mode from min and max, slots, expiry, targets, who wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import ValidationError
from bot.domain.offers import (
    OfferMode,
    PeopleRule,
    SlotCount,
    check_expiry,
    check_slot_count,
    check_slots,
    check_targets,
    confirms,
    is_full,
    people_rule,
    winner_at_expiry,
)

NOW = datetime(2031, 3, 23, 12, tzinfo=UTC)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("low", "high", "rule"),
    [
        (None, None, PeopleRule(OfferMode.FIRST, None, 2)),
        (None, 2, PeopleRule(OfferMode.FIRST, None, 2)),
        (2, 2, PeopleRule(OfferMode.FIRST, 2, 2)),
        (3, None, PeopleRule(OfferMode.ENOUGH, 3, None)),
        (None, 6, PeopleRule(OfferMode.ENOUGH, None, 6)),
        (2, 5, PeopleRule(OfferMode.ENOUGH, 2, 5)),
    ],
)
def test_the_mode_follows_from_min_and_max(
    low: int | None, high: int | None, rule: PeopleRule
) -> None:
    assert people_rule(low, high) == rule


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [
        (1, None, "minimum of 1"),
        (100, None, "minimum of 100"),
        (None, 1, "maximum of 1"),
        (None, 100, "maximum of 100"),
        (4, 3, "more than the maximum"),
    ],
)
def test_bad_min_and_max_say_what_is_allowed(low: int | None, high: int | None, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        people_rule(low, high)


def test_slots_come_back_in_time_order_and_bad_ones_are_named() -> None:
    assert check_slots([at(5), at(1), at(3)], NOW) == (at(1), at(3), at(5))
    with pytest.raises(ValidationError, match="at least one"):
        check_slot_count(0)
    with pytest.raises(ValidationError, match="up to 5 slots"):
        check_slots([at(i + 1) for i in range(6)], NOW)
    with pytest.raises(ValidationError, match="Slot 2 is in the past"):
        check_slots([at(1), at(-1)], NOW)
    with pytest.raises(ValidationError, match="Slot 2 is in the past"):
        check_slots([at(1), NOW], NOW)  # starting now counts as started
    with pytest.raises(ValidationError, match="Slots 1 and 3 are the same time"):
        check_slots([at(1), at(2), at(1)], NOW)


def test_the_expiry_defaults_to_the_first_slot_and_must_fall_before_the_last() -> None:
    slots = (at(2), at(5))
    assert check_expiry(None, slots, NOW) == at(2)
    assert check_expiry(at(5), slots, NOW) == at(5)
    with pytest.raises(ValidationError, match="in the past"):
        check_expiry(at(-1), slots, NOW)
    with pytest.raises(ValidationError, match="after the last slot"):
        check_expiry(at(6), slots, NOW)


def test_targets_are_people_of_the_server_other_than_the_offerer() -> None:
    assert check_targets(1, [2, 3, 2], [], []) == (2, 3)
    with pytest.raises(ValidationError, match="yourself"):
        check_targets(1, [1], [], [])
    with pytest.raises(ValidationError, match="<@9> is a bot"):
        check_targets(1, [2, 9], [9], [])
    with pytest.raises(ValidationError, match="<@8> isn't in this server"):
        check_targets(1, [8], [], [8])
    with pytest.raises(ValidationError, match="up to 5 members"):
        check_targets(1, [2, 3, 4, 5, 6, 7], [], [])


def test_full_and_confirming_count_the_offerer() -> None:
    pair = people_rule(None, None)
    assert confirms(pair, 1) and is_full(pair, 1) and not is_full(pair, 0)
    group = people_rule(3, 4)
    assert not confirms(group, 1) and confirms(group, 2)
    assert not is_full(group, 2) and is_full(group, 3)
    open_ended = people_rule(None, 6)
    assert not confirms(open_ended, 5)  # no minimum: nothing confirms early


def test_at_the_expiry_most_people_win_ties_go_earlier_and_started_or_empty_slots_never() -> None:
    most = people_rule(None, 6)
    slots = [SlotCount(1, at(1), 3), SlotCount(2, at(2), 2), SlotCount(3, at(3), 2)]
    assert winner_at_expiry(most, slots, NOW) == 1
    assert winner_at_expiry(most, slots, at(1)) == 2  # slot 1 started: 2 and 3 tie, 2 is earlier
    assert winner_at_expiry(most, [SlotCount(1, at(1), 0)], NOW) is None
    assert winner_at_expiry(people_rule(3, 6), slots, NOW) is None  # a minimum nobody reached
    assert winner_at_expiry(people_rule(None, None), slots, NOW) is None  # first taker mode
