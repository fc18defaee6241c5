"""Accountability inside pods end to end (issue #15): the real bot over loopback, real discord.py,
the local Discord server.

A pods channel set up with ``accountability:per_pod``: the week's kickoff, check-in and review
happen in each pod's thread with that pod's members only; a deleted pod thread stops that pod's
posts and nobody else's; the next week follows the re-match into the new pod threads. The weekly
timer is checked against its stored time before the FakeClock moves there and it runs. SQLite
and, when configured, PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm
from bot.localdiscord.permissions import DEFAULT_BOT
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.accountability import timer_key
from db.engine import Database
from db.models import AccountabilityPodWeek
from tests.e2e.support import drained, sprintbot, until


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Sunday 3 January 2027, 12:00 UTC; the server is on London time (UTC in winter). Pods rounds and
# the weekly kickoff are both Mondays 09:00; check-in Wednesday 12:00; review Friday 17:00.
START = utc(2027, 1, 3, 12)
KICKOFF, CHECKIN, REVIEW = utc(2027, 1, 4, 9), utc(2027, 1, 6, 12), utc(2027, 1, 8, 17)
NEXT_KICKOFF = utc(2027, 1, 11, 9)


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    weekly: Channel
    pods: Channel
    general: Channel
    mod: Member
    members: tuple[Member, ...]


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild(
        "Pod Week Club", bot_permissions=int(DEFAULT_BOT | Perm.CREATE_PRIVATE_THREADS)
    )
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        weekly=guild.add_text_channel("weekly"),
        pods=guild.add_text_channel("pods"),
        general=guild.add_text_channel("general"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        members=tuple(
            guild.add_member(name, global_name=name.title())
            for name in ("alice", "bob", "chen", "dana")
        ),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def reply(result: Any) -> Message:
    return await result.message()


async def post_due(bot: AnyBot, club: Club, clock: FakeClock, expected: datetime) -> list[str]:
    armed = bot.timers.when(timer_key(club.guild.id))
    assert armed == expected, f"armed for {armed}, expected {expected}"
    clock.set(expected)
    posted = await bot.services.accountability.run_due(club.guild.id)
    await drained(bot)
    return posted


def pod_threads(club: Club) -> list[Channel]:
    return sorted(club.guild.threads(club.pods), key=lambda t: t.id)


def thread_of(club: Club, member: Member, after: int = 0) -> Channel:
    """The newest pod thread whose intro mentions ``member``."""
    for thread in reversed(pod_threads(club)):
        if thread.id > after and any(
            f"<@{member.user.id}>" in m.content and "👋 **Pod" in m.content
            for m in thread.history()
        ):
            return thread
    raise AssertionError(f"no pod thread for {member.user.username}")


def found(thread: Channel, text: str) -> list[Message]:
    return [m for m in thread.history() if text in m.content]


async def test_the_week_runs_in_each_pod_thread_and_follows_the_rematch(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    alice = club.members[0]
    async with sprintbot(club.server, database, clock=clock) as bot:
        await reply(
            await driver.slash(club.mod, club.general, "timezone server", zone="Europe/London")
        )
        early = await reply(
            await driver.slash(
                club.mod, club.general, "pods setup", channel=club.pods, accountability="per_pod"
            )
        )
        assert early.ephemeral and "`/accountability setup` first" in early.content
        await reply(
            await driver.slash(club.mod, club.general, "accountability setup", channel=club.weekly)
        )
        setup = await reply(
            await driver.slash(
                club.mod,
                club.general,
                "pods setup",
                channel=club.pods,
                size=2,
                accountability="per_pod",
            )
        )
        assert "each pod's weekly goals" in setup.embeds[0]["description"]
        shown = await reply(await driver.slash(club.mod, club.general, "accountability show"))
        assert f"in each pod's thread of <#{club.pods.id}>" in shown.embeds[0]["description"]
        for member in club.members:
            await reply(await driver.slash(member, club.pods, "pods join"))

        # Monday 09:00: the round starts first, then the kickoff goes into each pod's thread.
        assert await post_due(bot, club, clock, KICKOFF) == ["kickoff"]
        threads = pod_threads(club)
        assert len(threads) == 2
        assert club.weekly.history() == [] and club.guild.threads(club.weekly) == []
        for thread in threads:
            (kickoff,) = found(thread, "what will you get done this week")
            assert kickoff.allowed_mentions["parse"] == []
            assert [e["title"] for m in thread.history() for e in m.embeds if "Goals" in e["title"]]
        mine = thread_of(club, alice)
        other = next(t for t in threads if t.id != mine.id)
        (kickoff,) = found(mine, "what will you get done this week")
        opened = await driver.click(alice, kickoff, "Add my goals")
        saved = await reply(
            await driver.submit_modal(alice, opened, {"goals": "Draft the chapter\nGym twice"})
        )
        assert saved.ephemeral and "Added 2 goals" in saved.content

        # Wednesday: a check-in in each pod thread; only Alice (open goals, this pod) is pinged.
        assert await post_due(bot, club, clock, CHECKIN) == ["checkin:2"]
        (checkin,) = found(mine, "Check-in for")
        assert checkin.allowed_mentions["users"] == [str(alice.user.id)]
        (quiet,) = found(other, "Check-in for")
        assert quiet.allowed_mentions.get("users", []) == []
        menu = await reply(await driver.click(alice, checkin, "Mark done"))
        options = {
            o["label"]: o["value"] for c in menu.walk_components() for o in c.get("options", [])
        }
        ticked = await reply(
            await driver.select(
                alice, menu, "Pick the goals you finished", [options["Draft the chapter"]]
            )
        )
        assert "Ticked off 1" in ticked.content

        # A moderator deletes the other pod's thread: that pod's week stops, Alice's goes on.
        club.server.world.delete_channel(other)

        async def archived() -> bool:
            async with database.transaction() as s:
                rows = await s.scalars(
                    select(AccountabilityPodWeek).where(
                        AccountabilityPodWeek.archived_at.is_not(None)
                    )
                )
                return len(list(rows)) == 1

        await until(archived)
        assert await post_due(bot, club, clock, REVIEW) == ["review"]
        (review,) = found(mine, "🏁 **Review")
        text = str(review.embeds)
        assert "Draft the chapter" in text and f"<@{alice.user.id}>" in text
        assert not found(club.pods, "🏁 **Review") and not found(other, "🏁 **Review")

        # Next Monday: round 2 re-matches the pods, and the new week starts in the new threads.
        last = threads[-1].id
        assert await post_due(bot, club, clock, NEXT_KICKOFF) == ["kickoff"]
        new_threads = [t for t in pod_threads(club) if t.id > last]
        assert len(new_threads) == 2
        for thread in new_threads:
            assert len(found(thread, "what will you get done this week")) == 1
        assert len(found(mine, "what will you get done this week")) == 1  # last week's only
        new_mine = thread_of(club, alice, after=last)
        partners = [
            m for m in club.members if f"<@{m.user.id}>" in found(mine, "👋 **Pod")[0].content
        ]
        new_partners = [
            m for m in club.members if f"<@{m.user.id}>" in found(new_mine, "👋 **Pod")[0].content
        ]
        assert set(partners) != set(new_partners)  # rotated: the week moved with the re-match
        assert club.weekly.history() == []
    assert problems(club.server, error_log) == []
