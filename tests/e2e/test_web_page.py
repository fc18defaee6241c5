"""The live sprint page in a real browser (headless Chromium) against the real bot.

Members act in Discord through the local server's driver; the page is opened from the link that
``/share sprint`` replies with. The page must follow the sprint within a second, with no reload.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.localdiscord import Channel, Guild, LocalDiscord, Member
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.browser import chrome  # noqa: F401  (the fixture)
from tests.e2e.support import sprintbot

SPEED = 6.0  # a 5-minute work phase lasts 50 s: long enough to read a countdown


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    alice: Member  # hosts
    bob: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Web Club")
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
    )


async def say(club: Club, member: Member, command: str, **options: Any) -> str:
    result = await club.server.driver.slash(member, club.general, command, **options)
    return (await result.message()).content


async def share(club: Club, member: Member, **options: Any) -> str:
    content = await say(club, member, "share sprint", **options)
    match = re.search(r"<(https?://[^>]+/s/[^>]+)>", content)
    assert match is not None, content
    return match[1]


async def browse(driver: Any, url: str) -> None:
    await asyncio.to_thread(driver.get, url)


async def text_of(driver: Any, element_id: str) -> str:
    def read() -> str:
        return str(driver.find_element("id", element_id).text)

    return await asyncio.to_thread(read)


async def script(driver: Any, code: str) -> Any:
    return await asyncio.to_thread(driver.execute_script, code)


async def page_until(driver: Any, element_id: str, pattern: str, timeout: float) -> float:  # noqa: ASYNC109
    """Seconds until the element's text matches ``pattern`` (fails after ``timeout``)."""
    start = time.monotonic()
    last = ""
    while time.monotonic() - start < timeout:
        last = await text_of(driver, element_id)
        if re.search(pattern, last):
            return time.monotonic() - start
        await asyncio.sleep(0.03)
    raise AssertionError(f"#{element_id} never matched {pattern!r} in {timeout} s: {last!r}")


def seconds(countdown: str) -> int:
    parts = [int(p) for p in countdown.split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


async def live(driver: Any) -> None:
    await page_until(driver, "connection", "^Live", 10)


async def test_page_counts_down_follows_skip_and_pause_within_a_second_and_ends_with_summary(
    club: Club,
    database: Database,
    error_log: DiscordErrorLog,
    chrome: Any,  # noqa: F811
) -> None:
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await say(
            club,
            club.alice,
            "sprint start",
            work=5,
            rounds=2,
            intro=0,
            title="Thesis writing",
            **{"break": 2},
        )
        url = await share(club, club.alice)
        await browse(chrome, url)
        await live(chrome)
        assert await text_of(chrome, "title") == "Thesis writing"
        assert "Work · round 1 of 2" in await text_of(chrome, "phase")

        # The countdown is the phase end minus now (to the second), computed in the browser.
        view = await bot.services.sprints.active_in_channel(club.general.id)
        assert view is not None and view.state.phase_ends_at is not None
        shown = seconds(await text_of(chrome, "countdown"))
        expected = (view.state.phase_ends_at - bot.clock.now()).total_seconds()
        assert abs(shown - expected) <= 1.5, (shown, expected)
        await asyncio.sleep(1.2)
        assert seconds(await text_of(chrome, "countdown")) < shown  # it ticks by itself

        # A skip in Discord reaches the open page within a second, without a reload.
        await script(chrome, "window.__sameDocument = true;")
        sent = time.monotonic()
        await say(club, club.alice, "sprint skip")
        await page_until(chrome, "phase", "^Break", 3)
        assert time.monotonic() - sent <= 1.0 + 0.3  # the command's own round trip included
        assert await script(chrome, "return window.__sameDocument === true;")
        assert 10 <= seconds(await text_of(chrome, "countdown")) <= 20  # a 2-min break at 6x

        # Pause freezes the countdown; the page says so.
        sent = time.monotonic()
        await say(club, club.alice, "sprint pause")
        await page_until(chrome, "status", "^Paused$", 3)
        assert time.monotonic() - sent <= 1.3
        frozen = await text_of(chrome, "countdown")
        await asyncio.sleep(1.5)
        assert await text_of(chrome, "countdown") == frozen

        # The end shows the summary.
        await say(club, club.alice, "sprint stop")
        await page_until(chrome, "summary-line", "Stopped early", 3)
        assert await text_of(chrome, "status") == "Ended"
        assert await text_of(chrome, "countdown") == "Done"
        assert "1 took part" in await text_of(chrome, "summary-line")
        assert await script(chrome, "return window.__sameDocument === true;")
    assert problems(club.server, error_log) == []


async def test_goal_markup_shows_as_text_a_dropped_stream_reconnects_and_off_link_gives_404(
    club: Club,
    database: Database,
    error_log: DiscordErrorLog,
    chrome: Any,  # noqa: F811
) -> None:
    attack = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">'
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await say(club, club.alice, "sprint start", work=5, rounds=1, intro=0)
        await say(club, club.bob, "goal", text=attack)
        url = await share(club, club.alice, names_and_goals=True)
        await browse(chrome, url)
        await live(chrome)
        people = await text_of(chrome, "people")
        assert "Bob" in people and attack in people
        assert await script(chrome, "return window.__owned === undefined;")
        html = await script(chrome, "return document.documentElement.outerHTML;")
        assert str(club.bob.id) not in html and str(club.guild.id) not in html
        assert club.server.token not in html

        # A live update renders the goal as text too.
        await say(club, club.alice, "sprint pause")
        await page_until(chrome, "status", "^Paused$", 3)
        assert attack in await text_of(chrome, "people")
        assert await script(chrome, "return window.__owned === undefined;")

        # The stream drops (the server ends it): the page reconnects by itself and follows on.
        bot.services.sharing.live.close_all()
        await page_until(chrome, "connection", "^Reconnecting", 3)
        await page_until(chrome, "connection", "^Live", 10)
        await say(club, club.alice, "sprint resume")
        await page_until(chrome, "status", "^Live$", 3)

        # Turned off: the open page says so, and the link answers 404 from then on.
        reply = await say(club, club.alice, "share stop")
        assert "off" in reply
        await page_until(chrome, "connection", "turned off", 3)
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 404
            body = await response.text()
        assert "doesn't work" in body
        await browse(chrome, url)
        assert "This link doesn't work" in await script(chrome, "return document.body.innerText;")
        assert bot.services.sharing.live.open_streams == 0
    assert problems(club.server, error_log) == []
