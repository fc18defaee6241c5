"""Guild scheduled events on the local server, through a real discord.py client.

Routes, status transitions, placement rules and permissions as Discord documents them (and its
OpenAPI spec describes them), the gateway dispatches, and the driver's "Interested" clicks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import discord
import pytest
from discord.ext import commands

from bot.localdiscord import LocalDiscord, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems, running_bot

from . import openapi
from .conftest import Seeded


class EventBot(commands.Bot):
    """Sprintbot's own intents (no members intent) plus scheduled events."""

    def __init__(self, *, members: bool = False, events: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        intents.guild_scheduled_events = events
        intents.members = members
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.seen: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.seen.put_nowait(("create", event.name))

    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        self.seen.put_nowait(("update", after.status))

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        self.seen.put_nowait(("delete", event.id))

    async def on_scheduled_event_user_add(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        self.seen.put_nowait(("user_add", (event.id, user.id)))

    async def on_scheduled_event_user_remove(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        self.seen.put_nowait(("user_remove", (event.id, user.id)))

    async def on_socket_event_type(self, event_type: str) -> None:
        if event_type.startswith("GUILD_SCHEDULED_EVENT_USER"):
            self.seen.put_nowait(("raw", event_type))

    async def next(self, kind: str) -> object:
        while True:
            seen, value = await asyncio.wait_for(self.seen.get(), 3.0)
            if seen == kind:
                return value


@pytest.fixture
async def bot(
    server: LocalDiscord, seeded: Seeded, error_log: DiscordErrorLog
) -> AsyncIterator[EventBot]:
    sample = EventBot(members=True)
    async with running_bot(server, sample):
        yield sample
    assert problems(server, error_log) == []


def later(hours: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def parts(bot: EventBot, seeded: Seeded) -> tuple[discord.Guild, discord.VoiceChannel]:
    guild = bot.get_guild(seeded.guild.id)
    focus = bot.get_channel(seeded.focus.id)
    assert guild is not None and isinstance(focus, discord.VoiceChannel)
    return guild, focus


async def voice_event(guild: discord.Guild, focus: discord.VoiceChannel) -> discord.ScheduledEvent:
    return await guild.create_scheduled_event(
        name="Monday sprint",
        start_time=later(),
        channel=focus,
        entity_type=discord.EntityType.voice,
        privacy_level=discord.PrivacyLevel.guild_only,
    )


def expect_bad_payload(server: LocalDiscord, field: str) -> None:
    """The server recorded exactly this refused payload (then forget it: it was the point)."""
    assert [e.detail for e in server.errors if field in e.detail], server.errors
    server.errors.clear()


# -- lifecycle ----------------------------------------------------------------------------------


async def test_voice_event_goes_scheduled_active_completed(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    assert await bot.next("create") == "Monday sprint"
    assert event.status is discord.EventStatus.scheduled
    assert event.channel_id == focus.id
    started = await event.start()
    assert started.status is discord.EventStatus.active
    assert await bot.next("update") is discord.EventStatus.active
    ended = await started.end()
    assert ended.status is discord.EventStatus.completed
    assert await bot.next("update") is discord.EventStatus.completed
    assert seeded.guild.scheduled_events[event.id].status == 3
    with pytest.raises(discord.HTTPException) as finished:
        await ended.edit(name="again")
    assert finished.value.code == 180000


async def test_external_event_with_location_edits_starts_and_cancels(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, _ = parts(bot, seeded)
    start = later()
    event = await guild.create_scheduled_event(
        name="Writing hour",
        start_time=start,
        end_time=start + timedelta(minutes=50),
        entity_type=discord.EntityType.external,
        location="#general",
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert event.location == "#general" and event.channel_id is None
    # discord.py sends channel_id: null with every edit of an external event; Discord keeps
    # the location.
    moved = await event.edit(
        name="Writing hour (moved)",
        start_time=start + timedelta(hours=1),
        end_time=start + timedelta(hours=1, minutes=50),
    )
    assert moved.location == "#general"
    assert moved.start_time == start + timedelta(hours=1)
    cancelled = await moved.cancel()
    assert cancelled.status is discord.EventStatus.cancelled
    assert seeded.guild.scheduled_events[event.id].status == 4


async def test_status_moves_only_forward(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    # discord.py's end() and cancel() check the status first; edit() sends it as asked.
    with pytest.raises(discord.HTTPException):
        await event.edit(status=discord.EventStatus.completed)  # SCHEDULED → COMPLETED
    expect_bad_payload(server, "status")
    active = await event.start()
    with pytest.raises(discord.HTTPException):
        await active.edit(status=discord.EventStatus.cancelled)  # ACTIVE → CANCELED
    expect_bad_payload(server, "status")


async def test_external_event_needs_location_and_end_and_end_after_start(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, _ = parts(bot, seeded)
    start = later()
    route = f"/guilds/{guild.id}/scheduled-events"
    http = bot.http
    body = {
        "name": "No place",
        "privacy_level": 2,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "entity_type": 3,
    }
    for broken, field in (
        ({**body, "entity_metadata": {}}, "entity_metadata.location"),
        ({**body, "entity_metadata": {"location": "x"}, "scheduled_end_time": None}, "end_time"),
        (
            {
                **body,
                "entity_metadata": {"location": "x"},
                "scheduled_end_time": (start - timedelta(minutes=1)).isoformat(),
            },
            "scheduled_end_time",
        ),
    ):
        with pytest.raises(discord.HTTPException) as refused:
            await http.request(discord.http.Route("POST", route, guild_id=guild.id), json=broken)
        assert refused.value.code == 50035
        expect_bad_payload(server, field)
    assert seeded.guild.scheduled_events == {}


async def test_list_and_get_give_user_count_only_when_asked(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    server.driver.event_interested(seeded.alice, event.id)
    plain = await bot.http.get_scheduled_event(guild.id, event.id, with_user_count=False)
    assert "user_count" not in plain
    counted = await guild.fetch_scheduled_event(event.id, with_counts=True)
    assert counted.user_count == 1
    (listed,) = await guild.fetch_scheduled_events(with_counts=True)
    assert listed.user_count == 1


# -- permissions --------------------------------------------------------------------------------


async def test_without_create_or_manage_events_the_bot_gets_403(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    server.world.set_bot_permissions(seeded.guild, deny=Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS)
    with pytest.raises(discord.Forbidden) as refused:
        await voice_event(guild, focus)
    assert refused.value.code == 50013
    assert seeded.guild.scheduled_events == {}


async def test_create_events_alone_manages_the_bots_own_events(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    server.world.set_bot_permissions(seeded.guild, deny=Perm.MANAGE_EVENTS)
    server.world.set_bot_permissions(seeded.guild, allow=Perm.CREATE_EVENTS)
    event = await voice_event(guild, focus)
    started = await event.start()
    assert started.status is discord.EventStatus.active


async def test_a_channel_overwrite_denying_events_refuses_a_voice_event_there(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    server.world.set_bot_permissions(seeded.focus, deny=Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS)
    await asyncio.sleep(0.05)
    with pytest.raises(discord.Forbidden):
        await voice_event(guild, focus)
    # An external event, not tied to the channel, is still allowed.
    await guild.create_scheduled_event(
        name="Elsewhere",
        start_time=later(),
        end_time=later(2),
        entity_type=discord.EntityType.external,
        location="#general",
        privacy_level=discord.PrivacyLevel.guild_only,
    )


# -- "Interested" -------------------------------------------------------------------------------


async def test_interested_clicks_are_dispatched_and_listed(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    stored = seeded.guild.scheduled_events[event.id]
    assert server.driver.event_interested(seeded.alice, stored) is True
    assert await bot.next("user_add") == (event.id, seeded.alice.id)
    assert server.driver.event_interested(seeded.alice, stored) is False  # already
    assert server.driver.event_interested(seeded.bob, event.id) is True
    assert await bot.next("user_add") == (event.id, seeded.bob.id)
    users = [u async for u in event.users()]
    assert sorted(u.id for u in users) == sorted([seeded.alice.id, seeded.bob.id])
    assert server.driver.event_uninterested(seeded.alice, event.id) is True
    assert await bot.next("user_remove") == (event.id, seeded.alice.id)
    assert [u.id async for u in event.users()] == [seeded.bob.id]
    assert server.driver.event_uninterested(seeded.alice, event.id) is False


async def test_interested_in_a_finished_or_unknown_event_is_refused(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    from bot.localdiscord import CommandRejected

    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    await event.cancel()
    with pytest.raises(CommandRejected, match="finished"):
        server.driver.event_interested(seeded.alice, event.id)
    with pytest.raises(CommandRejected, match="no scheduled event"):
        server.driver.event_interested(seeded.alice, 12345)


async def test_user_events_need_the_scheduled_events_intent(
    server: LocalDiscord, seeded: Seeded, error_log: DiscordErrorLog
) -> None:
    without = EventBot(events=False)
    async with running_bot(server, without):
        guild, focus = parts(without, seeded)
        event = await voice_event(guild, focus)
        server.driver.event_interested(seeded.alice, event.id)
        await asyncio.sleep(0.2)
        assert without.seen.empty()
    assert problems(server, error_log) == []


async def test_without_members_intent_guild_create_lists_only_bot_and_voice_members(
    server: LocalDiscord, seeded: Seeded, error_log: DiscordErrorLog
) -> None:
    server.driver.voice_join(seeded.bob, seeded.focus)
    plain = EventBot(members=False)
    async with running_bot(server, plain):
        guild = plain.get_guild(seeded.guild.id)
        assert guild is not None
        assert guild.member_count == len(seeded.guild.members)
        assert {m.id for m in guild.members} == {server.world.bot.id, seeded.bob.id}
        # A user-add for a member the client has not cached still reaches the socket.
        event = await voice_event(*parts(plain, seeded))
        server.driver.event_interested(seeded.alice, event.id)
        assert await plain.next("raw") == "GUILD_SCHEDULED_EVENT_USER_ADD"
    assert problems(server, error_log) == []


def test_event_routes_are_in_the_spec() -> None:
    base = "/guilds/{guild_id}/scheduled-events"
    for method, route in (
        ("GET", base),
        ("POST", base),
        ("GET", base + "/{guild_scheduled_event_id}"),
        ("PATCH", base + "/{guild_scheduled_event_id}"),
        ("DELETE", base + "/{guild_scheduled_event_id}"),
        ("GET", base + "/{guild_scheduled_event_id}/users"),
    ):
        assert openapi.operation(method, route) is not None, (method, route)


async def test_event_responses_match_the_spec(
    bot: EventBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild, focus = parts(bot, seeded)
    event = await voice_event(guild, focus)
    server.driver.event_interested(seeded.alice, event.id)
    [u async for u in event.users()]
    await guild.fetch_scheduled_events(with_counts=True)
    await guild.fetch_scheduled_event(event.id, with_counts=True)
    start = later()
    external = await guild.create_scheduled_event(
        name="Out",
        start_time=start,
        end_time=start + timedelta(hours=1),
        entity_type=discord.EntityType.external,
        location="#general",
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    await (await external.start()).end()
    await event.delete()
    found = []
    for record in server.requests:
        if "scheduled-events" in record.route and record.status != 429:
            found += openapi.response_problems(
                record.method, record.route, record.status, record.response
            )
    assert found == []
