"""The sprint area: start, join/leave, host controls, the phase timer, settings and history.

``service.py`` holds the use cases, ``phases.py`` the phase machine they share (catch-up,
phase changes, endings, the timer), ``queries.py`` the SQL, ``messages.py`` what a change posts,
``settings.py`` a server's /sprint settings, and ``types.py`` the types handed to cogs and render
(the view snapshots themselves live in :mod:`bot.views.sprint`).
"""

from __future__ import annotations

from bot.services.actor import Actor
from bot.services.sprints.messages import card_ref
from bot.services.sprints.phases import timer_key
from bot.services.sprints.service import ENDED_MESSAGE, EXTEND_MAX_MINUTES, SprintService
from bot.services.sprints.types import (
    ControlResult,
    HistoryEntry,
    JoinResult,
    LeaveResult,
    ParticipantView,
    PhaseListener,
    PhaseNotice,
    SprintDefaults,
    SprintView,
    StartRequest,
)

__all__ = [
    "ENDED_MESSAGE",
    "EXTEND_MAX_MINUTES",
    "Actor",
    "ControlResult",
    "HistoryEntry",
    "JoinResult",
    "LeaveResult",
    "ParticipantView",
    "PhaseListener",
    "PhaseNotice",
    "SprintDefaults",
    "SprintService",
    "SprintView",
    "StartRequest",
    "card_ref",
    "timer_key",
]
