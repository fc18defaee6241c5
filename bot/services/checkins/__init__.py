"""Break check-ins and stuck huddles (``service.py``); the sprint debrief (``debrief.py``)."""

from __future__ import annotations

from bot.services.checkins.service import CheckInService
from bot.services.checkins.types import CheckInResult, HuddleResult

__all__ = ["CheckInResult", "CheckInService", "HuddleResult"]
