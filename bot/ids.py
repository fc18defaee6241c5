"""Discord identifiers the bot mints: component custom ids, built and parsed side by side.

A custom id is at most 100 characters and survives restarts, so every id names what it acts on
(a sprint id, an action) and is parsed back here, next to the builder that wrote it. The cogs
register ``discord.ui.DynamicItem`` classes with the ``*_TEMPLATE`` patterns below; render calls
the builders. No discord import: this module is plain strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GOAL_ADD_TEMPLATE",
    "SESSION_ACTIONS",
    "SESSION_BUTTON_TEMPLATE",
    "SPRINT_BUTTON_TEMPLATE",
    "SessionButtonId",
    "SprintAction",
    "SprintButtonId",
    "goal_add_id",
    "parse_goal_add_id",
    "parse_session_button_id",
    "parse_sprint_button_id",
    "session_button_id",
    "sprint_button_id",
]


class SprintAction(StrEnum):
    """What a sprint card button or a /sprint control does."""

    JOIN = "join"
    LEAVE = "leave"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    EXTEND = "extend"
    STOP = "stop"


# The actions a card button can carry (extend and stop are slash commands only).
_CARD_ACTIONS = (
    SprintAction.JOIN,
    SprintAction.LEAVE,
    SprintAction.PAUSE,
    SprintAction.RESUME,
    SprintAction.SKIP,
)

# ``sprint:{id}:{action}`` and, for controls, ``sprint:{id}:{action}:{mark}``: the control mark of
# the state the card showed, so a second, stale click changes nothing.
SPRINT_BUTTON_TEMPLATE = (
    r"sprint:(?P<id>\d+):(?P<action>" + "|".join(_CARD_ACTIONS) + r")(?::(?P<mark>\d+))?"
)
_SPRINT_BUTTON = re.compile(SPRINT_BUTTON_TEMPLATE)


@dataclass(frozen=True)
class SprintButtonId:
    sprint_id: int
    action: SprintAction
    mark: int | None = None  # None: a card posted before buttons carried the state


def sprint_button_id(sprint_id: int, action: SprintAction, mark: int | None = None) -> str:
    base = f"sprint:{int(sprint_id)}:{action.value}"
    return base if mark is None else f"{base}:{int(mark)}"


def parse_sprint_button_id(custom_id: str) -> SprintButtonId | None:
    found = _SPRINT_BUTTON.fullmatch(custom_id)
    if found is None:
        return None
    mark = found["mark"]
    return SprintButtonId(
        int(found["id"]), SprintAction(found["action"]), None if mark is None else int(mark)
    )


# The late joiner's "Add my goal" button (posted by the sprint cog, handled by the goals cog).
GOAL_ADD_TEMPLATE = r"goal:add:(?P<sid>\d+)"
_GOAL_ADD = re.compile(GOAL_ADD_TEMPLATE)


def goal_add_id(sprint_id: int) -> str:
    return f"goal:add:{int(sprint_id)}"


def parse_goal_add_id(custom_id: str) -> int | None:
    found = _GOAL_ADD.fullmatch(custom_id)
    return None if found is None else int(found["sid"])


# A session card's buttons: ``sess:{series}:{occurrence}:{action}`` (the occurrence the card
# showed, so a click on a card that has moved on answers for that occurrence, not the next).
SESSION_ACTIONS = ("going", "maybe", "cant", "skip", "cal", "accept")
SESSION_BUTTON_TEMPLATE = (
    r"sess:(?P<series>\d+):(?P<occ>\d+):(?P<action>" + "|".join(SESSION_ACTIONS) + r")"
)
_SESSION_BUTTON = re.compile(SESSION_BUTTON_TEMPLATE)


@dataclass(frozen=True)
class SessionButtonId:
    series_id: int
    occurrence_id: int
    action: str


def session_button_id(series_id: int, occurrence_id: int, action: str) -> str:
    if action not in SESSION_ACTIONS:
        raise ValueError(f"unknown session action {action!r}")
    return f"sess:{int(series_id)}:{int(occurrence_id)}:{action}"


def parse_session_button_id(custom_id: str) -> SessionButtonId | None:
    found = _SESSION_BUTTON.fullmatch(custom_id)
    if found is None:
        return None
    return SessionButtonId(int(found["series"]), int(found["occ"]), found["action"])
