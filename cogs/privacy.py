"""/privacy show | export | forget | track | stop-tracking | delete-server, and the bot leaving.

Confirmations are buttons (``DynamicItem``s whose custom_id carries who may press them), so they
still work after a restart. A server that removes the bot is scheduled for deletion after the
grace period; adding the bot back cancels it.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import PermissionDenied
from bot.ids import DELETE_SERVER_TEMPLATE, FORGET_TEMPLATE, delete_server_id, forget_id
from bot.render import stats as render
from bot.services.privacy import PrivacyService
from bot.ui import guarded

if TYPE_CHECKING:
    from bot.core import AnyBot


def _service(interaction: discord.Interaction[Any]) -> PrivacyService:
    bot: Any = interaction.client
    service: PrivacyService = bot.services.privacy
    return service


def _buttons(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=FORGET_TEMPLATE,
):
    def __init__(self, user_id: int, action: str) -> None:
        yes = action == "yes"
        super().__init__(
            discord.ui.Button(
                label="Forget me" if yes else "Keep my data",
                emoji="🧹" if yes else None,
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=forget_id(user_id, action),
            )
        )
        self.user_id, self.action = user_id, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ForgetButton:
        return cls(int(match["uid"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            if interaction.user.id != self.user_id:
                raise PermissionDenied("Only the member who asked can confirm this.")
            if self.action != "yes":
                await interaction.response.edit_message(content="Nothing was deleted.", view=None)
                return
            result = await _service(interaction).forget(self.user_id)
            await interaction.response.edit_message(
                content=render.forget_done_text(result), view=None
            )

        await guarded(interaction, "the forget-me button", work)


class DeleteServerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=DELETE_SERVER_TEMPLATE,
):
    def __init__(self, guild_id: int, action: str) -> None:
        yes = action == "yes"
        super().__init__(
            discord.ui.Button(
                label="Delete all server data" if yes else "Cancel",
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=delete_server_id(guild_id, action),
            )
        )
        self.guild_id, self.action = guild_id, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeleteServerButton:
        return cls(int(match["gid"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            if interaction.guild_id != self.guild_id:
                raise PermissionDenied("This button belongs to another server.")
            if self.action != "yes":
                await interaction.response.edit_message(content="Nothing was deleted.", view=None)
                return
            perms = interaction.permissions
            count = await _service(interaction).delete_server_now(
                self.guild_id, manage_guild=bool(perms.manage_guild or perms.administrator)
            )
            await interaction.response.edit_message(
                content=f"🧹 Deleted {count} record(s): this server's sprints, goals, weekly "
                "threads' records, settings and leaderboard. I start again from nothing here.",
                view=None,
            )

        await guarded(interaction, "the delete-server button", work)


DYNAMIC_ITEMS = (ForgetButton, DeleteServerButton)


class Privacy(commands.Cog):
    group = app_commands.Group(
        name="privacy", description="See, export or delete what Sprintbot stores about you."
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> PrivacyService:
        return self.bot.services.privacy

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # -- the bot leaving or coming back ---------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        if self.bot.settings.handles_guild(guild.id):
            await self.service.guild_removed(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.service.guild_present(guild.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.service.guild_present(guild.id)

    # -- commands ---------------------------------------------------------------------------

    @group.command(name="show")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """What Sprintbot stores about you, in a few lines (only you see it)."""
        summary = await self.service.show(interaction.user.id)
        await interaction.response.send_message(
            embed=discord.Embed.from_dict(render.privacy_embed(summary)), ephemeral=True
        )

    @group.command(name="export")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        """Everything Sprintbot stores about you, as a JSON file (once an hour)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        export = await self.service.export(interaction.user.id)
        await interaction.followup.send(
            f"📦 Here is everything I store about you ({export.rows} record(s)). The format is "
            "described in the README's privacy section.",
            file=discord.File(io.BytesIO(export.data), filename=export.filename),
            ephemeral=True,
        )

    @group.command(name="forget")
    async def forget(self, interaction: discord.Interaction[Any]) -> None:
        """Delete what Sprintbot stores about you (asks you to confirm first)."""
        summary = await self.service.show(interaction.user.id)
        if summary.total == 0 and summary.untracked_since is not None:
            await interaction.response.send_message(
                "I have already forgotten you: nothing about you is stored, and I keep nothing "
                "new until you run `/privacy track`.",
                ephemeral=True,
            )
            return
        user_id = interaction.user.id
        await interaction.response.send_message(
            render.forget_prompt_text(summary),
            view=_buttons(ForgetButton(user_id, "yes"), ForgetButton(user_id, "no")),
            ephemeral=True,
        )

    @group.command(name="stop-tracking")
    async def stop_tracking(self, interaction: discord.Interaction[Any]) -> None:
        """Store nothing new about you (what is stored stays until you use /privacy forget)."""
        changed = await self.service.set_tracking(interaction.user.id, False)
        text = (
            "🚫 From now on I store nothing new about you: you can't join sprints, set goals or "
            "check in until you run `/privacy track`. You're off every leaderboard, your open "
            "slot offers are withdrawn and your ticks on others' offers taken back."
            if changed
            else "You already asked me not to track you. `/privacy track` turns it back on."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @group.command(name="track")
    async def track(self, interaction: discord.Interaction[Any]) -> None:
        """Let Sprintbot store your sprints, goals and check-ins again."""
        changed = await self.service.set_tracking(interaction.user.id, True)
        text = (
            "✅ Welcome back: sprints, goals and check-ins you take part in are stored again."
            if changed
            else "Tracking is already on for you."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @group.command(name="delete-server")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def delete_server(self, interaction: discord.Interaction[Any]) -> None:
        """Managers: delete everything Sprintbot stores about this server (asks to confirm)."""
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise PermissionDenied(
                "Only members with the Manage Server permission can delete the server's data."
            )
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        await interaction.response.send_message(
            "⚠️ This deletes every sprint, goal, check-in, note, weekly thread record, setting "
            "and leaderboard place Sprintbot stores for this server, for every member. It cannot "
            "be undone.",
            view=_buttons(DeleteServerButton(guild_id, "yes"), DeleteServerButton(guild_id, "no")),
            ephemeral=True,
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Privacy(bot))
