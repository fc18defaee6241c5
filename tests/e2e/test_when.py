"""/when end to end (issue #14): a time typed in your zone, posted as a Discord timestamp with
each named member's local time and a warning when it doesn't suit them. The real bot (real
discord.py over loopback) against the local server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.localdiscord import LocalDiscord
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.support import sprintbot


async def test_when_posts_a_timestamp_and_each_members_local_time(
    server: LocalDiscord, database: Database, error_log: DiscordErrorLog
) -> None:
    guild = server.add_guild("When Club")
    general = guild.add_text_channel("general")
    ann = guild.add_member("ann", global_name="Ann")
    bob = guild.add_member("bob", global_name="Bob")
    kai = guild.add_member("kai", global_name="Kai")
    driver = server.driver
    async with sprintbot(server, database):
        await (await driver.slash(ann, general, "timezone me", zone="Europe/Berlin")).message()
        await (
            await driver.slash(
                bob,
                general,
                "availability set",
                when="weekdays 09:00-17:00",
                zone="America/New_York",
            )
        ).message()
        await (await driver.slash(kai, general, "timezone me", zone="Asia/Tokyo")).message()
        answer = await (
            await driver.slash(
                ann, general, "when", time="tomorrow 18:00", members=f"<@{bob.id}> <@{kai.id}>"
            )
        ).message()
        refused = await (
            await driver.slash(ann, general, "when", time="tomorrow 18:00", members="bob")
        ).message()
    assert not answer.ephemeral  # posted for everyone
    stamp = re.search(r"<t:(\d+):F>", answer.content)
    assert stamp is not None
    at = datetime.fromtimestamp(int(stamp[1]), UTC)
    berlin = at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{berlin:%H:%M}" == "18:00"
    assert (
        berlin.date()
        == (datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
    )
    bob_line = next(line for line in answer.content.splitlines() if f"<@{bob.id}>" in line)
    kai_line = next(line for line in answer.content.splitlines() if f"<@{kai.id}>" in line)
    assert f"{at.astimezone(ZoneInfo('America/New_York')):%H:%M}" in bob_line
    assert "America/New_York" in bob_line and "Asia/Tokyo" in kai_line
    assert "at night for them" in kai_line  # 18:00 in Berlin is 02:00 in Tokyo
    assert answer.mention_ids == []  # named, not pinged
    assert refused.ephemeral and "“bob” is not a member" in refused.content
    assert problems(server, error_log) == []
