"""Pods end to end: the real bot over loopback, real discord.py, the local Discord server.

Members in Berlin, New York, Tokyo and one without hours opt in; rounds run on the bot's own
timer, which each test checks against the round's stored times before moving the FakeClock there
and running what the timer runs. A full round: opt in, match, threads with intros, nudge,
"Did you meet?", and the next matching (a kept pod, a member who never showed up asked to pause
and left out, their pod mate re-matched). Runs on SQLite and, when configured, PostgreSQL.
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
from bot.services.pods import timer_key
from db.engine import Database
from db.models import PodConfig, PodRound
from tests.e2e.support import drained, sprintbot


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Sunday 3 January 2027, 12:00 UTC. The server is on London time (UTC in winter): rounds start
# Mondays 09:00 = 09:00 UTC; round 1 runs 4–11 January.
START = utc(2027, 1, 3, 12)
ROUND1 = utc(2027, 1, 4, 9)


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    pods: Channel
    general: Channel
    mod: Member
    alice: Member  # Berlin, evenings
    bob: Member  # New York, mornings: overlaps Alice
    chen: Member  # Tokyo, early mornings: overlaps nobody
    dana: Member  # no hours set; never shows up
    eve: Member  # joins later


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild(
        "Pod Club", bot_permissions=int(DEFAULT_BOT | Perm.CREATE_PRIVATE_THREADS)
    )
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        pods=guild.add_text_channel("pods"),
        general=guild.add_text_channel("general"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        chen=guild.add_member("chen", global_name="Chen"),
        dana=guild.add_member("dana", global_name="Dana"),
        eve=guild.add_member("eve", global_name="Eve"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def reply(result: Any) -> Message:
    return await result.message()


async def config_id(database: Database, club: Club) -> int:
    async with database.transaction() as s:
        return (
            await s.execute(select(PodConfig.id).where(PodConfig.channel_id == club.pods.id))
        ).scalar_one()


async def latest_round(database: Database, cid: int) -> PodRound:
    async with database.transaction() as s:
        return (
            (
                await s.execute(
                    select(PodRound)
                    .where(PodRound.config_id == cid)
                    .order_by(PodRound.number.desc())
                )
            )
            .scalars()
            .first()
        )  # type: ignore[return-value]


async def tick(bot: AnyBot, clock: FakeClock, cid: int, expected: datetime) -> list[str]:
    """What the channel's timer does at its time: the armed time must be ``expected``."""
    armed = bot.timers.when(timer_key(cid))
    assert armed == expected, f"armed for {armed}, expected {expected}"
    clock.set(expected)
    done = await bot.services.pods.run_due(cid)
    await drained(bot)
    return done


def threads(club: Club) -> list[Channel]:
    return sorted(club.guild.threads(club.pods), key=lambda t: t.id)


def thread_of(club: Club, member: Member, after: int = 0) -> Channel:
    """The newest pod thread whose intro mentions ``member``."""
    for thread in reversed(threads(club)):
        if thread.id <= after:
            continue
        for message in thread.history():
            if f"<@{member.user.id}>" in message.content and "👋 **Pod" in message.content:
                return thread
    raise AssertionError(f"no pod thread for {member.user.username}")


def last_in(thread: Channel, text: str) -> Message:
    found = [m for m in thread.history() if text in m.content]
    assert found, f"no {text!r} in {thread.name}: {[m.content[:60] for m in thread.history()]}"
    return found[-1]


async def test_a_full_round_across_zones_then_the_next_matching(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await reply(
            await driver.slash(club.mod, club.general, "timezone server", zone="Europe/London")
        )
        setup = await reply(
            await driver.slash(club.mod, club.general, "pods setup", channel=club.pods, size=2)
        )
        assert setup.ephemeral and "Pods are on" in setup.embeds[0]["title"]
        assert "private thread per pod" in setup.embeds[0]["description"]
        refused = await reply(
            await driver.slash(club.alice, club.general, "pods setup", channel=club.pods)
        )
        assert refused.ephemeral and "Manage Server" in refused.content

        hours = {
            club.alice: ("weekdays 18:00-21:00", "Europe/Berlin"),  # 17–20 UTC
            club.bob: ("weekdays 12:00-16:00", "America/New_York"),  # 17–21 UTC
            club.chen: ("weekdays 07:00-09:00", "Asia/Tokyo"),  # 22–24 UTC the day before
        }
        for member, (when, zone) in hours.items():
            saved = await reply(
                await driver.slash(member, club.general, "availability set", when=when, zone=zone)
            )
            assert saved.ephemeral and "Saved your hours" in saved.content and zone in saved.content
        bad = await reply(
            await driver.slash(club.dana, club.general, "availability set", when="sometimes")
        )
        assert "has no time range" in bad.content and "You wrote: `sometimes`" in bad.content

        for member in (club.alice, club.bob, club.chen, club.dana):
            joined = await reply(await driver.slash(member, club.pods, "pods join"))
            assert joined.ephemeral and "You're in the pods of" in joined.content
        again = await reply(await driver.slash(club.alice, club.pods, "pods join"))
        assert "already in the pods" in again.content
        snooze = await reply(await driver.slash(club.bob, club.pods, "pods snooze", rounds=1000))
        assert "Snooze for 1 to 12 rounds" in snooze.content

        cid = await config_id(database, club)
        # Round 1, matched on Monday 09:00 UTC: Alice and Bob share evenings; Chen and Dana pair.
        assert await tick(bot, clock, cid, ROUND1) == ["start"]
        announce = club.pods.history()[-1]
        assert "Pods · round 1" in announce.content and "4 members in 2 pods" in announce.content
        assert len(threads(club)) == 2 and all(t.type == 12 for t in threads(club))
        ab, cd = thread_of(club, club.alice), thread_of(club, club.chen)
        assert ab.id != cd.id and thread_of(club, club.bob).id == ab.id
        intro = last_in(ab, "👋 **Pod")
        ids = {str(club.alice.user.id), str(club.bob.user.id)}
        assert set(intro.allowed_mentions["users"]) == ids and intro.allowed_mentions["parse"] == []
        # Each member's clock now (Monday 09:00 UTC), and their shared hours as timestamps.
        assert "10:00 now (Europe/Berlin)" in intro.content
        assert "04:00 now (America/New_York)" in intro.content
        assert "Free together this round** (15 h in all" in intro.content
        monday_17 = int(utc(2027, 1, 4, 17).timestamp())
        assert f"<t:{monday_17}:f> – <t:{int(utc(2027, 1, 4, 20).timestamp())}:t>" in intro.content
        cd_intro = last_in(cd, "👋 **Pod")
        assert "18:00 now (Asia/Tokyo)" in cd_intro.content and "zone not set" in cd_intro.content
        assert "/availability set" in cd_intro.content  # Dana has no hours

        # Alice reports early that they met; Dana can't answer for another pod.
        met = await reply(await driver.click(club.alice, intro, "We met"))
        assert met.ephemeral and "met" in met.content

        # One click: the first free time (Monday 17:00 UTC) becomes the pod's weekly session,
        # for the pod's members only, with its card in the pod's thread.
        weekly_button = "Meet weekly at the first free time"
        not_theirs = await reply(await driver.click(club.dana, intro, weekly_button))
        assert not_theirs.ephemeral and "Only the members of Pod" in not_theirs.content
        weekly = await reply(await driver.click(club.bob, intro, weekly_button))
        assert weekly.ephemeral and "weekly** meets every" in weekly.content
        assert f"<t:{monday_17}:F>" in weekly.content
        await drained(bot)
        cards = [m for m in ab.history() if any("weekly" in e.get("title", "") for e in m.embeds)]
        assert len(cards) == 1 and "Going" in str(cards[0].components)
        stranger = await reply(await driver.click(club.dana, intro, "We met"))
        assert "another pod's button" in stranger.content

        # Halfway: only the pod that hasn't met is nudged.
        rnd = await latest_round(database, cid)
        assert await tick(bot, clock, cid, rnd.nudge_at) == ["nudge"]
        assert "halfway through the round" in last_in(cd, "⏰").content
        assert not [m for m in ab.history() if "⏰" in m.content]

        # The last day: every pod is asked. Chen says they didn't meet; Dana never answers.
        assert await tick(bot, clock, cid, rnd.ask_at) == ["ask"]
        ask_ab, ask_cd = last_in(ab, "Did you meet?"), last_in(cd, "Did you meet?")
        assert "We didn't" in [b["label"] for b in ask_cd.buttons]
        await reply(await driver.click(club.bob, ask_ab, "We met"))
        for member in (club.alice, club.bob):
            keep = await reply(await driver.click(member, ask_ab, "Keep this pod"))
            assert "keep Pod" in keep.content
        missed = await reply(await driver.click(club.chen, ask_cd, "We didn't"))
        assert "didn't meet" in missed.content

        # Round 2: Alice and Bob are kept together; Chen and Dana pair again (nobody else).
        assert await tick(bot, clock, cid, rnd.ends_at) == ["close", "start"]
        late = await reply(await driver.click(club.chen, ask_cd, "We met"))
        assert "That round is over" in late.content
        assert "(1 kept together)" in club.pods.history()[-1].content
        rnd2 = await latest_round(database, cid)
        ab2 = thread_of(club, club.alice, after=cd.id)
        assert "kept together" in last_in(ab2, "👋 **Pod").content
        cd2 = thread_of(club, club.dana, after=cd.id)
        assert await tick(bot, clock, cid, rnd2.nudge_at) == ["nudge"]
        assert await tick(bot, clock, cid, rnd2.ask_at) == ["ask"]

        # Eve joins mid-round: she goes straight into a pod with room.
        eve = await reply(await driver.slash(club.eve, club.pods, "pods join"))
        assert "put you in" in eve.content

        # End of round 2: Dana (no answer, her pod didn't meet, twice) is asked whether to
        # pause, and left out of round 3, where Chen is re-matched.
        assert await tick(bot, clock, cid, rnd2.ends_at) == ["close", "start"]
        ask = last_in(cd2, "Shall I pause pods for you?")
        assert ask.allowed_mentions["users"] == [str(club.dana.user.id)]
        not_hers = await reply(await driver.click(club.chen, ask, "Pause me"))
        assert "Only <@" in not_hers.content
        rnd3 = await latest_round(database, cid)
        chen3 = thread_of(club, club.chen, after=cd2.id)
        assert f"<@{club.dana.user.id}>" not in last_in(chen3, "👋 **Pod").content
        stay = await reply(await driver.click(club.dana, ask, "Keep me in"))
        assert "you're in the next round" in stay.content
        me = await reply(await driver.slash(club.dana, club.pods, "pods me"))
        assert "You're in the pods of" in me.content and rnd3.number == 3
    assert problems(club.server, error_log) == []


async def test_public_threads_without_the_private_permission_and_not_again(
    server: LocalDiscord, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    guild = server.add_guild("Plain")  # the default invite: no Create Private Threads
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    pods, mod = guild.add_text_channel("pods"), guild.add_member("mo", roles=[mods])
    ann, ben, cyd = (guild.add_member(n) for n in ("ann", "ben", "cyd"))
    driver = server.driver
    async with sprintbot(server, database, clock=clock) as bot:
        setup = await reply(await driver.slash(mod, pods, "pods setup", channel=pods, size=3))
        assert "public thread per pod" in setup.embeds[0]["description"]
        for m in (ann, ben, cyd):
            await reply(await driver.slash(m, pods, "pods join"))
        secret = await reply(await driver.slash(ann, pods, "pods not-again", member=ben))
        assert secret.ephemeral and "Nobody else is told" in secret.content
        result = await reply(await driver.slash(mod, pods, "pods round-now"))
        assert "Round 1: 2 members in 1 pods; 1 couldn't be placed" in result.content
        await drained(bot)
        (thread,) = guild.threads(pods)
        assert thread.type == 11
        intro = thread.history()[-1].content
        assert not (f"<@{ann.user.id}>" in intro and f"<@{ben.user.id}>" in intro)
        # "Not again" is never shown to anyone: not in the thread, not in the channel.
        everything = " ".join(m.content for c in (pods, thread) for m in c.history())
        assert "not again" not in everything.lower()
        announce = [m for m in pods.history() if "Pods · round 1" in m.content][-1]
        assert "I couldn't place you in a pod this round" in announce.content
        async with database.transaction() as s:
            cid = (await s.execute(select(PodConfig.id))).scalar_one()
        assert bot.timers.when(timer_key(cid)) is not None  # the next round is armed
    assert problems(server, error_log) == []


async def test_a_round_due_while_the_bot_was_down_runs_once_when_it_is_back(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock):
        await reply(await driver.slash(club.mod, club.general, "pods setup", channel=club.pods))
        for member in (club.alice, club.bob):
            await reply(await driver.slash(member, club.pods, "pods join"))
    assert threads(club) == []
    # Down over Monday's round time; back on Tuesday: the round runs once, at start-up.
    clock.set(utc(2027, 1, 5, 12))
    async with sprintbot(club.server, database, clock=clock) as bot:
        await drained(bot)
        rounds = [m for m in club.pods.history() if "Pods · round" in m.content]
        assert len(rounds) == 1 and "round 1" in rounds[0].content
        assert len(threads(club)) == 1
        cid = await config_id(database, club)
        rnd = await latest_round(database, cid)
        assert rnd.starts_at == ROUND1 and bot.timers.when(timer_key(cid)) == rnd.nudge_at
    async with sprintbot(club.server, database, clock=clock) as bot:  # and again: nothing new
        await drained(bot)
        assert len([m for m in club.pods.history() if "Pods · round" in m.content]) == 1
    assert problems(club.server, error_log) == []


async def test_a_deleted_pod_thread_and_a_member_leaving_break_nothing_else(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await reply(await driver.slash(club.mod, club.pods, "pods setup", channel=club.pods))
        six = (club.alice, club.bob, club.chen, club.dana, club.eve, club.mod)
        for member in six:
            await reply(await driver.slash(member, club.pods, "pods join"))
        await reply(await driver.slash(club.mod, club.pods, "pods round-now"))
        await drained(bot)
        assert len(threads(club)) == 3
        gone = thread_of(club, club.alice)
        club.server.world.delete_channel(gone)  # a moderator deletes Alice's pod thread

        # Someone in another pod leaves: their mate moves into the third pod.
        leaver = next(
            m
            for m in (club.chen, club.dana, club.eve, club.mod)
            if thread_of(club, m).id != gone.id
        )
        left = await reply(await driver.slash(leaver, club.pods, "pods leave"))
        assert "You've left the pods" in left.content
        await drained(bot)

        cid = await config_id(database, club)
        rnd = await latest_round(database, cid)
        assert await tick(bot, clock, cid, rnd.nudge_at) == ["nudge"]
        in_channel = [m for m in club.pods.history() if "(its thread is gone)" in m.content]
        assert len(in_channel) == 1 and "halfway through the round" in in_channel[0].content
        done = await reply(await driver.click(club.alice, in_channel[0], "We met"))
        assert "met" in done.content
        # The pods whose threads stand got their nudges there; nobody got two.
        nudged = [t for t in threads(club) if any("⏰" in m.content for m in t.history())]
        assert len(nudged) >= 1
        mentions = [
            u
            for t in nudged
            for m in t.history()
            if "⏰" in m.content
            for u in m.allowed_mentions["users"]
        ]
        assert len(mentions) == len(set(mentions)) and str(leaver.user.id) not in mentions
    assert problems(club.server, error_log) == []
