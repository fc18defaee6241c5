"""/availability: a member's weekly available hours in their own zone (pods match on them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserError
from bot.domain.timezones import search_zones
from bot.render.pods import duration, ts
from bot.services.availability import AvailabilityService, AvailabilityView

if TYPE_CHECKING:
    from bot.core import AnyBot

_EXAMPLES = [
    "weekdays 08:00-12:00",
    "weekdays 18:00-21:00",
    "Mon, Wed, Fri 09:00-17:00",
    "weekends 10:00-14:00",
    "every day 07:00-09:00",
    "weekdays 09:00-12:00; Sat 10:00-13:00",
]
_SOURCE = {
    "given": "",
    "stored": "",
    "personal": " (your `/timezone me` zone)",
    "server": " (the server's zone: add `zone:` if yours differs)",
}


async def when_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip()
    values = ([typed[:100]] if typed else []) + [e for e in _EXAMPLES if typed.lower() in e.lower()]
    return [app_commands.Choice(name=v, value=v) for v in dict.fromkeys(values)][:25]


async def zone_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in search_zones(current, 25)]


def describe(view: AvailabilityView, *, saved: bool) -> str:
    head = "🗓️ Saved your hours" if saved else "🗓️ Your hours"
    lines = [
        f"{head}: **{view.text}** in {view.zone}{_SOURCE.get(view.zone_source, '')} — it's "
        f"{view.local_now:%H:%M} there now.",
        f"That's {duration(view.weekly_minutes)} in the coming week.",
    ]
    if view.upcoming:
        lines.append(
            "Next: "
            + ", ".join(f"{ts(iv.start, 'f')} – {ts(iv.end, 't')}" for iv in view.upcoming)
            + " (shown in your own time)."
        )
    return "\n".join(lines)


class AvailabilityCog(commands.Cog, name="Availability"):
    group = app_commands.Group(
        name="availability",
        description="When you're usually free each week (used to match pods across zones).",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> AvailabilityService:
        return self.bot.services.availability

    @group.command(name="set")
    @app_commands.autocomplete(when=when_choices, zone=zone_choices)
    async def set_(
        self, interaction: discord.Interaction[Any], when: str, zone: str | None = None
    ) -> None:
        """Say when you're usually free each week, in your own time zone.

        Parameters
        ----------
        when
            Days then hours, e.g. "weekdays 08:00-12:00; Sat 10-14". Replaces earlier hours.
        zone
            Your time zone, e.g. Europe/Berlin. Default: the one you set before.
        """
        assert interaction.guild_id is not None
        try:
            view = await self.service.set(interaction.guild_id, interaction.user.id, when, zone)
        except UserError as err:
            raise UserError(f"{err}\nYou wrote: `{when[:200]}`") from None
        await interaction.response.send_message(describe(view, saved=True), ephemeral=True)

    @group.command(name="show")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Show the weekly hours you've set here."""
        assert interaction.guild_id is not None
        view = await self.service.show(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(describe(view, saved=False), ephemeral=True)

    @group.command(name="clear")
    async def clear(self, interaction: discord.Interaction[Any]) -> None:
        """Remove your weekly hours."""
        assert interaction.guild_id is not None
        removed = await self.service.clear(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            "Your hours are removed." if removed else "You had no hours set here.",
            ephemeral=True,
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(AvailabilityCog(bot))
