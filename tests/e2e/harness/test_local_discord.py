"""The local Discord server and driver, exercised by a small real discord.py bot."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.localdiscord import CommandRejected, LocalDiscord, Perm
from bot.localdiscord.render import render_message, render_timestamps
from bot.localdiscord.testing import DiscordErrorLog, problems, running_bot

from . import openapi
from .conftest import Seeded

GOALS = ["draft chapter", "drain the inbox", "review PRs", "write tests"]


# -- the sample bot --------------------------------------------------------------------------


class JoinView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", custom_id="sprint:join", style=discord.ButtonStyle.success)
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button[JoinView]) -> None:
        await interaction.response.send_message(f"{interaction.user.name} joined", ephemeral=True)

    @discord.ui.button(label="Pause", custom_id="sprint:pause")
    async def pause(self, interaction: discord.Interaction, _: discord.ui.Button[JoinView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Paused")

    @discord.ui.button(label="End", custom_id="sprint:end", style=discord.ButtonStyle.danger)
    async def end(self, interaction: discord.Interaction, _: discord.ui.Button[JoinView]) -> None:
        await interaction.response.edit_message(content="Sprint ended", view=None)


class CheckinModal(discord.ui.Modal, title="Check in"):
    how = discord.ui.TextInput(label="How did it go?", custom_id="checkin:how", max_length=200)
    next_goal = discord.ui.TextInput(label="Next goal", required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        who, how, later = interaction.user.name, self.how.value, self.next_goal.value
        await interaction.response.send_message(f"Check-in from {who}: {how} / next: {later}")


class Sprint(app_commands.Group):
    """Group work sprints."""

    @app_commands.command()
    @app_commands.describe(work="Minutes of work", rounds="How many rounds")
    async def start(
        self,
        interaction: discord.Interaction,
        work: app_commands.Range[int, 5, 90] = 25,
        rounds: int = 4,
    ) -> None:
        """Start a sprint."""
        embed = discord.Embed(title="Sprint", description=f"{work} min × {rounds}")
        await interaction.response.send_message(
            f"Sprint starting, ends <t:{1700000000 + work * 60}:R>", embed=embed, view=JoinView()
        )

    @app_commands.command()
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the sprint status (slowly)."""
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(embed=discord.Embed(title="Status", description="2 left"))

    @app_commands.command()
    async def nudge(self, interaction: discord.Interaction) -> None:
        """Answer at once, then follow up a moment later."""
        await interaction.response.send_message("Nudging the room…")
        await asyncio.sleep(0.2)
        await interaction.followup.send("Nudged.", ephemeral=True)


class SampleBot(commands.Bot):
    def __init__(self, **options: object) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        intents.members = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.seen: list[discord.Message] = []
        self.events: dict[str, asyncio.Queue[object]] = {}

    def event_queue(self, name: str) -> asyncio.Queue[object]:
        return self.events.setdefault(name, asyncio.Queue())

    async def setup_hook(self) -> None:
        self.tree.add_command(Sprint())
        self.tree.add_command(done)
        self.tree.add_command(checkin)
        self.tree.add_command(whois)
        self.add_view(JoinView())

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.event_queue("thread_create").put_nowait(thread)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        self.event_queue("voice").put_nowait((member.name, after.channel))

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.event_queue("event").put_nowait(event.name)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.event_queue("channel_delete").put_nowait(channel.id)


@app_commands.command()
async def done(interaction: discord.Interaction, goal: str) -> None:
    """Mark a goal done."""
    await interaction.response.send_message(f"Marked {goal!r} done", ephemeral=True)


@done.autocomplete("goal")
async def goal_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=g, value=g) for g in GOALS if g.startswith(current)]


@app_commands.command()
async def checkin(interaction: discord.Interaction) -> None:
    """Check in after a sprint."""
    await interaction.response.send_modal(CheckinModal())


@app_commands.command()
async def whois(
    interaction: discord.Interaction, member: discord.Member, where: discord.TextChannel
) -> None:
    """Describe a member."""
    await interaction.response.send_message(f"{member.display_name} in #{where.name}")


@pytest.fixture
async def bot(
    server: LocalDiscord, seeded: Seeded, error_log: DiscordErrorLog
) -> AsyncIterator[SampleBot]:
    sample = SampleBot()
    async with running_bot(server, sample):
        await sample.tree.sync()
        yield sample
    assert problems(server, error_log) == []


async def next_event(bot: SampleBot, name: str) -> object:
    return await asyncio.wait_for(bot.event_queue(name).get(), 3.0)


def bot_channel(bot: SampleBot, seeded: Seeded, name: str) -> discord.TextChannel:
    channel = bot.get_channel(seeded.guild.channel(name).id)
    assert isinstance(channel, discord.TextChannel)
    return channel


# -- connecting ------------------------------------------------------------------------------


async def test_login_ready_and_guild_create_fill_the_cache(bot: SampleBot, seeded: Seeded) -> None:
    guild = bot.get_guild(seeded.guild.id)
    assert guild is not None and bot.user is not None
    assert bot.user.name == "Sprintbot"
    assert guild.member_count == len(guild.members) == 4
    assert {c.name for c in guild.channels} == {"general", "Focus Room", "goals"}
    assert isinstance(guild.get_channel(seeded.focus.id), discord.VoiceChannel)
    assert isinstance(guild.get_channel(seeded.goals.id), discord.ForumChannel)
    assert guild.get_member(seeded.alice.id).display_name == "Alice"  # type: ignore[union-attr]
    assert guild.me.guild_permissions.manage_channels


async def test_sync_stores_commands_as_discord_returns_them(
    bot: SampleBot, server: LocalDiscord
) -> None:
    fetched = await bot.tree.fetch_commands()
    assert {c.name for c in fetched} == {"sprint", "done", "checkin", "whois"}
    sprint = server.world.global_commands["sprint"]
    assert [o["name"] for o in sprint["options"]] == ["start", "status", "nudge"]
    assert sprint["options"][0]["options"][0]["max_value"] == 90


async def test_shards_get_only_their_guilds(
    server: LocalDiscord, error_log: DiscordErrorLog
) -> None:
    guilds = [server.add_guild(f"guild {i}", shard=(i % 2, 2)) for i in range(4)]
    on_shard = {s: [g.id for g in guilds if (g.id >> 22) % 2 == s] for s in (0, 1)}
    assert len(on_shard[0]) == len(on_shard[1]) == 2
    first, second = SampleBot(shard_id=0, shard_count=2), SampleBot(shard_id=1, shard_count=2)
    async with running_bot(server, first), running_bot(server, second):
        assert sorted(g.id for g in first.guilds) == sorted(on_shard[0])
        assert sorted(g.id for g in second.guilds) == sorted(on_shard[1])
    assert problems(server, error_log) == []


# -- slash commands --------------------------------------------------------------------------


async def test_slash_command_round_trip(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(seeded.alice, seeded.general, "sprint start", work=30)
    message = await result.message()
    assert message.content.startswith("Sprint starting")
    assert message.embeds[0]["description"] == "30 min × 4"
    assert [b["label"] for b in message.buttons] == ["Join", "Pause", "End"]
    assert not result.ephemeral
    options = result.payload["data"]["options"][0]["options"]
    assert options == [{"name": "work", "type": 4, "value": 30}]
    await server.driver.wait_for_message(seeded.general, "Sprint starting")
    await asyncio.sleep(0.05)
    assert any(m.id == message.id for m in bot.seen), "MESSAGE_CREATE reached the bot"


async def test_ephemeral_reply_is_only_visible_to_the_invoker(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(seeded.alice, seeded.general, "done", goal="write tests")
    reply = await result.message()
    assert result.ephemeral and reply.content == "Marked 'write tests' done"
    driver = server.driver
    assert reply in driver.transcript(seeded.general, viewer=seeded.alice)
    assert reply not in driver.transcript(seeded.general, viewer=seeded.bob)
    assert reply not in driver.transcript(seeded.general)
    found = await driver.wait_for_message(seeded.general, "Marked", user=seeded.alice)
    assert found is reply
    await asyncio.sleep(0.05)
    assert all(m.id != reply.id for m in bot.seen), "ephemeral messages are never broadcast"


async def test_deferred_response_is_filled_by_the_first_followup(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(seeded.bob, seeded.general, "sprint status")
    message = await result.message()
    assert result.deferred
    assert message.embeds[0]["title"] == "Status" and not message.loading
    assert await result.followups(count=0) == []


async def test_followups_sees_a_followup_that_arrives_while_it_waits(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(seeded.bob, seeded.general, "sprint nudge")
    assert (await result.message()).content == "Nudging the room…"
    assert result.state.followup_ids == []  # still to come: followups() waits for it
    (nudged,) = await result.followups(count=1, timeout=3)
    assert nudged.content == "Nudged." and nudged.ephemeral


async def test_resolved_options_reach_the_command(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(
        seeded.alice, seeded.general, "whois", member=seeded.bob, where="general"
    )
    assert (await result.message()).content == "bob in #general"
    resolved = result.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "channels"}


@pytest.mark.parametrize(
    ("command", "options", "reason"),
    [
        ("sprnt start", {}, "unknown command"),
        ("sprint begin", {}, "no subcommand"),
        ("sprint", {}, "needs a subcommand"),
        ("sprint start", {"wrk": 5}, "unknown option"),
        ("sprint start", {"work": "lots"}, "expects an integer"),
        ("sprint start", {"work": 500}, "between 5 and 90"),
        ("done", {}, "missing required"),
        ("whois", {"member": "nobody", "where": "general"}, "cannot resolve"),
        ("whois", {"member": "bob", "where": "Focus Room"}, "not allowed"),
    ],
)
async def test_invalid_invocations_are_rejected_like_a_client_would(
    bot: SampleBot,
    server: LocalDiscord,
    seeded: Seeded,
    command: str,
    options: dict[str, object],
    reason: str,
) -> None:
    with pytest.raises(CommandRejected, match=reason):
        await server.driver.slash(seeded.alice, seeded.general, command, **options)


# -- components, modals, autocomplete --------------------------------------------------------


async def test_button_click_and_message_update(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    driver = server.driver
    message = await (await driver.slash(seeded.alice, seeded.general, "sprint start")).message()
    joined = await (await driver.click(seeded.bob, message, "Join")).message()
    assert joined.content == "bob joined" and joined.ephemeral_for == seeded.bob.id
    paused = await driver.click(seeded.alice, message, "Pause")
    assert (await paused.message()).id == message.id and paused.deferred
    await driver.wait_for_message(seeded.general, lambda m: m.content == "Paused")
    await driver.click(seeded.alice, message, "sprint:end")
    ended = await driver.wait_for_message(seeded.general, "Sprint ended")
    assert ended.id == message.id and ended.buttons == []
    with pytest.raises(CommandRejected, match="no button"):
        await driver.click(seeded.alice, ended, "Join")


async def test_modal_submit(bot: SampleBot, server: LocalDiscord, seeded: Seeded) -> None:
    driver = server.driver
    opened = await driver.slash(seeded.alice, seeded.general, "checkin")
    modal = await opened.modal()
    assert modal["title"] == "Check in"
    with pytest.raises(CommandRejected, match="required"):
        await driver.submit_modal(seeded.alice, opened, {"Next goal": "rest"})
    submitted = await driver.submit_modal(
        seeded.alice, opened, {"How did it go?": "great", "Next goal": "rest"}
    )
    reply = await submitted.message()
    assert reply.content == "Check-in from alice: great / next: rest"


async def test_autocomplete_offers_the_bots_choices(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    choices = await server.driver.autocomplete(seeded.alice, seeded.general, "done", "goal", "dra")
    assert [c["name"] for c in choices] == ["draft chapter", "drain the inbox"]


# -- threads ---------------------------------------------------------------------------------


async def test_thread_from_message_and_forum_post(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    starter = await general.send("Sprint thread below")
    thread = await starter.create_thread(name="Sprint chat")
    assert thread.id == starter.id
    created = await next_event(bot, "thread_create")
    assert isinstance(created, discord.Thread) and created.id == thread.id
    await thread.send("in the thread")
    stored = server.world.channels[thread.id]
    assert [m.content for m in server.driver.transcript(stored)] == ["in the thread"]

    forum = bot.get_channel(seeded.goals.id)
    assert isinstance(forum, discord.ForumChannel)
    post = await forum.create_thread(
        name="Week 1 goals", content="Post your goals", applied_tags=[forum.available_tags[0]]
    )
    assert post.thread.id == post.message.id
    assert server.driver.transcript(server.world.channels[post.thread.id])[0].content == (
        "Post your goals"
    )
    await post.thread.edit(archived=True)
    assert server.world.channels[post.thread.id].archived


# -- Discord's behaviour: limits, nonces, permissions, faults, resume ------------------------


async def test_burst_of_sends_gets_429s_that_discord_py_retries(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    rooms = [seeded.guild.add_text_channel(f"room-{i}") for i in range(50)]
    await asyncio.sleep(0.1)  # CHANNEL_CREATEs reach the bot
    targets = [bot.get_channel(r.id) for r in rooms]
    sends = [t.send(f"message {i}") for t in targets for i in range(4)]  # type: ignore[union-attr]
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    stats = server.stats
    assert stats.rate_limited > 0
    creates = stats.count("POST", "/channels/{channel_id}/messages")
    assert creates == 200 + stats.rate_limited, "every 429 was retried"
    assert sum(len(r.messages) for r in rooms) == 200


async def test_nonce_with_enforce_nonce_returns_the_earlier_message(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    first = await general.send("only once", nonce="outbox-42")
    second = await general.send("only once", nonce="outbox-42")
    assert first.id == second.id
    assert len(server.driver.transcript(seeded.general)) == 1


async def test_missing_permissions_raise_forbidden(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    server.revoke_bot_permission(seeded.general, Perm.EMBED_LINKS)
    with pytest.raises(discord.Forbidden) as embeds:
        await general.send(embed=discord.Embed(title="nope"))
    assert embeds.value.code == 50013
    server.revoke_bot_permission(seeded.guild, Perm.SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as sending:
        await general.send("nope")
    assert sending.value.code == 50013
    server.revoke_bot_permission(seeded.general, Perm.VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as viewing:
        await general.fetch_message(1)
    assert viewing.value.code == 50001


async def test_injected_500_is_retried_and_503_raises(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    server.fail_next("POST", "/channels/{channel_id}/messages", status=500)
    await general.send("after a 500")
    statuses = [r.status for r in server.requests if r.method == "POST" and "messages" in r.route]
    assert statuses == [500, 200]
    server.fail_next("POST", re.compile(r"/messages$"), status=503)
    with pytest.raises(discord.DiscordServerError):
        await general.send("lost")
    server.fail_next("*", "/channels/{channel_id}/messages", status=429, retry_after=0.05)
    await general.send("after a 429")
    assert server.stats.rate_limited == 1


async def test_invalid_bodies_are_rejected_and_recorded(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    with pytest.raises(discord.HTTPException) as too_long:
        await general.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert [e.kind for e in server.errors] == ["bad_payload"]
    server.errors.clear()


async def test_dropped_gateway_resumes_and_replays_the_gap(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    assert await server.drop_gateway() == 1
    sent = await server.driver.send_message(seeded.alice, seeded.general, "said during the gap")
    await server.gateway.wait_for(lambda: server.gateway.stats.resumes == 1, within=5)
    for _ in range(100):
        if any(m.id == sent.id for m in bot.seen):
            break
        await asyncio.sleep(0.02)
    seen = [m for m in bot.seen if m.id == sent.id]
    assert seen and seen[0].content == "said during the gap"
    assert server.gateway.stats.identifies == 1


async def test_gateway_protocol_edges(server: LocalDiscord, seeded: Seeded) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(server.gateway_url + "?v=10&encoding=json") as ws:
            assert (await ws.receive_json())["op"] == 10
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json(
                {"op": 6, "d": {"token": server.token, "session_id": "gone", "seq": 3}}
            )
            assert await ws.receive_json() == {"op": 9, "d": False}
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1}})
            closing = await ws.receive()
            assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004
        async with http.ws_connect(server.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 2, "d": {"token": server.token, "intents": 1}})
            ready = await ws.receive_json()
            create = await ws.receive_json()
            assert ready["t"] == "READY" and ready["s"] == 1
            assert ready["d"]["resume_gateway_url"] == server.gateway_url
            assert create["t"] == "GUILD_CREATE" and create["s"] == 2
            guild = create["d"]
            assert guild["member_count"] == 4
            # Without the GUILD_MEMBERS intent Discord lists the bot and voice members only.
            assert [m["user"]["id"] for m in guild["members"]] == [str(server.world.bot.id)]
            assert guild["unavailable"] is False
            server.driver.voice_join(seeded.alice, seeded.focus)  # needs GUILD_VOICE_STATES
            server.world.update_channel(seeded.general, {"topic": "new"})
            update = await ws.receive_json()
            assert (update["t"], update["s"]) == ("CHANNEL_UPDATE", 3)


async def test_interaction_callback_errors(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    result = await server.driver.slash(seeded.alice, seeded.general, "done", goal="review PRs")
    await result.response()
    url = f"{server.api_base_url}/interactions/{result.id}/{result.state.token}/callback"
    body = {"type": 4, "data": {"content": "again"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body) as again:
            assert again.status == 400 and (await again.json())["code"] == 40060
        async with http.post(url.replace(str(result.id), "1"), json=body) as unknown:
            assert unknown.status == 404 and (await unknown.json())["code"] == 10062
        async with http.get(f"{server.api_base_url}/nope", headers=_auth(server)) as missing:
            assert missing.status == 404
    assert [e.kind for e in server.errors] == ["unknown_route"]
    server.errors.clear()


def _auth(server: LocalDiscord) -> dict[str, str]:
    return {"Authorization": f"Bot {server.token}"}


# -- voice, events, channels -----------------------------------------------------------------


async def test_voice_states_and_voice_channel_status(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    server.driver.voice_join(seeded.alice, seeded.focus)
    name, channel = await next_event(bot, "voice")  # type: ignore[misc]
    assert name == "alice" and channel.id == seeded.focus.id
    server.driver.voice_leave(seeded.alice)
    assert await next_event(bot, "voice") == ("alice", None)
    focus = bot.get_channel(seeded.focus.id)
    assert isinstance(focus, discord.VoiceChannel)
    await focus.edit(status="Sprint 2 of 4")
    assert seeded.focus.status == "Sprint 2 of 4"


async def test_scheduled_event_lifecycle(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    guild = bot.get_guild(seeded.guild.id)
    focus = bot.get_channel(seeded.focus.id)
    assert guild is not None and isinstance(focus, discord.VoiceChannel)
    start = datetime.now(UTC) + timedelta(hours=1)
    event = await guild.create_scheduled_event(
        name="Weekly sprint",
        start_time=start,
        channel=focus,
        entity_type=discord.EntityType.voice,
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert await next_event(bot, "event") == "Weekly sprint"
    edited = await event.edit(name="Weekly sprint (moved)", start_time=start + timedelta(hours=1))
    assert edited.name == "Weekly sprint (moved)"
    assert [e.name for e in await guild.fetch_scheduled_events()] == ["Weekly sprint (moved)"]
    await event.delete()
    assert seeded.guild.scheduled_events == {}


async def test_deleted_channel_is_dispatched_and_then_unknown(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    general = bot_channel(bot, seeded, "general")
    server.delete_channel(seeded.general)
    assert await next_event(bot, "channel_delete") == seeded.general.id
    with pytest.raises(discord.NotFound) as gone:
        await general.send("anyone?")
    assert gone.value.code == 10003


async def test_history_pages_like_discord(bot: SampleBot, seeded: Seeded) -> None:
    general = bot_channel(bot, seeded, "general")
    # Four: the fifth send in 5 s exhausts the channel bucket and discord.py sleeps it off.
    sent = [await general.send(f"m{i}") for i in range(4)]
    latest = [m.content async for m in general.history(limit=3)]
    assert latest == ["m3", "m2", "m1"]
    after = [m.content async for m in general.history(after=sent[0], limit=2)]
    assert after == ["m1", "m2"]
    around = [m.content async for m in general.history(around=sent[1], limit=3)]
    assert sorted(around) == ["m0", "m1", "m2"]


# -- schema conformance ----------------------------------------------------------------------


# Routes the server serves although the spec lacks them. Empty: PUT /channels/{id}/voice-status,
# which discord.py calls for VoiceChannel.edit(status=...), is in the spec
# (update_voice_channel_status).
NOT_IN_SPEC: set[tuple[str, str]] = set()


def test_every_implemented_route_is_in_the_spec(server: LocalDiscord) -> None:
    missing = {(m, r) for m, r in server.routes if openapi.operation(m, r) is None}
    assert missing == NOT_IN_SPEC
    assert openapi.operation("PUT", "/channels/{channel_id}/voice-status") is not None


async def test_recorded_responses_match_the_spec(
    bot: SampleBot, server: LocalDiscord, seeded: Seeded
) -> None:
    await _broad_scenario(bot, server, seeded)
    checked = set()
    problems_found = []
    for record in server.requests:
        if record.status == 429:
            continue
        problems_found += [
            f"{record.method} {record.route} {record.status}: {p}"
            for p in openapi.response_problems(
                record.method, record.route, record.status, record.response
            )
        ]
        checked.add((record.method, record.route))
    assert problems_found == []
    assert len(checked) >= 30, sorted(checked)


async def _broad_scenario(bot: SampleBot, server: LocalDiscord, seeded: Seeded) -> None:
    """Touch (nearly) every route, including error answers."""
    general = bot_channel(bot, seeded, "general")
    guild = bot.get_guild(seeded.guild.id)
    assert guild is not None
    await bot.tree.sync(guild=guild)
    await bot.tree.fetch_commands(guild=guild)
    await bot.tree.fetch_commands()
    await bot.fetch_guild(guild.id)
    await guild.fetch_channels()
    await guild.fetch_member(seeded.alice.id)
    await guild.fetch_roles()
    [m async for m in guild.fetch_members(limit=10)]
    await bot.fetch_channel(general.id)
    await general.edit(topic="Sprints all day")
    message = await general.send(
        "hello", file=discord.File(io.BytesIO(b"data"), filename="notes.txt")
    )
    await message.edit(content="hello again", attachments=[])
    await general.fetch_message(message.id)
    [m async for m in general.history(limit=5)]
    async with general.typing():
        pass
    thread = await message.create_thread(name="chat")
    await thread.join()
    await thread.edit(archived=True)
    standalone = await general.create_thread(name="side", type=discord.ChannelType.public_thread)
    await standalone.leave()
    forum = bot.get_channel(seeded.goals.id)
    assert isinstance(forum, discord.ForumChannel)
    await forum.create_thread(name="post", content="first")
    focus = bot.get_channel(seeded.focus.id)
    assert isinstance(focus, discord.VoiceChannel)
    await focus.edit(status="busy")
    event = await guild.create_scheduled_event(
        name="Later",
        start_time=datetime.now(UTC) + timedelta(days=1),
        channel=focus,
        entity_type=discord.EntityType.voice,
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    await guild.fetch_scheduled_event(event.id)
    await guild.fetch_scheduled_events()
    await event.edit(name="Later still")
    await event.delete()
    await _interaction_routes(bot, server, seeded)
    doomed = seeded.guild.add_text_channel("doomed")
    await asyncio.sleep(0.05)
    await bot.get_channel(doomed.id).delete()  # type: ignore[union-attr]
    await message.delete()
    for failing in (general.fetch_message(1), bot.fetch_channel(1)):
        with pytest.raises(discord.NotFound):
            await failing


async def _interaction_routes(bot: SampleBot, server: LocalDiscord, seeded: Seeded) -> None:
    result = await server.driver.slash(seeded.alice, seeded.general, "sprint status")
    await result.message()
    state = result.state
    base = f"{server.api_base_url}/webhooks/{server.world.application_id}/{state.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}?wait=true", json={"content": "more"}) as followup:
            extra = await followup.json()
        async with http.get(f"{base}/messages/@original"):
            pass
        async with http.patch(f"{base}/messages/@original", json={"content": "edited"}):
            pass
        async with http.get(f"{base}/messages/{extra['id']}"):
            pass
        async with http.patch(f"{base}/messages/{extra['id']}", json={"content": "x"}):
            pass
        async with http.delete(f"{base}/messages/{extra['id']}"):
            pass
        async with http.delete(f"{base}/messages/@original"):
            pass


# -- rendering -------------------------------------------------------------------------------


def test_render_shows_discord_timestamps_as_local_times(server: LocalDiscord) -> None:
    now = datetime(2023, 11, 14, 22, 0, tzinfo=UTC)
    text = render_timestamps("ends <t:1700000000:R>, at <t:1700000000:t>", tz=UTC, now=now)
    assert text == "ends 22:13 (in 13 minutes), at 22:13"
    guild = server.add_guild("Render")
    channel = guild.add_text_channel("room")
    message = server.world.post_message(
        channel,
        server.world.bot,
        content=f"hi <@{guild.owner_id}>",
        embeds=[{"title": "Sprint", "fields": [{"name": "Left", "value": "<t:1700000000:R>"}]}],
        components=[
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "Join", "custom_id": "j"}]}
        ],
        ephemeral_for=guild.owner_id,
    )
    rendered = render_message(message, server.world, tz=UTC, now=now)
    assert "only visible to render-owner" in rendered
    assert "hi @render-owner" in rendered
    assert "┃ **Sprint**" in rendered and "Left: 22:13 (in 13 minutes)" in rendered
    assert "[Join]" in rendered
