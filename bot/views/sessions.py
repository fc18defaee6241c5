"""What a standing session looks like to render and cogs: snapshots built by the sessions
service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "AttendanceLine",
    "Attendee",
    "OccurrenceView",
    "Rsvp",
    "RsvpResult",
    "SeriesView",
]


class Rsvp(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    CANT = "cant"
    SKIP = "skip"  # this occurrence only; stays in the series
    WAITLIST = "waitlist"


@dataclass(frozen=True)
class Attendee:
    user_id: int
    name: str
    status: Rsvp
    offered_until: datetime | None = None  # a waiting member offered a freed place


@dataclass(frozen=True)
class OccurrenceView:
    id: int
    series_id: int
    starts_at: datetime
    ends_at: datetime
    status: str  # upcoming | started | missed | skipped | cancelled
    title: str
    plan: dict[str, int | str | None]
    voice_channel_id: int | None
    norms: str | None
    going: tuple[Attendee, ...]
    maybe: tuple[Attendee, ...]
    waitlist: tuple[Attendee, ...]
    cant: int
    skipping: int
    sprint_id: int | None
    edited: bool  # differs from the series ("edit this one")

    def status_of(self, user_id: int) -> Rsvp | None:
        for group in (self.going, self.maybe, self.waitlist):
            for a in group:
                if a.user_id == user_id:
                    return a.status
        return None


@dataclass(frozen=True)
class SeriesView:
    id: int
    guild_id: int
    channel_id: int
    voice_channel_id: int | None
    creator_id: int
    title: str
    zone: str
    first_local: datetime  # naive wall clock in ``zone``
    rrule: str | None
    repeat_text: str  # "every Monday and Wednesday", "once"
    plan: dict[str, int | str | None]
    minutes: int
    capacity: int | None
    role_id: int | None
    norms: str | None
    reminders: tuple[int, ...]  # minutes before
    cancelled: bool
    card_message_id: int | None
    next: OccurrenceView | None
    exdates: tuple[datetime, ...] = ()  # naive local starts skipped or cancelled (calendars)

    def card_url(self) -> str | None:
        if self.card_message_id is None:
            return None
        return (
            f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.card_message_id}"
        )


@dataclass(frozen=True)
class RsvpResult:
    series: SeriesView
    status: Rsvp | None  # None: left
    changed: bool
    position: int | None = None  # on the waitlist


@dataclass(frozen=True)
class AttendanceLine:
    user_id: int
    said: str | None
    showed_up: bool
