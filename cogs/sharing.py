"""/share: a live page of the channel's sprint anyone can open, and calendar feeds.

Commands parse options, call :class:`bot.services.sharing.SharingService` and reply ephemerally
with the link (a link is a secret: whoever has it can open it until it is turned off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserError
from bot.services.sharing import ShareLink, SharingService
from cogs._actor import actor_of
from cogs._sprint_views import reply

if TYPE_CHECKING:
    from bot.core import AnyBot

WEB_OFF = (
    "The bot's web server is turned off here ([web] enabled = false in its configuration), so "
    "there are no live pages or calendar feeds. Ask the bot's admin to turn it on."
)


def _open_button(url: str, label: str) -> discord.ui.View:
    view = discord.ui.View()
    view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url))
    return view


class Sharing(commands.Cog):
    share = app_commands.Group(
        name="share",
        description="Live sprint pages anyone can open, and calendar feeds.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> SharingService:
        return self.bot.services.sharing

    def _require_web(self) -> None:
        if not self.bot.settings.web.enabled:
            raise UserError(WEB_OFF)

    def _where(self) -> str:
        if self.service.has_public_url:
            return ""
        return (
            "\n-# The link points at the bot's own machine; for a public address the bot's "
            "admin sets `[web] public_base_url`."
        )

    async def _send(
        self, interaction: discord.Interaction[Any], text: str, link: ShareLink, label: str
    ) -> None:
        await reply(interaction, text + self._where(), view=_open_button(link.url, label))

    @share.command(name="sprint")
    async def sprint(
        self, interaction: discord.Interaction[Any], names_and_goals: bool | None = None
    ) -> None:
        """A live page of this channel's sprint: a big timer anyone with the link can open.

        Parameters
        ----------
        names_and_goals
            Show participants' names and goals on the page (host or managers; default: no).
        """
        self._require_web()
        assert interaction.channel_id is not None
        sprint = await self.bot.services.sprints.require_active(interaction.channel_id)
        link = await self.service.share_sprint(
            sprint.id, actor_of(interaction), show_people=names_and_goals
        )
        people = (
            "It shows names and goals."
            if link.show_people
            else "It shows the timer and how many people are in, not names or goals."
        )
        first = "Here is the live page" if link.created else "This sprint's live page"
        await self._send(
            interaction,
            f"{first}: <{link.url}>\nAnyone with the link can watch the timer without logging "
            f"in. {people} The host or a manager turns it off with `/share stop`.",
            link,
            "Open live page",
        )

    @share.command(name="stop")
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        """Turn off this channel's sprint live page: its link stops working (host or managers)."""
        self._require_web()
        assert interaction.channel_id is not None
        sprint = await self.bot.services.sprints.require_active(interaction.channel_id)
        await self.service.unshare_sprint(sprint.id, actor_of(interaction))
        await reply(
            interaction,
            "The live page is off: its link no longer works and open pages say so. "
            "`/share sprint` makes a new link.",
        )

    @share.command(name="calendar")
    async def calendar(
        self, interaction: discord.Interaction[Any], new_link: bool | None = None
    ) -> None:
        """Your private calendar feed of this server's weekly accountability posts.

        Parameters
        ----------
        new_link
            Turn off your current feed link and make a new one (if it leaked).
        """
        self._require_web()
        assert interaction.guild_id is not None
        link = await self.service.member_feed(
            interaction.guild_id, interaction.user.id, reset=bool(new_link)
        )
        webcal = "webcal://" + link.url.split("://", 1)[1]
        done = "Your old link no longer works. " if new_link else ""
        await self._send(
            interaction,
            f"{done}Your private calendar feed: <{link.url}>\nSubscribe to it in your calendar "
            f"app (or open <{webcal}>). It follows changes by itself. Keep it to yourself; "
            "`/share calendar new_link:true` replaces it.",
            link,
            "Open calendar feed",
        )

    @share.command(name="server_calendar")
    @app_commands.choices(
        action=[
            app_commands.Choice(name="show the link (make it if needed)", value="show"),
            app_commands.Choice(name="replace the link (the old one stops working)", value="reset"),
            app_commands.Choice(name="stop publishing", value="stop"),
        ]
    )
    async def server_calendar(
        self,
        interaction: discord.Interaction[Any],
        action: app_commands.Choice[str] | None = None,
    ) -> None:
        """The server's public calendar feed of its weekly series (managers).

        Parameters
        ----------
        action
            What to do with the public feed (default: show its link).
        """
        self._require_web()
        assert interaction.guild_id is not None
        what = action.value if action is not None else "show"
        actor = actor_of(interaction)
        if what == "stop":
            stopped = await self.service.revoke_guild_feed(interaction.guild_id, actor)
            await reply(
                interaction,
                "The server's calendar feed is no longer published."
                if stopped
                else "The server has no published calendar feed.",
            )
            return
        link = await self.service.guild_feed(interaction.guild_id, actor, reset=what == "reset")
        await self._send(
            interaction,
            f"The server's public calendar feed: <{link.url}>\nShare it anywhere; it lists the "
            "weekly accountability posts in the server's time zone.",
            link,
            "Open calendar feed",
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Sharing(bot))
