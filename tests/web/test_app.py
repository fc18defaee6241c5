"""The web app over real HTTP (aiohttp's test server on loopback) with the real services."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import SystemClock
from bot.scheduler import Timers
from bot.services import Services
from bot.services.context import NullWaker, ServiceContext
from bot.services.sprints import Actor, StartRequest
from bot.settings import Settings, WebSettings
from bot.web.app import CSP, WebApp
from db.engine import Database
from db.models import AccountabilityConfig, AccountabilityMember, GuildSettings

GUILD = 4_000_000_000_000_001
HOST = 100


class Probe:
    def __init__(self) -> None:
        self.db_ok = True
        self.ready = True

    async def database_ok(self) -> bool:
        return self.db_ok

    def gateway_ready(self) -> bool:
        return self.ready


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    services: Services
    probe: Probe

    async def sprint_link(self, title: str = "Deep work", **kwargs: bool) -> tuple[int, str]:
        view = await self.services.sprints.start(
            StartRequest(
                guild_id=GUILD,
                channel_id=500,
                host_id=HOST,
                host_name="Ann",
                work=25,
                brk=5,
                rounds=2,
                intro=0,
                title=title,
            )
        )
        link = await self.services.sharing.share_sprint(view.id, Actor(HOST), **kwargs)
        return view.id, link.token


async def make_site(database: Database, **web: int) -> AsyncIterator[Site]:
    settings = Settings(web=WebSettings(**web))  # type: ignore[arg-type]
    services = Services(
        ServiceContext(
            settings=settings,
            db=database,
            clock=SystemClock(),
            timers=Timers(),
            delivery=NullWaker(),
        )
    )
    probe = Probe()
    app = WebApp(services.sharing, probe, settings.web, SystemClock()).build()
    async with TestClient(TestServer(app)) as client:
        yield Site(client, services, probe)


@pytest.fixture
async def site(database: Database) -> AsyncIterator[Site]:
    async for s in make_site(database):
        yield s


async def test_page_renders_with_a_strict_policy_and_no_caching(site: Site) -> None:
    _, token = await site.sprint_link(title="<script>alert(1)</script> & co")
    response = await site.client.get(f"/s/{token}")
    assert response.status == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    html = await response.text()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html.replace('<script id="state" type="application/json">', "")
    assert token not in html
    assert "http://" not in html and "https://" not in html  # nothing loaded from elsewhere


async def test_unknown_revoked_and_malformed_links_get_the_same_404(site: Site) -> None:
    sprint_id, token = await site.sprint_link()
    await site.services.sharing.unshare_sprint(sprint_id, Actor(HOST))
    answers = []
    for path in (
        f"/s/{token}",
        f"/s/{'A' * 32}",
        "/s/%00%ff",
        f"/s/{'x' * 3000}",
        f"/s/{token}/events",
        "/calendar/nothing.ics",
        "/nowhere",
    ):
        response = await site.client.get(path)
        answers.append((response.status, await response.read()))
    assert {status for status, _ in answers} == {404}
    assert len({body for _, body in answers}) == 1


async def test_static_files_are_a_fixed_list_without_directory_listing(site: Site) -> None:
    ok = await site.client.get("/static/live.js")
    assert ok.status == 200
    assert ok.headers["Content-Type"].startswith("text/javascript")
    for path in (
        "/static/",
        "/static",
        "/static/..%2fapp.py",
        "/static/templates",
        "/static/live.html",
        "/templates/live.html",
    ):
        assert (await site.client.get(path)).status == 404, path


async def test_page_requests_are_rate_limited_per_address(database: Database) -> None:
    async for site in make_site(database, requests_per_minute=10):
        _, token = await site.sprint_link()
        statuses = [(await site.client.get(f"/s/{token}")).status for _ in range(11)]
        assert statuses[:10] == [200] * 10
        assert statuses[10] == 429
        limited = await site.client.get(f"/s/{token}")
        assert int(limited.headers["Retry-After"]) >= 1


async def test_open_streams_are_capped_per_address(database: Database) -> None:
    async for site in make_site(database, streams_per_ip=1):
        _, token = await site.sprint_link()
        first = await site.client.get(f"/s/{token}/events")
        assert first.status == 200
        assert first.headers["Content-Type"].startswith("text/event-stream")
        line = await first.content.readline()
        assert line == b"retry: 1000\n"
        second = await site.client.get(f"/s/{token}/events")
        assert second.status == 429
        first.close()


async def test_stream_sends_the_state_with_the_server_clock(site: Site) -> None:
    sprint_id, token = await site.sprint_link()
    response = await site.client.get(f"/s/{token}/events")
    body = b""
    async with asyncio.timeout(5):
        while b"\n\n" not in body.split(b"retry: 1000\n\n", 1)[-1]:
            body += await response.content.readany()
    event = body.split(b"retry: 1000\n\n", 1)[1].split(b"\n\n")[0].decode()
    assert event.startswith("event: state\ndata: ")
    data = json.loads(event.split("data: ", 1)[1])
    now_ms = datetime.now(UTC).timestamp() * 1000
    assert abs(data["now"] - now_ms) < 5000
    assert data["page"]["status"] == "running"
    await site.services.sprints.pause(sprint_id, Actor(HOST))
    async with asyncio.timeout(5):
        while b'"status":"paused"' not in body:
            body += await response.content.readany()
    response.close()


async def test_health_reports_database_and_gateway(site: Site) -> None:
    ok = await site.client.get("/healthz")
    assert ok.status == 200
    assert await ok.json() == {
        "status": "ok",
        "database": "ok",
        "gateway": "ready",
        "open_pages": 0,
    }
    site.probe.ready = False
    down = await site.client.get("/healthz")
    assert down.status == 503
    assert (await down.json())["gateway"] == "not ready"
    site.probe.ready, site.probe.db_ok = True, False
    assert (await (await site.client.get("/healthz")).json())["database"] == "error"


async def test_calendar_feed_is_icalendar_with_its_time_zone(
    site: Site, database: Database
) -> None:
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=GUILD, timezone="America/New_York"))
        session.add(
            AccountabilityConfig(
                guild_id=GUILD,
                channel_id=1,
                kickoff_time=time(9, 0),
                checkin_days=[2],
                checkin_time=time(12, 0),
                review_time=time(17, 0),
            )
        )
        session.add(AccountabilityMember(guild_id=GUILD, user_id=HOST, display_name="Ann"))
    link = await site.services.sharing.member_feed(GUILD, HOST)
    response = await site.client.get(f"/calendar/{link.token}.ics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    text = (await response.read()).decode()
    assert text.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VTIMEZONE\r\nTZID:America/New_York" in text
    assert "DTSTART;TZID=America/New_York:" in text
    assert text.count("RRULE:FREQ=WEEKLY") == 3
    assert "SUMMARY:Weekly kickoff" in text
    assert str(GUILD) not in text and str(HOST) not in text
