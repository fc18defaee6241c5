"""/findtime: the next times when a set of members are free together, from the weekly hours
each set with /availability (issue #14, finding a time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.render.findtime import findtime_text
from bot.services.availability.find import find_time

if TYPE_CHECKING:
    from bot.core import AnyBot


class FindTimeCog(commands.Cog, name="Find a time"):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @app_commands.command(name="findtime")
    @app_commands.guild_only()
    async def findtime(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        member2: discord.Member | None = None,
        member3: discord.Member | None = None,
        member4: discord.Member | None = None,
        member5: discord.Member | None = None,
        member6: discord.Member | None = None,
        member7: discord.Member | None = None,
        member8: discord.Member | None = None,
        member9: discord.Member | None = None,
        length: int = 60,
        days: int = 14,
        include_me: bool = True,
    ) -> None:
        """Suggest the next times when these members are free together (from /availability).

        Parameters
        ----------
        member
            A member to find a time with.
        member2
            Another member.
        member3
            Another member.
        member4
            Another member.
        member5
            Another member.
        member6
            Another member.
        member7
            Another member.
        member8
            Another member.
        member9
            Another member.
        length
            How long the session is, in minutes (15 to 480). Default: 60.
        days
            How many days ahead to look (1 to 28). Default: 14.
        include_me
            Count yourself in too. Default: yes.
        """
        assert interaction.guild_id is not None
        named = [
            m
            for m in (
                member,
                member2,
                member3,
                member4,
                member5,
                member6,
                member7,
                member8,
                member9,
            )
            if m is not None
        ]
        bots = [m for m in named if m.bot]
        if bots:
            names = ", ".join(m.mention for m in bots)
            raise ValidationError(
                f"{names} {'is a bot' if len(bots) == 1 else 'are bots'}: I find times for "
                "people (who set their hours with `/availability set`). Name members instead."
            )
        ids = ([interaction.user.id] if include_me else []) + [m.id for m in named]
        view = await find_time(
            self.bot.services.ctx, interaction.guild_id, ids, length_minutes=length, days=days
        )
        await interaction.response.send_message(findtime_text(view))


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(FindTimeCog(bot))
