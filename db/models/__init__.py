"""SQLAlchemy models: the stored truth of Sprintbot, one module per area.

All datetimes are aware and stored as UTC (``UTCDateTime`` normalises on the way in and out, also on
SQLite which keeps no offset). Discord IDs are 64-bit integers. Importing this package registers
every table on ``Base.metadata``; a new area adds its module here.
"""

from __future__ import annotations

from db.models.accountability import (
    AccountabilityConfig,
    AccountabilityMember,
    AccountabilityNote,
    AccountabilityPodWeek,
    AccountabilityPost,
    AccountabilityWeek,
)
from db.models.base import NAMING_CONVENTION, Base, Snowflake, UTCDateTime, utcnow
from db.models.delivery import ClosedTopic, DeliveryFailure, OutboxMessage
from db.models.goals import Goal
from db.models.offers import SlotOffer, SlotOfferSlot, SlotOfferTaker
from db.models.pods import (
    MemberAvailability,
    PodBlock,
    PodConfig,
    PodGroup,
    PodMember,
    PodRound,
    PodSeat,
)
from db.models.privacy import GuildRemoval, LeaderboardMember, PrivacyMark
from db.models.sessions import (
    SessionAttendance,
    SessionOccurrence,
    SessionReminderOptOut,
    SessionRsvp,
    SessionSeries,
)
from db.models.settings import GuildSettings, UserSettings
from db.models.sprints import CheckIn, DebriefNote, Participant, PresenceSpan, Sprint, WorkSpan
from db.models.web import WebShare

__all__ = [
    "NAMING_CONVENTION",
    "AccountabilityConfig",
    "AccountabilityMember",
    "AccountabilityNote",
    "AccountabilityPodWeek",
    "AccountabilityPost",
    "AccountabilityWeek",
    "Base",
    "CheckIn",
    "ClosedTopic",
    "DebriefNote",
    "DeliveryFailure",
    "Goal",
    "GuildRemoval",
    "GuildSettings",
    "LeaderboardMember",
    "MemberAvailability",
    "OutboxMessage",
    "Participant",
    "PodBlock",
    "PodConfig",
    "PodGroup",
    "PodMember",
    "PodRound",
    "PodSeat",
    "PresenceSpan",
    "PrivacyMark",
    "SessionAttendance",
    "SessionOccurrence",
    "SessionReminderOptOut",
    "SessionRsvp",
    "SessionSeries",
    "SlotOffer",
    "SlotOfferSlot",
    "SlotOfferTaker",
    "Snowflake",
    "Sprint",
    "UTCDateTime",
    "UserSettings",
    "WebShare",
    "WorkSpan",
    "utcnow",
]
