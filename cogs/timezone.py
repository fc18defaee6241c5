"""/timezone server and /timezone me: IANA time zones with autocomplete.

The server's zone sets when weekly posts go out and where a week starts. A member's own zone is
used where the bot writes plain dates or clock times for them; every time in a message is a
Discord timestamp, which each member's client already shows in their own zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.timezones import search_zones
from bot.render.accountability import ts
from bot.services.timezones import TimezoneService

if TYPE_CHECKING:
    from bot.core import AnyBot

CLEAR_WORDS = frozenset({"none", "clear", "reset", "off"})


def local_clock(moment: datetime) -> str:
    """``14:05 on Tuesday 2 March`` (the member's wall clock, written out)."""
    return f"{moment:%H:%M} on {moment:%A} {moment.day} {moment:%B}"


async def zone_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    now = interaction.client.clock.now()
    out: list[app_commands.Choice[str]] = []
    for name in search_zones(current, 25):
        label = f"{name} — now {now.astimezone(ZoneInfo(name)):%H:%M}"
        out.append(app_commands.Choice(name=label[:100], value=name))
    return out


class Timezone(commands.Cog):
    group = app_commands.Group(name="timezone", description="Server and personal time zones.")

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> TimezoneService:
        return self.bot.services.timezones

    @group.command(name="server")
    @app_commands.guild_only()
    @app_commands.autocomplete(zone=zone_choices)
    async def server(self, interaction: discord.Interaction[Any], zone: str | None = None) -> None:
        """Set the server's time zone (weekly posts follow it). Without a zone: show it.

        Parameters
        ----------
        zone
            An IANA time zone such as Europe/London or America/New_York (start typing a city).
        """
        assert interaction.guild_id is not None
        now = self.bot.clock.now()
        if zone is None:
            current = await self.service.server_zone(interaction.guild_id)
            await interaction.response.send_message(
                f"🌍 This server's time zone is **{current.key}** "
                f"(it's {local_clock(now.astimezone(current))} there). "
                "Managers change it with `/timezone server zone:`.",
                ephemeral=True,
            )
            return
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise PermissionDenied(
                "You need the Manage Server permission to change the server's time zone. "
                "For your own, use `/timezone me`."
            )
        result = await self.service.set_server_zone(interaction.guild_id, zone)
        text = (
            f"🌍 Server time zone set to **{result.zone.key}** "
            f"(it's {local_clock(now.astimezone(result.zone))} there)."
            if result.changed
            else f"🌍 The server's time zone already is **{result.zone.key}**."
        )
        accountability = getattr(self.bot.services, "accountability", None)
        if accountability is not None:
            try:
                view = await accountability.show(interaction.guild_id)
            except NotFound:
                view = None
            if view is not None and view.enabled and view.next_posts:
                post = view.next_posts[0]
                text += f" Weekly posts follow it; the next ({post.kind.value}) is {ts(post.at)}."
        await interaction.response.send_message(text, ephemeral=True)

    @group.command(name="me")
    @app_commands.autocomplete(zone=zone_choices)
    async def me(self, interaction: discord.Interaction[Any], zone: str | None = None) -> None:
        """Set your own time zone, used where I write plain dates for you. Without a zone: show it.

        Parameters
        ----------
        zone
            An IANA time zone such as Europe/Paris (start typing a city), or "none" to clear it.
        """
        user_id = interaction.user.id
        now = self.bot.clock.now()
        if zone is not None and zone.strip().lower() in CLEAR_WORDS:
            await self.service.clear_member_zone(user_id)
            await interaction.response.send_message(
                "🕒 Cleared your time zone; I'll use the server's for plain dates.",
                ephemeral=True,
            )
            return
        if zone is None:
            current = await self.service.member_zone(user_id)
            if current is None:
                text = (
                    "🕒 You haven't set a time zone; I use the server's for plain dates. "
                    "Set yours with `/timezone me zone:`."
                )
            else:
                text = (
                    f"🕒 Your time zone is **{current.key}** "
                    f"(it's {local_clock(now.astimezone(current))} there)."
                )
            await interaction.response.send_message(text, ephemeral=True)
            return
        result = await self.service.set_member_zone(user_id, zone)
        await interaction.response.send_message(
            f"🕒 Your time zone is now **{result.zone.key}**: it's "
            f"{local_clock(result.local_now)} for you. Times in my messages "
            f"(like {ts(now, 't')}) already show in your own clock; I use this for plain dates "
            "such as week labels.",
            ephemeral=True,
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Timezone(bot))
