"""Standing sessions as Discord Guild Scheduled Events: the adapter side.

- Tells the service whether the bot may manage events (``EventAccess``), from Discord's cache.
- ``/session events``: turn a series' Discord event on or off (added to the ``/session`` group).
- "Interested" on a session's event counts as Maybe. Discord sends GUILD_SCHEDULED_EVENT_USER_ADD
  / _REMOVE (intent GUILD_SCHEDULED_EVENTS, not privileged), but discord.py only dispatches them
  for users it has cached, and without the members intent most members are not; so the raw
  payloads are taken from the connection's parser table and handed on as one bot event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs._actor import actor_of
from cogs.sessions import series_autocomplete

if TYPE_CHECKING:
    from bot.core import AnyBot

USER_EVENTS = {
    "GUILD_SCHEDULED_EVENT_USER_ADD": True,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": False,
}
RAW_EVENT = "session_event_interest"  # dispatched as on_session_event_interest(data, on)


class SessionEvents(commands.Cog):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot
        self._originals: dict[str, Callable[[Any], None]] = {}

    async def cog_load(self) -> None:
        self.bot.services.session_events.access = self
        parsers = self.bot._connection.parsers  # private: see the module docstring
        for name, on in USER_EVENTS.items():
            original = parsers[name]
            self._originals[name] = original
            parsers[name] = self._parser(original, on)
        group = self.bot.tree.get_command("session")
        if isinstance(group, app_commands.Group) and group.get_command("events") is None:
            group.add_command(events_command)

    async def cog_unload(self) -> None:
        parsers = self.bot._connection.parsers
        parsers.update(self._originals)
        group = self.bot.tree.get_command("session")
        if isinstance(group, app_commands.Group):
            group.remove_command("events")

    def _parser(self, original: Callable[[Any], None], on: bool) -> Callable[[Any], None]:
        def parse(data: Any) -> None:
            self.bot.dispatch(RAW_EVENT, data, on)
            original(data)

        return parse

    # -- EventAccess ---------------------------------------------------------------------------

    def can_manage_events(self, guild_id: int, voice_channel_id: int | None) -> bool | None:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return None
        me = guild.me
        perms = me.guild_permissions
        if voice_channel_id is not None:
            channel = guild.get_channel(voice_channel_id)
            if channel is not None:
                perms = channel.permissions_for(me)
                if not (perms.view_channel and perms.connect):
                    return False
        return bool(perms.manage_events or perms.create_events)

    # -- "Interested" --------------------------------------------------------------------------

    @commands.Cog.listener(f"on_{RAW_EVENT}")
    async def interest(self, data: dict[str, Any], on: bool) -> None:
        guild_id = int(data["guild_id"])
        user_id = int(data["user_id"])
        name = await self._name(guild_id, user_id)
        await self.bot.services.session_events.interested(
            guild_id, int(data["guild_scheduled_event_id"]), user_id, name, on
        )

    async def _name(self, guild_id: int, user_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(user_id) if guild else None
        if member is None and guild is not None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                member = None
        return member.display_name if member is not None else ""


@app_commands.command(name="events")
@app_commands.autocomplete(session=series_autocomplete)
@app_commands.choices(
    setting=[
        app_commands.Choice(name="on", value="on"),
        app_commands.Choice(name="off", value="off"),
    ]
)
async def events_command(
    interaction: discord.Interaction[Any], session: int, setting: app_commands.Choice[str]
) -> None:
    """Show a series' next session as a Discord event (on by default), or stop (creator or
    managers).

    Parameters
    ----------
    session
        The session series (start typing its title).
    setting
        on or off.
    """
    bot: AnyBot = interaction.client
    answer = await bot.services.session_events.set_enabled(
        actor_of(interaction), session, setting.value == "on"
    )
    bot.wake()
    await interaction.response.send_message(answer, ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(SessionEvents(bot))
