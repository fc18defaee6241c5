"""Standing sessions as Discord Guild Scheduled Events, end to end (real discord.py, local server).

The next occurrence of a series exists as a native event (VOICE on its voice channel, else
EXTERNAL with a link to the text channel); it starts with the sprint, completes when it ends,
is cancelled when skipped, and the next week's takes its place. "Interested" counts as Maybe.
Without the permission the series works without an event and its creator is told once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.core import AnyBot
from bot.localdiscord import LocalDiscord, Perm, ScheduledEvent
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.support import drained, sprintbot, until
from tests.e2e.test_sessions import (
    MONDAY_9,
    START,
    Club,
    lines,
    reply,
    schedule,
    series_id,
    tick,
)


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Session Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        quiet=guild.add_text_channel("announcements"),
        focus=guild.add_voice_channel("Focus Room"),
        writers=guild.add_role("writers", 0),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        cat=guild.add_member("cat", global_name="Cat"),
        dan=guild.add_member("dan", global_name="Dan"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def events(club: Club) -> list[ScheduledEvent]:
    return sorted(club.guild.scheduled_events.values(), key=lambda e: e.start)


async def maybe_ids(bot: AnyBot, club: Club, sid: int) -> set[int]:
    view = await bot.services.sessions.show(club.guild.id, sid)
    assert view.next is not None
    return {a.user_id for a in view.next.maybe}


async def test_voice_event_follows_the_occurrence_and_interested_counts_as_maybe(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, voice=club.focus)
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        (event,) = events(club)
        assert (event.name, event.entity_type, event.channel_id) == (
            "Monday writing",
            2,
            club.focus.id,
        )
        assert event.start == MONDAY_9 and event.status == 1
        assert event.end is not None and event.end > event.start

        # Alice clicks "Interested" in Discord: she is a Maybe for that session.
        assert driver.event_interested(club.alice, event)
        await until(lambda: _has(bot, club, sid, club.alice.user.id))
        # Un-clicking takes the Maybe back; a Going member's click changes nothing.
        driver.event_uninterested(club.alice, event)
        await until(lambda: _has(bot, club, sid, club.alice.user.id, present=False))
        driver.event_interested(club.mod, event)  # Mo scheduled it: Going
        await asyncio.sleep(0.3)
        view = await bot.services.sessions.show(club.guild.id, sid)
        assert view.next is not None and club.mod.user.id in {a.user_id for a in view.next.going}
        assert club.mod.user.id not in await maybe_ids(bot, club, sid)

        # 09:00: the sprint starts itself and the event goes ACTIVE.
        await tick(bot, clock, sid, MONDAY_9 - timedelta(minutes=15))
        assert await tick(bot, clock, sid, MONDAY_9) == ["started"]
        await until(lambda: _status(event, 2))
        sprint = await bot.services.sprints.active_in_channel(club.general.id)
        assert sprint is not None
        for uid in sprint.active_ids:
            await bot.services.sprints.leave(sprint.id, uid)
        await drained(bot)
        # It ended: the event is COMPLETED and next week's event is there.
        await until(lambda: _status(event, 3))
        await until(lambda: _count(club, 2))
        nxt = events(club)[-1]
        assert nxt.start == MONDAY_9 + timedelta(days=7) and nxt.status == 1
        assert nxt.channel_id == club.focus.id
    assert problems(club.server, error_log) == []


async def test_external_event_links_the_channel_and_skip_cancels_it(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, title="Daily pages", when="Mon 8:00", repeat="weekdays")
        await drained(bot)
        sid = await series_id(database, "Daily pages")
        (event,) = events(club)
        assert event.entity_type == 3 and event.channel_id is None
        assert event.location == f"https://discord.com/channels/{club.guild.id}/{club.general.id}"
        skipped = await reply(
            await driver.slash(club.mod, club.general, "session skip", session=sid)
        )
        assert skipped.ephemeral and "Skipped" in skipped.content
        await drained(bot)
        await until(lambda: _status(event, 4))
        await until(lambda: _count(club, 2))
        assert events(club)[-1].start == MONDAY_9 - timedelta(hours=1) + timedelta(days=1)
        # Turning the series' event off cancels the next one; nothing new is created.
        off = await reply(
            await driver.slash(club.mod, club.general, "session events", session=sid, setting="off")
        )
        assert off.ephemeral and "no longer shown" in off.content
        await drained(bot)
        assert events(club)[-1].status == 4
    assert problems(club.server, error_log) == []


async def test_without_event_permission_the_creator_is_told_once(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    server, driver = club.server, club.server.driver
    server.world.set_bot_permissions(club.guild, deny=Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS)
    async with sprintbot(server, database, clock=clock) as bot:
        done = await schedule(club)
        assert "Scheduled **Monday writing**" in done.content
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        assert events(club) == []
        (notice,) = lines(club.general, "Manage Events")
        assert f"<@{club.mod.user.id}>" in notice.content
        assert (notice.allowed_mentions or {}).get("users") == [str(club.mod.user.id)]
        # Turning it on without the permission says which one is missing.
        refused = await reply(
            await driver.slash(club.mod, club.general, "session events", session=sid, setting="on")
        )
        assert refused.ephemeral and "Manage Events" in refused.content
        # Someone else may not change the series.
        other = await reply(
            await driver.slash(
                club.alice, club.general, "session events", session=sid, setting="on"
            )
        )
        assert other.ephemeral and "creator" in other.content
        # Once granted, turning it on creates the event; the notice was only sent once.
        server.world.set_bot_permissions(club.guild, allow=Perm.MANAGE_EVENTS)
        await until(lambda: _bot_can(bot, club))
        on = await reply(
            await driver.slash(club.mod, club.general, "session events", session=sid, setting="on")
        )
        assert "now shown" in on.content
        await drained(bot)
        (event,) = events(club)
        assert event.start == MONDAY_9
        assert len(lines(club.general, "Manage Events")) == 1
    assert problems(server, error_log) == []


async def _has(bot: AnyBot, club: Club, sid: int, user_id: int, *, present: bool = True) -> bool:
    await asyncio.sleep(0.05)
    return (user_id in await maybe_ids(bot, club, sid)) is present


async def _status(event: ScheduledEvent, status: int) -> bool:
    return event.status == status


async def _count(club: Club, n: int) -> bool:
    return len(club.guild.scheduled_events) == n


async def _bot_can(bot: AnyBot, club: Club) -> bool:
    return bot.services.session_events.access is not None and bool(
        bot.services.session_events.access.can_manage_events(club.guild.id, None)
    )
