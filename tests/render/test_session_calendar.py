from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from bot.domain.schedule import Repeat, occurrences, rrule_text
from bot.render.session_calendar import GOOGLE_URL_LIMIT, google_calendar_link, series_ics

NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


def build(
    first: datetime, zone: str, rule: str | None, exdates: list[datetime] | None = None
) -> bytes:
    return series_ics(
        uid="series-42@sprintbot",
        title="Deep work, Mondays",
        description="Cameras optional; mute during work.",
        first_local=first,
        zone=zone,
        minutes=90,
        rrule=rule,
        exdates=exdates or [],
        url="https://example.org/s/42",
        now=NOW,
    )


def event_of(body: bytes) -> tuple[Calendar, object]:
    cal = Calendar.from_ical(body)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def expand(body: bytes, limit: int) -> list[datetime]:
    """The .ics's own occurrences: its DTSTART (in its TZID) expanded with dateutil, minus
    EXDATEs, as UTC instants; an independent reading of what a calendar will show."""
    _, event = event_of(body)
    start = event["DTSTART"].dt
    assert start.tzinfo is not None
    if "RRULE" not in event:
        return [start.astimezone(UTC)]
    rule_text = event["RRULE"].to_ical().decode()
    excluded: set[datetime] = set()
    raw = event.get("EXDATE")
    for group in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        excluded |= {d.dt.astimezone(UTC) for d in group.dts}
    found = []
    for local in rrulestr(rule_text, dtstart=start):
        instant = local.astimezone(UTC)
        if instant not in excluded:
            found.append(instant)
        if len(found) >= limit:
            break
    return found


CASES = [
    ("Europe/London", datetime(2027, 3, 15, 9, 0), Repeat("weekly")),
    ("America/New_York", datetime(2027, 3, 1, 21, 0), Repeat("weekly", (0, 2))),
    ("Asia/Kolkata", datetime(2027, 3, 1, 19, 30), Repeat("weekly", until=date(2027, 6, 28))),
    ("Australia/Sydney", datetime(2027, 3, 30, 8, 0), Repeat("weekdays", (0, 1, 2, 3, 4))),
    ("Australia/Lord_Howe", datetime(2026, 9, 28, 2, 15), Repeat("daily", count=20)),
    ("Europe/London", datetime(2027, 3, 25, 1, 30), Repeat("daily", count=10)),
]


@pytest.mark.parametrize(("zone", "first", "repeat"), CASES)
def test_ics_parsed_back_gives_the_same_instants(
    zone: str, first: datetime, repeat: Repeat
) -> None:
    rule = rrule_text(first, repeat)
    body = build(first, zone, rule)
    ours = occurrences(first, zone, rule, first.replace(tzinfo=UTC) - timedelta(days=2), 60)
    assert expand(body, 60) == ours


def test_ics_has_vtimezone_tzid_start_rrule_and_utc_until() -> None:
    first = datetime(2026, 11, 30, 9, 0)
    rule = rrule_text(first, Repeat("weekly", (0, 2), until=date(2027, 3, 1)))
    body = build(first, "Europe/London", rule)
    text = body.decode()
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/London" in text
    assert "DTSTART;TZID=Europe/London:20261130T090000" in text
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270301T235959Z;BYDAY=MO,WE" in text
    assert "DURATION:PT1H30M" in text
    _, event = event_of(body)
    assert str(event["UID"]) == "series-42@sprintbot"
    assert str(event["SUMMARY"]) == "Deep work, Mondays"
    assert str(event["URL"]) == "https://example.org/s/42"
    assert event["DTSTAMP"].dt == NOW


def test_ics_vtimezone_covers_both_dst_changes() -> None:
    body = build(datetime(2027, 3, 15, 9, 0), "Europe/London", "FREQ=WEEKLY;BYDAY=MO")
    cal, _ = event_of(body)
    (tz,) = cal.walk("VTIMEZONE")
    offsets = {sub["TZOFFSETTO"].td for sub in tz.subcomponents}
    assert {timedelta(0), timedelta(hours=1)} <= offsets


def test_ics_exdates_remove_skipped_occurrences() -> None:
    first = datetime(2027, 3, 15, 9, 0)
    rule = "FREQ=WEEKLY;BYDAY=MO"
    skipped = [datetime(2027, 3, 22, 9, 0), datetime(2027, 4, 5, 9, 0)]  # GMT and BST
    body = build(first, "Europe/London", rule, skipped)
    assert "EXDATE;TZID=Europe/London:20270322T090000,20270405T090000" in body.decode()
    ours = occurrences(first, "Europe/London", rule, NOW, 6)
    london = ZoneInfo("Europe/London")
    kept = [s for s in ours if s.astimezone(london).replace(tzinfo=None) not in skipped]
    assert expand(body, 4) == kept[:4]
    assert datetime(2027, 4, 5, 8, 0, tzinfo=UTC) not in expand(body, 4)


def test_ics_one_off_has_no_rrule() -> None:
    first = datetime(2026, 12, 1, 9, 0)
    body = build(first, "America/New_York", None)
    assert b"RRULE" not in body
    assert expand(body, 5) == [datetime(2026, 12, 1, 14, 0, tzinfo=UTC)]


def test_ics_parse_back_for_a_kolkata_series_seen_in_new_york() -> None:
    first = datetime(2027, 3, 1, 19, 30)
    body = build(first, "Asia/Kolkata", "FREQ=WEEKLY;BYDAY=MO")
    new_york = ZoneInfo("America/New_York")
    shown = [s.astimezone(new_york).replace(tzinfo=None) for s in expand(body, 3)]
    assert shown == [
        datetime(2027, 3, 1, 9, 0),
        datetime(2027, 3, 8, 9, 0),
        datetime(2027, 3, 15, 10, 0),
    ]


def test_google_link_carries_zone_local_dates_and_rrule() -> None:
    url = google_calendar_link(
        title="Deep work",
        details="Cameras optional.",
        start=datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
        end=datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
        rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301T235959",
        zone="America/New_York",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://calendar.google.com/calendar/render"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "action": "TEMPLATE",
        "text": "Deep work",
        "details": "Cameras optional.",
        "dates": "20261201T090000/20261201T103000",
        "ctz": "America/New_York",
        "recur": "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270302T045959Z",
    }


def test_google_link_takes_naive_wall_clock_and_no_rrule() -> None:
    url = google_calendar_link(
        title="One-off",
        details="",
        start=datetime(2026, 12, 1, 9, 0),
        end=datetime(2026, 12, 1, 10, 0),
        rrule=None,
        zone="Europe/London",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["dates"] == ["20261201T090000/20261201T100000"]
    assert "recur" not in query
    assert "details" not in query


def test_google_link_fits_a_link_button_with_long_text() -> None:
    url = google_calendar_link(
        title="Écriture 📚 " * 40,
        details="Norms: cameras optional, mute during work. 日本語 " * 100,
        start=datetime(2026, 12, 1, 9, 0),
        end=datetime(2026, 12, 1, 10, 0),
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=MO;COUNT=10",
        zone="Australia/Lord_Howe",
    )
    assert len(url) <= GOOGLE_URL_LIMIT
    query = parse_qs(urlsplit(url).query)
    assert query["ctz"] == ["Australia/Lord_Howe"]
    assert query["recur"] == ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=MO;COUNT=10"]
    assert query["text"][0].startswith("Écriture 📚")
