"""SHIM (sessions branch only): calendars for a series, until the real module lands on main."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

__all__ = ["google_calendar_link", "series_ics"]


def series_ics(
    *,
    uid: str,
    title: str,
    description: str,
    first_local: datetime,
    zone: str,
    minutes: int,
    rrule: str | None,
    exdates: list[datetime],
    url: str | None,
    now: datetime,
) -> bytes:
    tz = ZoneInfo(zone)
    cal = Calendar()
    cal.add("prodid", "-//Sprintbot//sessions//EN")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", uid)
    ev.add("summary", title)
    ev.add("description", description)
    ev.add("dtstamp", now)
    start = first_local.replace(tzinfo=tz)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=minutes))
    if rrule:
        ev.add("rrule", vRecur.from_ical(rrule))
    for ex in exdates:
        ev.add("exdate", ex.replace(tzinfo=tz))
    if url:
        ev.add("url", url)
    cal.add_component(ev)
    return bytes(cal.to_ical())


def google_calendar_link(
    *, title: str, details: str, start: datetime, end: datetime, rrule: str | None, zone: str
) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    query = {
        "action": "TEMPLATE",
        "text": title,
        "details": details,
        "dates": f"{start:{fmt}}/{end:{fmt}}",
        "ctz": zone,
    }
    if rrule:
        query["recur"] = f"RRULE:{rrule}"
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
