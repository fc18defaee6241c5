"""Slot offers (issue #14): the rules, with no I/O and the clock passed in.

Decisions, so nobody has to guess:

- **Who counts.** ``min_people`` and ``max_people`` count the offerer: "max 2" is a pair (the
  offerer and one taker). The offerer never takes their own offer; they are always in.
- **The mode** follows from them: with ``max == 2``, or neither given (then ``max = 2``), the
  first member to take a slot confirms it (:attr:`OfferMode.FIRST`). Otherwise members tick
  every slot they can make (:attr:`OfferMode.ENOUGH`): a slot reaching ``min`` is confirmed at
  once; with no ``min`` nothing confirms early, and at the expiry the slot with the most people
  wins (a tie goes to the earlier slot). With a ``min`` that no slot reached, the offer expires:
  a minimum is a minimum. A slot nobody ticked never wins.
- **A full slot** has ``max`` people (offerer included): ticking it is refused.
- **Slots** are 1 to 5 distinct instants, none started, numbered in time order (slot 1 is the
  earliest), so "ties go to the earlier slot" and the card read the same way.
- **The expiry** defaults to the first slot's start; it may not be past or after the last slot.
- **A started slot** can't be taken and can't win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.errors import ValidationError

__all__ = [
    "MAX_PEOPLE",
    "MAX_SLOTS",
    "MAX_TARGETS",
    "MIN_PEOPLE",
    "OfferMode",
    "OfferStatus",
    "PeopleRule",
    "SlotCount",
    "check_expiry",
    "check_slot_count",
    "check_slots",
    "check_targets",
    "confirms",
    "is_full",
    "people_rule",
    "winner_at_expiry",
]

MAX_SLOTS = 5
MAX_TARGETS = 5
MIN_PEOPLE = 2
MAX_PEOPLE = 99


class OfferMode(StrEnum):
    FIRST = "first"  # the first member to take a slot confirms it (pairs)
    ENOUGH = "enough"  # members tick slots; enough people (or the most, at expiry) confirm one


class OfferStatus(StrEnum):
    DRAFT = "draft"  # made from /findtime, not posted until its runner presses "Offer these"
    OPEN = "open"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class PeopleRule:
    mode: OfferMode
    min_people: int | None  # counting the offerer
    max_people: int | None  # counting the offerer


def _bound(value: int | None, what: str) -> None:
    if value is not None and not MIN_PEOPLE <= value <= MAX_PEOPLE:
        raise ValidationError(
            f"A {what} of {value} people won't work: give {MIN_PEOPLE} to {MAX_PEOPLE} "
            "(counting you), or leave it out."
        )


def people_rule(min_people: int | None, max_people: int | None) -> PeopleRule:
    """The offer's mode from its minimum and maximum (both count the offerer)."""
    _bound(min_people, "minimum")
    _bound(max_people, "maximum")
    if min_people is not None and max_people is not None and min_people > max_people:
        raise ValidationError(
            f"The minimum ({min_people}) is more than the maximum ({max_people}): a slot could "
            "never be confirmed. Give a minimum at most the maximum."
        )
    if min_people is None and max_people is None:
        return PeopleRule(OfferMode.FIRST, None, 2)
    if max_people == 2:
        return PeopleRule(OfferMode.FIRST, min_people, 2)
    return PeopleRule(OfferMode.ENOUGH, min_people, max_people)


def check_slot_count(count: int) -> None:
    """1 to 5 slots (checked before any is parsed)."""
    if count < 1:
        raise ValidationError("Give at least one slot: a time like `tomorrow 9am`.")
    if count > MAX_SLOTS:
        raise ValidationError(
            f"An offer holds up to {MAX_SLOTS} slots (you gave {count}): keep the best {MAX_SLOTS}."
        )


def check_slots(starts: Sequence[datetime], now: datetime) -> tuple[datetime, ...]:
    """1 to 5 distinct future instants (in the order typed), returned in time order."""
    check_slot_count(len(starts))
    seen: dict[datetime, int] = {}
    for number, start in enumerate(starts, 1):
        if start.tzinfo is None:
            raise ValueError("slots are aware instants")
        if start <= now:
            raise ValidationError(
                f"Slot {number} is in the past: offer times that are still ahead."
            )
        if start in seen:
            raise ValidationError(
                f"Slots {seen[start]} and {number} are the same time: give each slot a "
                "different time."
            )
        seen[start] = number
    return tuple(sorted(starts))


def check_expiry(expires: datetime | None, slots: Sequence[datetime], now: datetime) -> datetime:
    """When the offer closes: ``expires``, else the first slot's start (``slots`` in order)."""
    if expires is None:
        return slots[0]
    if expires <= now:
        raise ValidationError(
            "The expiry is in the past: give a time ahead, before the last slot, or leave it "
            "out to close the offer when the first slot starts."
        )
    if expires > slots[-1]:
        raise ValidationError(
            "The expiry is after the last slot starts: nobody could take a slot by then. Give a "
            "time no later than the last slot, or leave it out (the first slot's start)."
        )
    return expires


def check_targets(
    offerer_id: int, targets: Sequence[int], bots: Sequence[int], strangers: Sequence[int]
) -> tuple[int, ...]:
    """A direct offer's members: up to 5 people of the server, not bots, not the offerer."""
    unique = tuple(dict.fromkeys(targets))
    if len(unique) > MAX_TARGETS:
        raise ValidationError(
            f"A direct offer goes to up to {MAX_TARGETS} members (you named {len(unique)}); "
            "for more, offer it to the channel."
        )
    for uid in unique:
        if uid == offerer_id:
            raise ValidationError(
                "You can't offer a slot to yourself: you're counted in already. Name the "
                "members you want to meet."
            )
        if uid in bots:
            raise ValidationError(f"<@{uid}> is a bot and can't take a slot: name people.")
        if uid in strangers:
            raise ValidationError(
                f"<@{uid}> isn't in this server, so they couldn't take a slot: name members "
                "of this server."
            )
    return unique


@dataclass(frozen=True)
class SlotCount:
    position: int
    starts_at: datetime
    takers: int  # not counting the offerer


def is_full(rule: PeopleRule, takers: int) -> bool:
    """A slot with ``takers`` (plus the offerer) has no place left."""
    return rule.max_people is not None and 1 + takers >= rule.max_people


def confirms(rule: PeopleRule, takers: int) -> bool:
    """Whether a slot with ``takers`` (plus the offerer) is confirmed at once."""
    if rule.mode is OfferMode.FIRST:
        return takers >= 1
    return rule.min_people is not None and 1 + takers >= rule.min_people


def winner_at_expiry(rule: PeopleRule, slots: Sequence[SlotCount], now: datetime) -> int | None:
    """The slot that wins when the offer closes (its position), or None: it just expires.

    Only "enough people" offers with no minimum pick a winner then: the slot not yet started
    with the most people, the earlier on a tie; a slot nobody ticked never wins."""
    if rule.mode is not OfferMode.ENOUGH or rule.min_people is not None:
        return None
    live = [s for s in slots if s.starts_at > now and s.takers > 0]
    if not live:
        return None
    best = max(live, key=lambda s: (s.takers, -s.starts_at.timestamp(), -s.position))
    return best.position
