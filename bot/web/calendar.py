"""Calendar feeds as iCalendar text (RFC 5545), with the time zones they use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from bot.services.sharing.types import Feed

REFRESH = timedelta(hours=1)


def feed_ics(feed: Feed, now: datetime) -> bytes:
    """The feed as an .ics body: weekly series in their own IANA zone, with VTIMEZONE blocks."""
    cal = Calendar()
    cal.add("prodid", "-//Sprintbot//Sprintbot calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", feed.name)
    cal.add("x-wr-caldesc", feed.description)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    for entry in feed.entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("summary", entry.title)
        event.add("description", entry.description)
        event.add("dtstart", entry.start)
        event.add("duration", timedelta(minutes=entry.minutes))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("last-modified", entry.updated.astimezone(UTC))
        # A later change to the series (a new time or day) is a new revision of the same event.
        event.add("sequence", int(entry.updated.timestamp()) // 60 % 2_000_000_000)
        if entry.weekly:
            event.add("rrule", {"freq": "weekly"})
        cal.add_component(event)
    first = min((e.start.date() for e in feed.entries), default=now.date()) - timedelta(days=7)
    cal.add_missing_timezones(first_date=first, last_date=date(now.year + 10, 1, 1))
    body: bytes = cal.to_ical()
    return body
