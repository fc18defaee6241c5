"""/share in Discord: calendar feed links that work over HTTP, and who may do what."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import aiohttp

from bot.core import create_bot
from bot.localdiscord import Channel, LocalDiscord, Member, Message, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems, running_bot
from db.engine import Database
from tests.e2e.support import drained, settings_for, sprintbot, until


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


def link_urls(message: Message) -> list[str]:
    return [c["url"] for c in message.walk_components() if "url" in c]


async def test_a_shared_sprint_card_has_a_live_page_button_until_share_stop(
    server: LocalDiscord, database: Database, error_log: DiscordErrorLog
) -> None:
    guild = server.add_guild("Share Club")
    general = guild.add_text_channel("general")
    ann = guild.add_member("ann", global_name="Ann")
    settings = settings_for(server)
    public = "https://sprints.example.org"
    settings = replace(settings, web=replace(settings.web, public_base_url=public))
    bot = create_bot(settings, database=database)
    async with running_bot(server, bot):
        await bot.tree.sync()
        await say(server, ann, general, "sprint start")
        view = await bot.services.sprints.active_in_channel(general.id)
        assert view is not None
        await drained(bot)
        view = await bot.services.sprints.get(view.id)
        assert view.card_message_id is not None
        card = server.world.messages[view.card_message_id]
        assert link_urls(card) == []

        url = url_in(await say(server, ann, general, "share sprint"))
        assert url.startswith(f"{public}/s/")

        async def shown() -> bool:
            await drained(bot)
            return link_urls(server.world.messages[card.id]) == [url]

        await until(shown, 15)
        live = next(c for c in server.world.messages[card.id].walk_components() if "url" in c)
        assert live["label"] == "Live page" and "custom_id" not in live

        await say(server, ann, general, "share stop")

        async def gone() -> bool:
            await drained(bot)
            return link_urls(server.world.messages[card.id]) == []

        await until(gone, 15)
        assert server.world.messages[card.id].button("Join")  # the sprint's buttons stay
    assert problems(server, error_log) == []
