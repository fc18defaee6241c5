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
    "members you name are free together, in each reader's own zone; **Offer these** turns them "
    "into an offer. `/offer slots` offers up to five times: the first taker (or enough people) "
    "confirms one, and everyone going gets the session."
)


# Discord refuses a message whose embeds hold more than 6,000 characters in all, and a field
# value over 1,024.
EMBED_LIMIT = 6000
FIELD_LIMIT = 1024

AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


def _leaves(group: app_commands.Group) -> list[str]:
    names: list[str] = []
    for cmd in sorted(group.commands, key=lambda c: c.name):
        if isinstance(cmd, app_commands.Group):
            names.extend(f"{cmd.name} {leaf}" for leaf in _leaves(cmd))
        else:
            names.append(cmd.name)
    return names


def command_lines(commands_: list[AnyCommand]) -> list[str]:
    """One line per top-level command: a group lists its subcommands on that line (each one's
    own description shows in Discord's command picker), so /help stays one message however many
    commands there are."""
    lines: list[str] = []
    for cmd in sorted(commands_, key=lambda c: c.name):
        if isinstance(cmd, app_commands.Group):
            subs = " · ".join(_leaves(cmd))
            lines.append(f"`/{cmd.name}` {subs} — {cmd.description}")
        else:
            lines.append(f"`/{cmd.name}` — {cmd.description}")
    return lines


def help_embed(commands_: list[AnyCommand]) -> discord.Embed:
    embed = discord.Embed(title="Sprintbot help", description=GETTING_STARTED, colour=0x5865F2)
    chunk: list[str] = []
    size = 0
    for line in command_lines(commands_):
        if size + len(line) + 1 > FIELD_LIMIT:
            embed.add_field(name="Commands", value="\n".join(chunk), inline=False)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        embed.add_field(name="Commands", value="\n".join(chunk), inline=False)
    return embed


class Meta(commands.Cog):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """How to start a coworking sprint, and every Sprintbot command."""
        tree = [
            c for c in self.bot.tree.get_commands() if not isinstance(c, app_commands.ContextMenu)
        ]
        await interaction.response.send_message(embed=help_embed(tree), ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Meta(bot))
