"""A local Discord-compatible server and a member driver, for end-to-end tests.

The real discord.py client runs a real bot over loopback against :class:`LocalDiscord`, which
speaks enough of Discord's v10 REST API and gateway (checked against Discord's OpenAPI spec)
and behaves like Discord where bots get it wrong: rate limits with proper 429s, permissions,
ephemeral visibility, nonce dedupe, the 3-second interaction deadline, RESUME after a drop.

Quick start::

    from bot.localdiscord import LocalDiscord, Perm
    from bot.localdiscord.testing import DiscordErrorLog, problems, running_bot

    async with LocalDiscord() as server:                      # 127.0.0.1, ephemeral port
        guild = server.add_guild("Sprint Club")
        general = guild.add_text_channel("general")
        focus = guild.add_voice_channel("Focus Room")
        goals = guild.add_forum_channel("goals", tags=["writing"])
        alice = guild.add_member("alice", global_name="Alice")
        server.revoke_bot_permission(goals, Perm.SEND_MESSAGES)   # optional
        with DiscordErrorLog() as log:
            async with running_bot(server, MyBot(guild_ready_timeout=0.05)) as bot:
                await bot.tree.sync()
                driver = server.driver
                started = await driver.slash(alice, general, "sprint start", work=25, rounds=4)
                card = await started.message()              # the response, once not "thinking"
                joined = await driver.click(alice, card, "Join")
                assert (await joined.message()).ephemeral
                await driver.wait_for_message(general, "Break", timeout=5)
        assert problems(server, log) == []                  # bot errors + server errors

Pointing discord.py at the server by hand: ``with server.patch_discord(): ...`` sets
``discord.http.Route.BASE = server.api_base_url`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)``.

Seeding (``server.world`` is the :class:`World`; everything is also emitted on the gateway if
the bot is already connected)
    ``LocalDiscord(config=ServerConfig(...), rate_limits=True | False | RateLimitConfig(...))``
    ``server.add_guild(name, owner=None, bot_permissions=DEFAULT_BOT, shard=(id, count))``
    ``guild.add_text_channel(name, topic=, category=)``, ``add_voice_channel``,
    ``add_forum_channel(name, tags=[...])``, ``add_category``,
    ``add_role(name, permissions=Perm.X | Perm.Y)``, ``add_member(name, roles=, nick=,
    global_name=)``; lookups ``guild.member("alice")``, ``guild.role("mods")``,
    ``guild.channel("general")`` (threads too), ``guild.threads(parent)``,
    ``guild.permissions_for(member, channel)``.

Driving members (``server.driver``, a :class:`Driver`; ``channel`` may be a name)
    ``await slash(member, channel, "group sub", **options)`` -> :class:`InteractionResult`;
        built from the commands the bot synced: unknown commands, options and values a client
        would refuse raise :class:`CommandRejected`; values are converted to declared types and
        users/channels/roles (objects or names) are put in ``resolved``.
    ``await click(member, message, "Label or custom_id")``,
    ``await select(member, message, "custom_id or placeholder", ["value"])``,
    ``await submit_modal(member, opened_result, {"Label or custom_id": "text"})``,
    ``await autocomplete(member, channel, "command", "option", "typed", **other)`` -> choices,
    ``await send_message(member, channel, "text")``, ``voice_join(member, channel)``,
    ``voice_leave(member)``, ``event_interested(member, event)`` /
    ``event_uninterested(member, event)`` (click or un-click "Interested" on a guild scheduled
    event: GUILD_SCHEDULED_EVENT_USER_ADD / _REMOVE),
    ``await wait_for_message(channel, predicate_or_substring, user=None, after=None,
    timeout=5)`` (existing or arriving; ``user`` admits that member's ephemeral replies),
    ``transcript(channel, viewer=None)`` -> messages oldest first, ``render(channel)``.
    :class:`InteractionResult`: ``await response()`` (callback type), ``await message()``,
    ``await followups(count)``, ``await modal()``, ``await choices()``, ``deferred``,
    ``ephemeral``, ``payload`` (the INTERACTION_CREATE data).

Observing and breaking things
    ``server.requests`` (method, route template, path, status, time, response body),
    ``server.stats`` (requests, rate_limited, by_route, by_status, ``count(method, route)``),
    ``server.errors`` (unknown routes, handler exceptions, invalid bodies), ``server.routes``,
    ``server.gateway.stats`` (identifies, resumes, invalid_sessions, dispatches),
    ``server.fail_next(method, route_template_or_regex, status=500, count=1)``,
    ``await server.drop_gateway(shard_id=None)``, ``server.delete_channel(channel)``,
    ``server.set_bot_permissions(guild_or_channel, allow=, deny=)``,
    ``server.revoke_bot_permission(guild_or_channel, Perm.X)``.

Rendering: :func:`render_message` / :func:`render_transcript` show content, embeds, buttons and
ephemeral marking as text, with ``<t:UNIX:R>`` timestamps as local times.
"""

from __future__ import annotations

from .commands import CommandRejected
from .core import ServerConfig
from .driver import Driver, InteractionFailed, InteractionResult
from .models import Channel, ChannelType, Member, Message, Role, ScheduledEvent, User
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, Perm
from .ratelimit import RateLimitConfig
from .render import render_message, render_transcript
from .server import LocalDiscord
from .world import Guild, World

__all__ = [
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
    "Channel",
    "ChannelType",
    "CommandRejected",
    "Driver",
    "Guild",
    "InteractionFailed",
    "InteractionResult",
    "LocalDiscord",
    "Member",
    "Message",
    "Perm",
    "RateLimitConfig",
    "Role",
    "ScheduledEvent",
    "ServerConfig",
    "User",
    "World",
    "render_message",
    "render_transcript",
]
