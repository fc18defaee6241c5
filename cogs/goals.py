"""/goal, /done and /goals: say what you'll get done, tick it off, list and fix your goals.

Commands (``/goal`` is a command, so the other goal commands live in the ``/goals`` group):

- ``/goal [text] [scope]``: add a goal (to this channel's running sprint, which you join, or else
  to your accountability week); without text, a form takes several goals, one per line.
- ``/done [goal] [member]``: tick off a goal (autocomplete); without one, your only open goal or
  a menu to pick from. ``member`` lets a manager tick off someone else's goal.
- ``/goals list [member] [scope]``, ``/goals edit``, ``/goals drop``, ``/goals undo``,
  ``/goals settings quiet:`` (managers: no celebration line in the channel).

Check-in, huddle, debrief and carry-over buttons are persistent items in ``_goal_views``,
``_checkin_views`` and ``_debrief_views``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserError
from bot.render import goals as render
from bot.services.goals import Actor, ChooseGoal, GoalService, GoalStatus, Scope
from bot.ui import send_ephemeral
from cogs._actor import actor_of
from cogs._goal_views import (
    DYNAMIC_ITEMS,
    NO_PINGS,
    add_reply,
    clip,
    done_reply,
    goal_modal,
    handle_modal,
    pick_view,
)

if TYPE_CHECKING:
    from bot.core import AnyBot

SCOPE_CHOICES = [
    app_commands.Choice(name="This channel's sprint", value="sprint"),
    app_commands.Choice(name="My week", value="week"),
]

OPEN: tuple[str, ...] = (GoalStatus.OPEN,)
DONE: tuple[str, ...] = (GoalStatus.DONE,)
OPEN_OR_DONE: tuple[str, ...] = (GoalStatus.OPEN, GoalStatus.DONE)


def _scope(choice: app_commands.Choice[str] | None) -> Scope | None:
    return Scope(choice.value) if choice is not None else None


def _member_id(interaction: discord.Interaction[Any]) -> int | None:
    member = getattr(interaction.namespace, "member", None)
    return getattr(member, "id", None)


class Goals(commands.Cog):
    goals = app_commands.Group(
        name="goals", description="List, edit, drop or reopen goals.", guild_only=True
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> GoalService:
        return self.bot.services.goals

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await handle_modal(interaction)

    # -- autocomplete ---------------------------------------------------------------------------

    async def _choices(
        self, interaction: discord.Interaction[Any], current: str, statuses: tuple[str, ...]
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        actor = actor_of(interaction)
        goals = await self.service.goals_for_autocomplete(
            actor, current, statuses=statuses, owner_id=_member_id(interaction)
        )
        return [
            app_commands.Choice(name=render.goal_choice_name(g.text, g.scope), value=str(g.id))
            for g in goals
        ]

    async def open_goal_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, OPEN)

    async def any_goal_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, OPEN_OR_DONE)

    async def done_goal_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, DONE)

    # -- /goal ---------------------------------------------------------------------------------

    @app_commands.command(name="goal")
    @app_commands.guild_only()
    @app_commands.choices(scope=SCOPE_CHOICES)
    async def goal(
        self,
        interaction: discord.Interaction[Any],
        text: str | None = None,
        scope: app_commands.Choice[str] | None = None,
    ) -> None:
        """Add a goal to this channel's sprint or your week. No text: add several at once.

        Parameters
        ----------
        text
            What you'll get done, 1–200 characters. Leave it out to add several goals.
        scope
            Where it goes. Default: this channel's sprint if one is running, else your week.
        """
        actor = actor_of(interaction)
        where = _scope(scope)
        if text is None:
            await self._open_goal_form(interaction, actor, where)
            return
        result = await self.service.add(actor, text, scope=where)
        content, ephemeral = add_reply(actor, result)
        await interaction.response.send_message(
            content, ephemeral=ephemeral, allowed_mentions=NO_PINGS
        )

    async def _open_goal_form(
        self, interaction: discord.Interaction[Any], actor: Actor, scope: Scope | None
    ) -> None:
        sprint = None
        if scope is not Scope.WEEK:
            sprint = await self.service.sprint_for_modal(actor.guild_id, actor.channel_id)
            if sprint is None and scope is Scope.SPRINT:
                raise UserError(
                    "There's no sprint running in this channel. Start one with `/sprint start`, "
                    "or use `scope: week` to add goals to your week."
                )
        if sprint is not None:
            modal = goal_modal(sprint.id, scope, f"Goals for {sprint.title}")
        else:
            modal = goal_modal(None, scope or Scope.WEEK, "Goals for this week")
        await interaction.response.send_modal(modal)

    # -- /done ---------------------------------------------------------------------------------

    @app_commands.command(name="done")
    @app_commands.guild_only()
    @app_commands.autocomplete(goal=open_goal_choices)
    async def done(
        self,
        interaction: discord.Interaction[Any],
        goal: str | None = None,
        member: discord.Member | None = None,
    ) -> None:
        """Tick off a goal. Without one: your only open goal, or pick from a list.

        Parameters
        ----------
        goal
            The goal you finished (start typing to search your open goals).
        member
            Managers only: tick off this member's goal instead of yours.
        """
        actor = actor_of(interaction)
        owner = member.id if member is not None else None
        goal_id = None
        if goal is not None:
            goal_id = await self.service.resolve(actor, goal, statuses=OPEN, owner_id=owner)
        try:
            result = await self.service.done(actor, goal_id, owner_id=owner)
        except ChooseGoal as choose:
            await interaction.response.send_message(
                str(choose), view=pick_view(choose, actor.user_id), ephemeral=True
            )
            return
        await send_ephemeral(interaction, done_reply(result))

    # -- /goals ... ----------------------------------------------------------------------------

    @goals.command(name="list")
    @app_commands.choices(scope=SCOPE_CHOICES)
    async def goals_list(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | None = None,
        scope: app_commands.Choice[str] | None = None,
    ) -> None:
        """Show goals: this channel's sprint and the current week.

        Parameters
        ----------
        member
            Whose goals to show (default: yours).
        scope
            Only the sprint here, or only the week.
        """
        actor = actor_of(interaction)
        owner = member or interaction.user
        goals = await self.service.list_goals(actor, owner.id, _scope(scope))
        embed = render.goals_list_embed(
            owner.id,
            getattr(owner, "display_name", None) or owner.name,
            [render.ListedGoal(g.id, g.text, g.status, g.scope, g.where) for g in goals],
        )
        await interaction.response.send_message(
            embed=discord.Embed.from_dict(embed), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @goals.command(name="edit")
    @app_commands.autocomplete(goal=any_goal_choices)
    async def goals_edit(self, interaction: discord.Interaction[Any], goal: str, text: str) -> None:
        """Change the text of a goal.

        Parameters
        ----------
        goal
            The goal to change (start typing to search).
        text
            The new text, 1–200 characters.
        """
        actor = actor_of(interaction)
        goal_id = await self.service.resolve(actor, goal, statuses=OPEN_OR_DONE)
        info = await self.service.edit(actor, goal_id, text)
        await send_ephemeral(
            interaction, clip(f"✏️ Updated: {render.goal_line(info.text, info.status)}")
        )

    @goals.command(name="drop")
    @app_commands.autocomplete(goal=any_goal_choices)
    async def goals_drop(self, interaction: discord.Interaction[Any], goal: str) -> None:
        """Remove a goal from your lists.

        Parameters
        ----------
        goal
            The goal to remove (start typing to search).
        """
        actor = actor_of(interaction)
        goal_id = await self.service.resolve(actor, goal, statuses=OPEN_OR_DONE)
        info = await self.service.drop(actor, goal_id)
        await send_ephemeral(
            interaction,
            clip(
                f"🗑️ Dropped “{render.user_text(info.text, 300)}”. Changed your mind? "
                "Add it again with `/goal`."
            ),
        )

    @goals.command(name="undo")
    @app_commands.autocomplete(goal=done_goal_choices)
    async def goals_undo(self, interaction: discord.Interaction[Any], goal: str) -> None:
        """Reopen a goal you marked done by mistake.

        Parameters
        ----------
        goal
            The done goal to reopen (start typing to search).
        """
        actor = actor_of(interaction)
        goal_id = await self.service.resolve(actor, goal, statuses=DONE)
        info = await self.service.undo(actor, goal_id)
        await send_ephemeral(
            interaction, clip(f"↩️ Reopened: {render.goal_line(info.text, info.status)}")
        )

    @goals.command(name="settings")
    async def goals_settings(self, interaction: discord.Interaction[Any], quiet: bool) -> None:
        """Managers: turn the 🎉 channel line on or off when someone finishes a goal.

        Parameters
        ----------
        quiet
            True: no line in the channel (the sprint card still shows progress).
        """
        await self.service.set_quiet_done(actor_of(interaction), quiet)
        text = (
            "🔕 Finished goals are now quiet: no line in the channel; the sprint card still "
            "shows progress."
            if quiet
            else "🎉 Finished goals get a short celebration line in the channel again."
        )
        await send_ephemeral(interaction, text)


__all__ = ["Goals"]


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Goals(bot))
