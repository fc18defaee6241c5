"""Pairs and pods: opt-in matching into small standing groups that meet (issue #15)."""

from bot.services.pods.service import MAX_SNOOZE, THREAD_PERMISSIONS, PodService, timer_key
from bot.services.pods.types import (
    Answer,
    AnswerResult,
    ConfigView,
    JoinResult,
    MemberStatus,
    PodMembers,
    PodRef,
    Preference,
    RoundResult,
    RoundSummary,
)

__all__ = [
    "MAX_SNOOZE",
    "THREAD_PERMISSIONS",
    "Answer",
    "AnswerResult",
    "ConfigView",
    "JoinResult",
    "MemberStatus",
    "PodMembers",
    "PodRef",
    "PodService",
    "Preference",
    "RoundResult",
    "RoundSummary",
    "timer_key",
]
