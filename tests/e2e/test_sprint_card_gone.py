"""Issue #12 item 4: a deleted sprint card comes back.

When an edit of the card finds it gone (Discord's Unknown Message, 10008), the bot posts a fresh
card with the sprint's buttons and carries on: later edits go to the new card. The real bot (real
discord.py over loopback) against the local server.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.sprints import SprintView
from db.engine import Database
from tests.e2e.support import drained, sprintbot, until


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    alice: Member
    bob: Member
    cat: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Sprint Club")
    return Club(
        server,
        guild,
        guild.add_text_channel("general"),
        guild.add_member("alice"),
        guild.add_member("bob", global_name="Bob"),
        guild.add_member("cat", global_name="Cat"),
    )


def cards(channel: Channel, sprint_id: int) -> list[Message]:
    """The sprint's cards in the channel (messages with its Join button), oldest first."""
    join = f"sprint:{sprint_id}:join"
    return sorted(
        (
            m
            for m in channel.history()
            if any(c.get("custom_id") == join for c in m.walk_components())
        ),
        key=lambda m: m.id,
    )


async def active(bot: AnyBot, channel: Channel) -> SprintView:
    view = await bot.services.sprints.active_in_channel(channel.id)
    assert view is not None, "no active sprint"
    return view


async def test_a_deleted_card_is_posted_again_and_later_edits_reach_the_new_card(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start")).message()
        view = await active(bot, club.general)
        await drained(bot)
        [first] = cards(club.general, view.id)
        club.server.world.delete_message(first)

        # Bob joins: the card edit finds the card gone, and a fresh card is posted.
        await (await driver.slash(club.bob, club.general, "sprint join")).message()

        async def fresh() -> list[Message]:
            return [c for c in cards(club.general, view.id) if c.id != first.id]

        [second] = await until(fresh, 15)
        assert "In this sprint (2)" in str(second.embeds)  # alice and bob
        await drained(bot)

        # Cat joins: the edit goes to the new card; no third card.
        await (await driver.slash(club.cat, club.general, "sprint join")).message()
        await drained(bot)

        async def edited() -> bool:
            return "In this sprint (3)" in str(club.server.world.messages[second.id].embeds)

        await until(edited, 15)
        assert [c.id for c in cards(club.general, view.id)] == [second.id]
        assert (await bot.services.sprints.get(view.id)).is_over is False
    assert problems(club.server, error_log) == []
