"""Standing sessions: scheduled and recurring coworking with RSVPs, reminders and attendance."""

from bot.services.sessions.messages import card_ref
from bot.services.sessions.runner import instant_key
from bot.services.sessions.service import SessionService
from bot.services.sessions.types import (
    AttendanceLine,
    Attendee,
    Calendar,
    EditRequest,
    OccurrenceView,
    Rsvp,
    RsvpResult,
    Scheduled,
    ScheduleRequest,
    SeriesView,
)

__all__ = [
    "AttendanceLine",
    "Attendee",
    "Calendar",
    "EditRequest",
    "OccurrenceView",
    "Rsvp",
    "RsvpResult",
    "ScheduleRequest",
    "Scheduled",
    "SeriesView",
    "SessionService",
    "card_ref",
    "instant_key",
]
