"""Delivery end to end: the real bot (real discord.py over loopback) against the local server.

Rows are written with ``enqueue`` exactly as services do, then the bot's sender delivers them
within the server's Discord limits (global 50/s, 5 creates/edits per channel per 5 s). Runs on
SQLite and, when SPRINTBOT_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.core import AnyBot, create_bot
from bot.delivery import Outgoing, Priority, enqueue, recent_failures
from bot.delivery.limits import Limits
from bot.delivery.transport import DeliveryRequest, DiscordTransport, Transient
from bot.localdiscord import Channel, Guild, LocalDiscord, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems, running_bot
from db.engine import Database
from db.models import OutboxMessage
from tests.e2e.support import drained, settings_for

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"


@dataclass
class World:
    server: LocalDiscord
    guild: Guild
    channels: list[Channel]


@pytest.fixture
def world(server: LocalDiscord) -> World:
    guild = server.add_guild("Sprint Club")
    return World(server, guild, [guild.add_text_channel(f"room-{i}") for i in range(60)])


@contextlib.asynccontextmanager
async def bot_running(server: LocalDiscord, database: Database) -> AsyncIterator[AnyBot]:
    bot = create_bot(settings_for(server), database=database)
    async with running_bot(server, bot):
        yield bot


async def put(database: Database, *messages: Outgoing) -> list[int]:
    async with database.transaction() as session:
        return [row.id for row in await enqueue(session, *messages)]


async def statuses(database: Database) -> dict[int, str]:
    async with database.transaction() as session:
        rows = await session.execute(select(OutboxMessage.id, OutboxMessage.status))
        return dict(rows.all())


def say(world: World, text: str, channel: Channel | None = None, **kwargs: Any) -> Outgoing:
    target = channel or world.channels[0]
    return Outgoing(
        "send",
        {"content": text, "allowed_mentions": {"parse": []}},
        channel_id=target.id,
        guild_id=world.guild.id,
        **kwargs,
    )


def contents(channel: Channel) -> list[str]:
    return [m.content for m in channel.history()][::-1]


def count(server: LocalDiscord, method: str, route: str) -> int:
    return server.stats.count(method, route)


async def test_storm_of_300_sends_to_60_channels_arrives_without_a_429(
    world: World, database: Database, error_log: DiscordErrorLog
) -> None:
    await put(database, *[say(world, f"m{i}", world.channels[i % 60]) for i in range(300)])
    async with bot_running(world.server, database) as bot:
        await drained(bot, timeout=40)
        stats = bot.delivery.stats
    assert sum(len(c.messages) for c in world.channels) == 300
    assert world.server.stats.rate_limited == 0
    assert stats.sent == 300 and stats.responses_429 == 0
    assert set((await statuses(database)).values()) == {"sent"}
    assert problems(world.server, error_log) == []


async def test_injected_5xx_and_429_answers_are_retried_until_delivered(
    world: World, database: Database, error_log: DiscordErrorLog
) -> None:
    server = world.server
    server.fail_next("POST", MESSAGES, status=500)  # discord.py retries this one itself
    server.fail_next("POST", MESSAGES, status=503)  # discord.py gives up at once: we retry
    server.fail_next("POST", MESSAGES, status=429, count=6, retry_after=0.05)  # > its 5 tries
    await put(database, *[say(world, f"m{i}") for i in range(4)])
    async with bot_running(server, database) as bot:
        await drained(bot, timeout=40)
        stats = bot.delivery.stats
    assert sorted(contents(world.channels[0])) == ["m0", "m1", "m2", "m3"]
    assert stats.retried >= 2
    assert stats.responses_429 == 6
    assert set((await statuses(database)).values()) == {"sent"}
    assert problems(server, error_log) == []


async def test_missing_permission_stops_retrying_and_is_shown_to_managers(
    world: World, database: Database
) -> None:
    locked = world.channels[1]
    world.server.revoke_bot_permission(locked, Perm.SEND_MESSAGES)
    (row_id,) = await put(database, say(world, "hello", locked))
    async with bot_running(world.server, database) as bot:
        await drained(bot)
        bot.wake()
        await drained(bot)
    assert (await statuses(database))[row_id] == "failed"
    assert count(world.server, "POST", MESSAGES) == 1
    assert locked.messages == {}
    async with database.transaction() as session:
        failures = await recent_failures(session, world.guild.id)
    assert len(failures) == 1
    assert failures[0].channel_id == locked.id
    assert "Missing Permissions" in failures[0].reason


async def test_deleted_channel_ends_retries_and_drops_what_was_queued_for_it(
    world: World, database: Database
) -> None:
    doomed = world.channels[2]
    world.server.delete_channel(doomed)
    ids = await put(database, *[say(world, f"m{i}", doomed) for i in range(8)])
    async with bot_running(world.server, database) as bot:
        await drained(bot)
    status = [s for i, s in (await statuses(database)).items() if i in ids]
    # The first few go out together within the channel's budget; the rest are never tried.
    tried = count(world.server, "POST", MESSAGES)
    assert tried <= 5
    assert status.count("failed") == tried and status.count("dropped") == 8 - tried
    async with database.transaction() as session:
        failures = await recent_failures(session, world.guild.id)
    assert [f.channel_id for f in failures] == [doomed.id]
    assert "no longer exists" in failures[0].reason


async def test_card_edits_superseded_while_waiting_for_the_channel_budget_are_not_sent(
    world: World, database: Database, error_log: DiscordErrorLog
) -> None:
    room = world.channels[3]
    async with bot_running(world.server, database) as bot:
        await put(database, say(world, "card v1", room, ref="card:1", priority=Priority.NOTICE))
        await put(database, *[say(world, f"filler {i}", room) for i in range(4)])
        bot.wake()
        async with asyncio.timeout(10):  # the channel's budget (5 per 5 s) is now spent
            while len(room.messages) < 5:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        for version in range(2, 12):
            await put(
                database,
                Outgoing(
                    "edit",
                    {"content": f"card v{version}"},
                    channel_id=room.id,
                    target_ref="card:1",
                    supersede_key="card:1",
                    priority=Priority.CARD,
                    guild_id=world.guild.id,
                ),
            )
            bot.wake()
            await asyncio.sleep(0.05)
        await drained(bot, timeout=20)
        stats = bot.delivery.stats
    assert count(world.server, "PATCH", MESSAGE) == 1
    assert [c for c in contents(room) if c.startswith("card")] == ["card v11"]
    assert (
        stats.superseded + sum(1 for s in (await statuses(database)).values() if s == "superseded")
        >= 9
    )
    assert world.server.stats.rate_limited == 0
    assert problems(world.server, error_log) == []


async def test_announcements_overtake_queued_cosmetic_edits(
    world: World, database: Database
) -> None:
    # 60 cosmetic-priority sends spread over channels, then one announcement: the announcement
    # is among the first few requests although it was written last.
    cosmetic = [
        say(world, f"cosmetic {i}", world.channels[5 + i % 50], priority=Priority.COSMETIC)
        for i in range(60)
    ]
    await put(database, *cosmetic)
    await put(database, say(world, "PHASE CHANGE", world.channels[59]))
    start = len(world.server.requests)
    async with bot_running(world.server, database) as bot:
        await drained(bot, timeout=30)
    posted = [
        r.response.get("content")
        for r in world.server.requests[start:]
        if r.route == MESSAGES and r.method == "POST" and isinstance(r.response, dict)
    ]
    assert posted.index("PHASE CHANGE") == 0


async def test_every_outbox_kind_reaches_its_discord_route(
    world: World, database: Database, error_log: DiscordErrorLog
) -> None:
    room, gid = world.channels[6], world.guild.id
    voice = world.guild.add_voice_channel("Focus Room")
    await put(
        database,
        say(world, "card", room, ref="card:6"),
        Outgoing(
            "edit",
            {"content": "card, edited"},
            channel_id=room.id,
            target_ref="card:6",
            guild_id=gid,
        ),
        Outgoing(
            "thread",
            {"name": "Huddle", "auto_archive_duration": 60},
            channel_id=room.id,
            target_ref="card:6",
            ref="huddle:6",
            guild_id=gid,
        ),
        Outgoing(
            "send",
            {"content": "in the huddle", "allowed_mentions": {"parse": []}},
            channel_ref="huddle:6",
            guild_id=gid,
        ),
        say(world, "temporary", room, ref="temp:6"),
        Outgoing("delete", channel_id=room.id, target_ref="temp:6", guild_id=gid),
        Outgoing("voice_status", {"status": "Work · round 1/4"}, channel_id=voice.id, guild_id=gid),
    )
    async with bot_running(world.server, database) as bot:
        await drained(bot)
        await put(
            database,
            Outgoing("channel_edit", {"archived": True}, channel_ref="huddle:6", guild_id=gid),
        )
        bot.wake()
        await drained(bot)
    assert contents(room) == ["card, edited"]
    (thread,) = world.guild.threads(room)
    assert thread.name == "Huddle" and thread.archived
    assert contents(thread) == ["in the huddle"]
    assert voice.status == "Work · round 1/4"
    assert set((await statuses(database)).values()) == {"sent"}
    assert problems(world.server, error_log) == []


async def test_channel_the_bot_cannot_see_fails_with_missing_access(
    world: World, database: Database
) -> None:
    hidden = world.channels[7]
    world.server.revoke_bot_permission(hidden, Perm.VIEW_CHANNEL)
    (row_id,) = await put(database, say(world, "hello", hidden))
    async with bot_running(world.server, database) as bot:
        await drained(bot)
    assert (await statuses(database))[row_id] == "failed"
    async with database.transaction() as session:
        (failure,) = await recent_failures(session, world.guild.id)
    assert "Missing Access" in failure.reason and failure.channel_id == hidden.id


async def test_network_error_is_a_transient_failure(world: World) -> None:
    limits = Limits()
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    transport = DiscordTransport(http, limits)
    request = DeliveryRequest("send", world.channels[8].id, None, {"content": "x"}, "sbnonce1")
    with world.server.patch_discord():
        await http.static_login(world.server.token)
        try:
            assert await transport.deliver(request)  # reachable: delivered
            await world.server.stop()  # Discord unreachable now
            with pytest.raises(Transient) as caught:
                await transport.deliver(dataclasses.replace(request, nonce="sbnonce2"))
            assert "network error" in caught.value.reason
        finally:
            await http.close()
