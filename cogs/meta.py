"""/help: how to start, and every command with what it does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.core import AnyBot

GETTING_STARTED = (
    "**How do I start?**\n"
    "1. In a text channel, run `/sprint start` (a pomodoro 25/5 × 4 by default; pick a preset "
    "or set `work`, `break` and `rounds`).\n"
    "2. Others press **Join** on the sprint card or run `/sprint join`.\n"
    "3. Say what you'll get done with `/goal`, tick it off with `/done`.\n"
    "4. At each break, check in with the buttons; at the end you get a debrief.\n"
    "5. Make it a habit: `/session schedule` a weekly session; members RSVP on its card, get "
    "reminded, and the sprint starts by itself.\n"
    "Admins: `/sprint settings`, `/timezone server` and `/accountability setup` set things up "
    "once.\n"
    "Small groups: `/pods setup` matches members into pods; with `accountability:per_pod` each "
    "pod's weekly goals, check-ins and review happen in its own thread.\n"
    "Finding a time: everyone runs `/availability set` once, then `/findtime` suggests when the "
    "members you name are free together, in each reader's own zone."
)


def _walk(commands_: list[app_commands.Command[Any, ..., Any] | app_commands.Group]) -> list[str]:
    lines: list[str] = []
    for cmd in sorted(commands_, key=lambda c: c.qualified_name):
        if isinstance(cmd, app_commands.Group):
            lines.extend(_walk(list(cmd.commands)))
        else:
            lines.append(f"`/{cmd.qualified_name}` — {cmd.description}")
    return lines


class Meta(commands.Cog):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """How to start a coworking sprint, and every Sprintbot command."""
        lines = _walk(
            [c for c in self.bot.tree.get_commands() if not isinstance(c, app_commands.ContextMenu)]
        )
        embed = discord.Embed(title="Sprintbot help", description=GETTING_STARTED, colour=0x5865F2)
        chunk: list[str] = []
        size = 0
        for line in lines:
            if size + len(line) + 1 > 1000:
                embed.add_field(name="Commands", value="\n".join(chunk), inline=False)
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        if chunk:
            embed.add_field(name="Commands", value="\n".join(chunk), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Meta(bot))
