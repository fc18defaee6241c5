"""[sprint], [timing] and [delivery]: sprint defaults and bounds, time speed, the send budget."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings.checks import Rule, float_range, int_range

__all__ = [
    "DELIVERY_RULES",
    "SPRINT_RULES",
    "TIMING_ENV",
    "TIMING_RULES",
    "DeliverySettings",
    "SprintSettings",
    "TimingSettings",
    "sprint_problems",
]


@dataclass(frozen=True)
class SprintSettings:
    """Server defaults for /sprint start, and the bounds every value is checked against."""

    work: int = 25
    short_break: int = 5
    rounds: int = 4
    long_break: int = 15
    long_break_every: int = 4
    intro: int = 2
    max_work: int = 180
    max_break: int = 60
    max_rounds: int = 12
    max_intro: int = 15


@dataclass(frozen=True)
class TimingSettings:
    speed: float = 1.0
    # Phase changes are written this long before they are due and their messages held until the
    # due moment, so the database's time does not make announcements late (see SprintService).
    prepare_ahead_ms: int = 250


@dataclass(frozen=True)
class DeliverySettings:
    global_per_second: float = 46.0
    channel_burst: int = 5
    channel_per_seconds: float = 5.0
    card_refresh_seconds: int = 600


SPRINT_RULES: dict[str, Rule] = {
    "work": int_range(1, 180),
    "short_break": int_range(1, 60),
    "rounds": int_range(1, 12),
    "long_break": int_range(1, 60),
    "long_break_every": int_range(1, 12),
    "intro": int_range(0, 15),
    "max_work": int_range(1, 180),
    "max_break": int_range(1, 60),
    "max_rounds": int_range(1, 12),
    "max_intro": int_range(0, 15),
}

TIMING_RULES: dict[str, Rule] = {
    "speed": float_range(0.01, 3600),
    "prepare_ahead_ms": int_range(0, 1000),
}

DELIVERY_RULES: dict[str, Rule] = {
    "global_per_second": float_range(1, 49),
    "channel_burst": int_range(1, 5),
    "channel_per_seconds": float_range(1, 60),
    "card_refresh_seconds": int_range(60, 86400),
}

TIMING_ENV: dict[str, str] = {"SPRINTBOT_SPEED": "speed"}


def sprint_problems(source: str, sp: SprintSettings) -> list[str]:
    """Defaults above the bounds configured next to them."""
    problems: list[str] = []
    for key, limit in (
        ("work", sp.max_work),
        ("short_break", sp.max_break),
        ("long_break", sp.max_break),
        ("rounds", sp.max_rounds),
        ("intro", sp.max_intro),
    ):
        if getattr(sp, key) > limit:
            problems.append(
                f"{source}: sprint.{key} = {getattr(sp, key)} is above its bound "
                f"(at most {limit} as configured); lower it or raise the bound."
            )
    return problems
