"""/findtime: the next times when a set of members are free together, from the weekly hours
each set with /availability (issue #14, finding a time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.render.findtime import findtime_text
from bot.services.availability.find import find_time, members_with_hours

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
        member: discord.Member | None = None,
        member2: discord.Member | None = None,
        member3: discord.Member | None = None,
        member4: discord.Member | None = None,
        member5: discord.Member | None = None,
        member6: discord.Member | None = None,
        member7: discord.Member | None = None,
        member8: discord.Member | None = None,
        member9: discord.Member | None = None,
        role: discord.Role | None = None,
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
        role
            Or everyone with this role who has set their hours.
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
        if not named and role is None:
            raise ValidationError(
                "Name at least one member (`member:`, up to 9) or a `role:` to find a time for."
            )
        ctx = self.bot.services.ctx
        ids = ([interaction.user.id] if include_me else []) + [m.id for m in named]
        if role is not None:
            assert interaction.guild is not None
            holders = await self._holders(interaction.guild, role)
            if not holders:
                raise ValidationError(
                    f"Nobody with {role.mention} has set their hours here yet, so I can't find "
                    "a time. Each of them can run `/availability set` (e.g. “weekdays "
                    "08:00–12:00”) once."
                )
            ids += holders
        view = await find_time(
            ctx,
            interaction.guild_id,
            ids,
            length_minutes=length,
            days=days,
            role_id=role.id if role is not None else None,
        )
        await interaction.response.send_message(findtime_text(view))

    async def _holders(self, guild: discord.Guild, role: discord.Role) -> list[int]:
        """Members with ``role`` among those who set their hours here. Without the privileged
        members intent a role's full list can't be read, so the stored members are looked up
        (by id, 100 at a time, which needs no intent)."""
        known = await members_with_hours(self.bot.services.ctx, guild.id)
        if role.is_default():
            return known
        wanted = set(known)
        found: list[int] = []
        for at in range(0, len(known), 100):
            chunk = known[at : at + 100]
            for m in await guild.query_members(user_ids=chunk, limit=len(chunk), cache=False):
                if m.id in wanted and m.get_role(role.id) is not None and not m.bot:
                    found.append(m.id)
        return sorted(set(found))


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(FindTimeCog(bot))
