"""Members' weekly available hours (``member_availability``): set, show, clear, and read by other
areas (pods match on shared hours; finding a time across zones reads the same rows)."""

from bot.services.availability.queries import availability_for, availability_of
from bot.services.availability.service import AvailabilityService
from bot.services.availability.types import AvailabilityView, MemberTime, WhenView

__all__ = [
    "AvailabilityService",
    "AvailabilityView",
    "MemberTime",
    "WhenView",
    "availability_for",
    "availability_of",
]
