"""/share in Discord: calendar feed links that work over HTTP, and who may do what."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from bot.localdiscord import Channel, LocalDiscord, Member, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.support import sprintbot


async def say(
    server: LocalDiscord, member: Member, channel: Channel, command: str, **options: Any
) -> str:
    result = await server.driver.slash(member, channel, command, **options)
    return (await result.message()).content


def url_in(text: str) -> str:
    match = re.search(r"<(https?://[^>]+)>", text)
    assert match is not None, text
    return match[1]


async def fetch(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_calendar_links_serve_icalendar_until_replaced_and_only_managers_publish(
    server: LocalDiscord, database: Database, error_log: DiscordErrorLog
) -> None:
    guild = server.add_guild("Feed Club")
    general = guild.add_text_channel("general")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    ann = guild.add_member("ann", global_name="Ann")
    mo = guild.add_member("mo", global_name="Mo", roles=[mods])
    async with sprintbot(server, database):
        mine = url_in(await say(server, ann, general, "share calendar"))
        assert mine.endswith(".ics")
        status, kind, body = await fetch(mine)
        assert (status, kind) == (200, "text/calendar; charset=utf-8")
        assert body.startswith("BEGIN:VCALENDAR")
        again = url_in(await say(server, ann, general, "share calendar"))
        assert again == mine  # the same private link until you ask for a new one
        fresh = url_in(await say(server, ann, general, "share calendar", new_link=True))
        assert fresh != mine
        assert (await fetch(mine))[0] == 404
        assert (await fetch(fresh))[0] == 200

        refused = await say(server, ann, general, "share server_calendar")
        assert "Only a manager" in refused
        public = url_in(await say(server, mo, general, "share server_calendar"))
        assert (await fetch(public))[0] == 200
        stopped = await say(server, mo, general, "share server_calendar", action="stop")
        assert "no longer published" in stopped
        assert (await fetch(public))[0] == 404

        nothing = await say(server, ann, general, "share sprint")
        assert "no sprint" in nothing.lower()
    assert problems(server, error_log) == []
