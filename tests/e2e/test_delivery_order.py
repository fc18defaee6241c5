"""Issue #12 item 2: one transient failure never reorders what a channel shows.

Within one sprint (and one accountability thread) messages reach Discord in the order they were
committed, whatever retries happen: a 503 that the sender retries later, a 500 that discord.py
retries itself after a second, or a few 429s. The real bot (real discord.py over loopback)
against the local server with Discord's limits on; at the sender's level, and with whole sprints
at speed 1 (phases moved on by /sprint skip) and at speed 1000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.core import AnyBot
from bot.delivery import Outgoing, enqueue
from bot.localdiscord import Channel, Guild, LocalDiscord, Member
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.sprints import SprintView
from db.engine import Database
from tests.e2e.support import drained, sprintbot, until

# (status, count, retry_after): retried by the sender (503), by discord.py after ~1 s (500), by
# discord.py after Discord's retry-after (two 429s), and by both (six 429s: more than its tries).
FAILURES = {
    "503": (503, 1, 0.05),
    "500": (500, 1, 0.05),
    "429x2": (429, 2, 0.6),
    "429x6": (429, 6, 0.05),
}


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    alice: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Sprint Club")
    return Club(server, guild, guild.add_text_channel("general"), guild.add_member("alice"))


async def active(bot: AnyBot, channel: Channel) -> SprintView:
    view = await bot.services.sprints.active_in_channel(channel.id)
    assert view is not None, "no active sprint"
    return view


async def ended(bot: AnyBot, sprint_id: int) -> None:
    async def over() -> bool:
        return (await bot.services.sprints.get(sprint_id)).is_over

    await until(over, 40)


def phase_names(channel: Channel) -> list[str]:
    """The bot's phase lines in the order the server stored them (work 1, break 1, …)."""
    out = []
    for message in sorted(channel.history(), key=lambda m: m.id):
        first = message.content.split("\n", 1)[0]
        if first.startswith("🍅"):
            out.append("work " + re.findall(r"round (\d+)/", first)[0])
        elif first.startswith("☕"):
            out.append("break " + re.findall(r"round (\d+)/", first)[0])
        elif first.startswith("🌴"):
            out.append("long break")
        elif first.startswith("🏁"):
            out.append("finished")
    return out


def fail_posts_in(server: LocalDiscord, channel: Channel, failure: str) -> None:
    status, count, retry_after = FAILURES[failure]
    server.fail_next(
        "POST",
        re.compile(rf"/channels/{channel.id}/messages$"),
        status=status,
        count=count,
        retry_after=retry_after,
    )


def contents(channel: Channel) -> list[str]:
    return [m.content for m in sorted(channel.history(), key=lambda m: m.id)]


@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_a_failed_post_holds_back_the_later_posts_of_its_channel_only(
    club: Club, database: Database, error_log: DiscordErrorLog, failure: str
) -> None:
    server, other = club.server, club.guild.add_text_channel("elsewhere")
    fail_posts_in(server, club.general, failure)

    def say(text: str, channel: Channel) -> Outgoing:
        return Outgoing("send", {"content": text}, channel_id=channel.id, guild_id=club.guild.id)

    async with database.transaction() as session:
        await enqueue(session, *[say(f"m{i}", club.general) for i in range(6)])
        await enqueue(session, *[say(f"o{i}", other) for i in range(3)])
    async with sprintbot(server, database) as bot:
        await drained(bot, timeout=40)
    assert contents(club.general) == [f"m{i}" for i in range(6)]
    assert contents(other) == ["o0", "o1", "o2"]
    assert problems(server, error_log) == []


@pytest.mark.parametrize("failure", ["503", "500", "429x6"])
async def test_skipping_at_speed_1_keeps_the_phase_lines_in_order_through_a_failure(
    club: Club, database: Database, error_log: DiscordErrorLog, failure: str
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1) as bot:
        await (
            await driver.slash(
                club.alice, club.general, "sprint start", work=25, rounds=3, intro=0, **{"break": 5}
            )
        ).message()
        view = await active(bot, club.general)
        await drained(bot)
        fail_posts_in(club.server, club.general, failure)
        for _ in range(3):
            await (await driver.slash(club.alice, club.general, "sprint skip")).message()
        await drained(bot)
        now = await bot.services.sprints.get(view.id)
        assert now.phase.kind.value == "break" and now.state.phase_index == 3
    assert phase_names(club.general)[-3:] == ["break 1", "work 2", "break 2"]
    assert problems(club.server, error_log) == []


@pytest.mark.parametrize("failure", ["503", "429x6"])
async def test_a_pomodoro_at_speed_1000_keeps_its_phase_lines_in_order_through_a_failure(
    club: Club, database: Database, error_log: DiscordErrorLog, failure: str
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1000) as bot:
        await (
            await driver.slash(club.alice, club.general, "sprint start", preset="pomodoro")
        ).message()
        view = await active(bot, club.general)
        await until(lambda: _has_card(club.general))
        fail_posts_in(club.server, club.general, failure)
        await ended(bot, view.id)
        await drained(bot)
    assert phase_names(club.general) == [
        "work 1",
        "break 1",
        "work 2",
        "break 2",
        "work 3",
        "break 3",
        "work 4",
        "finished",
    ]
    assert problems(club.server, error_log) == []


async def _has_card(channel: Channel) -> bool:
    return any(m.embeds for m in channel.history())
