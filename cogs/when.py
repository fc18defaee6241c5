"""/when: a time typed in your zone, as a Discord timestamp and in the zones of members named."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.render.when import when_text
from bot.services.availability import AvailabilityService

if TYPE_CHECKING:
    from bot.core import AnyBot


class WhenCog(commands.Cog, name="When"):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> AvailabilityService:
        return self.bot.services.availability

    @app_commands.command(name="when")
    @app_commands.guild_only()
    async def when(
        self, interaction: discord.Interaction[Any], time: str, members: str | None = None
    ) -> None:
        """Show a time in everyone's zone, with a warning for members it doesn't suit.

        Parameters
        ----------
        time: A time in your zone, e.g. "tomorrow 18:00", "Mon 9:00", "1 Dec 09:00"
        members: Members to show it for, as mentions, e.g. @ann @bob (up to 10)
        """
        assert interaction.guild_id is not None
        view = await self.service.when(interaction.guild_id, interaction.user.id, time, members)
        guild = interaction.guild
        for m in view.members:
            member = guild.get_member(m.user_id) if guild is not None else None
            if member is not None and member.bot:
                raise ValidationError(
                    f"{member.display_name} is a bot: name the people you want the time for."
                )
        await interaction.response.send_message(
            when_text(view), allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(WhenCog(bot))
