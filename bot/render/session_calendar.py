"""A standing session as a calendar entry: an ``.ics`` file and a Google Calendar link.

Both carry the series in its own zone (``DTSTART;TZID=…`` with a ``VTIMEZONE`` block, Google's
``ctz``) and its RRULE, so every calendar shows it at the right local time in every zone and
across DST changes, the way :mod:`bot.domain.schedule` computes its occurrences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.domain.schedule import utc_rrule

__all__ = ["GOOGLE_URL_LIMIT", "google_calendar_link", "series_ics"]

# A link button's url may hold at most 512 characters; the link is cut to fit.
GOOGLE_URL_LIMIT = 512
_GOOGLE_BASE = "https://calendar.google.com/calendar/render"
_STAMP = "%Y%m%dT%H%M%S"


def _wall(value: datetime, zone: ZoneInfo) -> datetime:
    """``value`` as naive wall clock in ``zone`` (naive values are taken as wall clock already)."""
    if value.tzinfo is not None:
        value = value.astimezone(zone)
    return value.replace(tzinfo=None, fold=0)


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
    """An RFC 5545 calendar with one VEVENT for the series (or the one-off session).

    ``first_local`` and ``exdates`` are naive wall clock in ``zone`` (skipped occurrences, as
    their series start times); ``now`` stamps the file.
    """
    tz = ZoneInfo(zone)
    first = _wall(first_local, tz)
    cal = Calendar()
    cal.add("prodid", "-//Sprintbot//Sprintbot standing sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    if description:
        event.add("description", description)
    event.add("dtstart", first.replace(tzinfo=tz))
    event.add("duration", timedelta(minutes=minutes))
    event.add("dtstamp", now.astimezone(UTC))
    if url:
        event.add("url", url)
    if rrule:
        event.add("rrule", vRecur.from_ical(utc_rrule(rrule, zone)))
        skipped = sorted({_wall(d, tz) for d in exdates})
        if skipped:
            event.add("exdate", [d.replace(tzinfo=tz) for d in skipped])
    cal.add_component(event)
    cal.add_missing_timezones(
        first_date=first.date() - timedelta(days=7), last_date=date(first.year + 10, 1, 1)
    )
    body: bytes = cal.to_ical()
    return body


def _google_url(params: dict[str, str]) -> str:
    return f"{_GOOGLE_BASE}?{urlencode(params, quote_via=quote)}"


def google_calendar_link(
    *,
    title: str,
    details: str,
    start: datetime,
    end: datetime,
    rrule: str | None,
    zone: str,
) -> str:
    """A "create event" link for Google Calendar with the series' zone (``ctz``) and RRULE.

    ``start`` and ``end`` are aware instants or naive wall clock in ``zone``; the link gives them
    as wall clock in ``zone`` so Google repeats the event at that local time. The details (then
    the title) are shortened so the link fits a Discord link button (512 characters).
    """
    tz = ZoneInfo(zone)
    params = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_wall(start, tz):{_STAMP}}/{_wall(end, tz):{_STAMP}}",
        "ctz": zone,
    }
    if rrule:
        params["recur"] = "RRULE:" + utc_rrule(rrule, zone)
    params["details"] = details
    for key in ("details", "text"):
        while len(_google_url(params)) > GOOGLE_URL_LIMIT and params[key]:
            over = len(_google_url(params)) - GOOGLE_URL_LIMIT
            # An encoded character takes up to 9 characters (a 3-byte UTF-8 sequence).
            keep = max(0, len(params[key]) - max(1, over // 9) - 1)
            params[key] = params[key][:keep].rstrip() + "…" if keep else ""
    if not params["details"]:
        del params["details"]
    return _google_url(params)
