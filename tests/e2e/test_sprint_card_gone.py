"""Issue #12 item 4: a sprint card deleted by a moderator comes back.

When an edit of the card finds it gone (Discord's Unknown Message, 10008), the bot posts a fresh
card with the sprint's buttons and carries on: later edits go to the new card. The real bot (real
discord.py over loopback) against the local server; the card is deleted through the server's
driver, as a moderator would.
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


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Sprint Club")
    return Club(
        server,
        guild,
        guild.add_text_channel("general"),
        guild.add_member("alice", global_name="Alice"),
        guild.add_member("bob", global_name="Bob"),
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


async def test_a_deleted_card_comes_back_at_the_next_phase_change_and_edits_follow_it(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        await drained(bot)
        [first] = cards(club.general, view.id)
        driver.world.delete_message(first)  # a moderator deletes the card

        # The host skips to the break: the card's edit finds it gone, and a fresh card is posted,
        # drawn from the state after the skip (its Skip button names the new control_seq).
        await (await driver.slash(club.alice, club.general, "sprint skip")).message()

        async def fresh() -> list[Message]:
            return [c for c in cards(club.general, view.id) if c.id != first.id]

        [second] = await until(fresh, 15)
        after = await bot.services.sprints.get(view.id)
        assert (after.phase.kind.value, after.phase.round) == ("break", 1)
        assert second.button("Skip")["custom_id"] == f"sprint:{view.id}:skip:{after.control_seq}"
        await drained(bot)
        assert (await bot.services.sprints.get(view.id)).card_message_id == second.id

        # Bob joins with the new card's button: the edit goes to the new card; no third card.
        await (await driver.click(club.bob, second, "Join")).message()
        await drained(bot)

        async def edited() -> bool:
            return "In this sprint (2)" in str(club.server.world.messages[second.id].embeds)

        await until(edited, 15)
        assert [c.id for c in cards(club.general, view.id)] == [second.id]
        assert first.id not in club.server.world.messages
        assert (await bot.services.sprints.get(view.id)).is_over is False
    assert problems(club.server, error_log) == []
