"""/stats me, /stats server and the opt-in /leaderboard.

Every reply is ephemeral: figures are personal (a manager's server view too). Charts are PNG
attachments drawn off the event loop by the stats service; the reply is deferred first so a busy
machine never misses Discord's 3-second window.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import stats as render
from bot.services.stats import StatsService

if TYPE_CHECKING:
    from bot.core import AnyBot

NO_PINGS = discord.AllowedMentions.none()

METRIC_CHOICES = [
    app_commands.Choice(name="Focus time", value="focus"),
    app_commands.Choice(name="Goals done", value="goals"),
]
PERIOD_CHOICES = [
    app_commands.Choice(name="This week", value="week"),
    app_commands.Choice(name="This month", value="month"),
]


def _choice(choice: app_commands.Choice[str] | None, default: str) -> str:
    return choice.value if choice is not None else default


def _guild(interaction: discord.Interaction[Any]) -> int:
    assert interaction.guild_id is not None  # the groups are guild_only
    return interaction.guild_id


class Stats(commands.Cog):
    stats = app_commands.Group(
        name="stats", description="Your progress, and the server's.", guild_only=True
    )
    board = app_commands.Group(
        name="leaderboard",
        description="An opt-in leaderboard: nobody is on it without joining.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> StatsService:
        return self.bot.services.stats

    @stats.command(name="me")
    async def me(self, interaction: discord.Interaction[Any]) -> None:
        """Your focus time, sprints, goals and streaks here, with a chart (only you see it)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.service.member_report(_guild(interaction), interaction.user.id)
        await interaction.followup.send(
            embed=discord.Embed.from_dict(render.member_embed(report.stats, report.chart_name)),
            file=discord.File(io.BytesIO(report.chart_png), filename=report.chart_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @stats.command(name="server")
    async def server(self, interaction: discord.Interaction[Any]) -> None:
        """Managers: active members, sprints, focus hours and busiest hours of the last weeks."""
        perms = interaction.permissions
        roles = getattr(interaction.user, "roles", ())
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.service.server_report(
            _guild(interaction),
            manage_guild=bool(perms.manage_guild or perms.administrator),
            role_ids=frozenset(r.id for r in roles),
        )
        await interaction.followup.send(
            embed=discord.Embed.from_dict(render.server_embed(report.stats, report.chart_name)),
            file=discord.File(io.BytesIO(report.chart_png), filename=report.chart_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @board.command(name="show")
    @app_commands.choices(by=METRIC_CHOICES, period=PERIOD_CHOICES)
    async def show(
        self,
        interaction: discord.Interaction[Any],
        by: app_commands.Choice[str] | None = None,
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        """The top of the opt-in leaderboard and the members around you.

        Parameters
        ----------
        by
            Rank by focus time (default) or goals done.
        period
            This week (default) or this month, in the server's time zone.
        """
        view = await self.service.leaderboard(
            _guild(interaction),
            interaction.user.id,
            _choice(by, "focus"),
            _choice(period, "week"),
        )
        await interaction.response.send_message(
            embed=discord.Embed.from_dict(render.leaderboard_embed(view, interaction.user.id)),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @board.command(name="join")
    async def join(self, interaction: discord.Interaction[Any]) -> None:
        """Show your focus time and goals done on this server's leaderboard."""
        joined = await self.service.join_leaderboard(_guild(interaction), interaction.user.id)
        text = (
            "🏆 You're on this server's leaderboard now. "
            "`/leaderboard leave` takes you off at once."
            if joined
            else "🏆 You're already on this server's leaderboard."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @board.command(name="leave")
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        """Take yourself off this server's leaderboard, at once."""
        left = await self.service.leave_leaderboard(_guild(interaction), interaction.user.id)
        text = (
            "👋 You're off this server's leaderboard; nobody sees your figures there any more."
            if left
            else "You weren't on this server's leaderboard (it only shows members who join)."
        )
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Stats(bot))
