"""What the pods service hands to cogs (render has its own small types in bot/render/pods.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum


class Preference(StrEnum):
    KEEP = "keep"
    ROTATE = "rotate"


class Answer(StrEnum):
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class RoundSummary:
    number: int
    starts_at: datetime
    ends_at: datetime
    pods: int
    met: int


@dataclass(frozen=True)
class ConfigView:
    config_id: int
    guild_id: int
    channel_id: int
    cadence_weeks: int
    day: int
    time_of_day: time
    zone: str
    size: int
    keep_default: bool
    private_threads: bool
    enabled: bool
    disabled_reason: str | None
    next_round_at: datetime | None
    members_in: int
    current: RoundSummary | None
    problems: tuple[str, ...] = ()  # recent failures to post in the pods channel
    accountability_per_pod: bool = False  # the weekly cycle runs in each pod's thread


@dataclass(frozen=True)
class PodRef:
    pod_id: int
    number: int
    round_number: int
    thread_id: int | None
    mates: tuple[int, ...]
    met: bool
    ends_at: datetime


@dataclass(frozen=True)
class MemberStatus:
    config_id: int
    channel_id: int
    opted_in: bool
    snooze_rounds: int
    preference: Preference
    preference_is_default: bool
    pause_asked: bool
    pod: PodRef | None
    next_round_at: datetime | None
    availability: str | None  # e.g. "Weekdays 08:00–12:00 (Europe/Berlin)"


@dataclass(frozen=True)
class JoinResult:
    channel_id: int
    next_round_at: datetime | None
    pod: PodRef | None  # placed in a running round's pod right away
    has_availability: bool


@dataclass(frozen=True)
class RoundResult:
    round_number: int
    pods: int
    members: int
    kept: int
    unmatched: tuple[int, ...]
    ends_at: datetime


@dataclass(frozen=True)
class AnswerResult:
    pod_number: int
    answer: Answer
    changed: bool


@dataclass(frozen=True)
class PodMembers:
    """A pod of a channel's latest round and who is still in it (/findtime's ``pod:``)."""

    pod_id: int
    number: int
    round_number: int
    channel_id: int  # the pods channel
    members: tuple[int, ...]
