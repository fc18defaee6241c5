"""Goal forms and pickers, and every goal-area view registered at once (private to cogs/goals.py).

Every button a message keeps is a ``DynamicItem`` (custom_id carries its state), so it works after
a restart. Modals are handled by custom_id in :func:`handle_modal` (called from the cog's
``on_interaction`` listener) rather than by the in-memory Modal object, so a form submitted after a
restart is still saved. Replies to clicks and forms are interaction responses, not outbox rows.
The check-in views live in ``cogs/_checkin_views.py``, the debrief's in ``cogs/_debrief_views.py``;
what they share in ``cogs/_goal_common.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

import discord

from bot.domain.errors import UserError
from bot.domain.text import truncate
from bot.ids import (
    GOAL_ADD_TEMPLATE,
    GOAL_FORM_TEMPLATE,
    GOAL_PICK_TEMPLATE,
    goal_add_id,
    goal_form_id,
    goal_pick_id,
)
from bot.render import goals as render
from bot.services.goals import Actor, AddResult, ChooseGoal, DoneResult, Rejected, Scope
from bot.ui import guarded, modal_values
from cogs._actor import actor_of
from cogs._checkin_views import CheckInButton, HuddleButton, submit_note_form
from cogs._debrief_views import CarryButton, DebriefButton, submit_debrief_form
from cogs._goal_common import NO_PINGS, bullets, clip, codeblock, goal_service, modal

__all__ = [
    "DYNAMIC_ITEMS",
    "NO_PINGS",
    "add_reply",
    "clip",
    "done_reply",
    "goal_modal",
    "handle_modal",
    "pick_view",
]

GOAL_MODAL = re.compile(GOAL_FORM_TEMPLATE)


def rejected_text(rejected: Sequence[Rejected]) -> str:
    """Lines that were not saved, each with why and what was written (so it can be copied)."""
    if not rejected:
        return ""
    parts = [f"**Not saved ({len(rejected)}):**"]
    for r in rejected[:10]:
        parts.append(f"Line {r.line}: {r.reason}")
    copy = "\n".join(r.text for r in rejected)
    parts.append("Here they are to copy:\n" + codeblock(copy[:1200]))
    return "\n".join(parts)


def add_reply(actor: Actor, result: AddResult) -> tuple[str, bool]:
    """(content, ephemeral): sprint goals are posted for the group; week goals only to you."""
    n = len(result.added)
    if not n:
        return "Nothing was saved.\n" + rejected_text(result.rejected), True
    noun = "goal" if n == 1 else "goals"
    if result.scope is Scope.SPRINT:
        head = f"🎯 {render.mention(actor.user_id)} set {n} {noun} for this sprint"
        if result.joined:
            head += " and joined it"
        text = head + ":\n" + bullets(result.added)
        return clip(text), False
    head = ""
    if result.moved_to_week:
        head = (
            "That sprint has ended, so I saved these to your week goals instead "
            "(nothing is lost).\n"
        )
    head += f"📅 Added {n} {noun} to {result.where} ({result.open_count} of {result.limit}):\n"
    return clip(head + bullets(result.added)), True


def done_reply(result: DoneResult) -> str:
    g = result.goal
    tally = f" ({result.done}/{result.total} done)" if result.total > 1 else ""
    also = "" if result.celebrated else " (quietly: this server has celebrations turned off)"
    return clip(f"🎉 Done: **{render.user_text(g.text, 300)}**{tally}{also}")


# -- forms ----------------------------------------------------------------------------------------


def goal_modal(sprint_id: int | None, scope: Scope | None, title: str) -> discord.ui.Modal:
    """The several-goals form; ``sprint_id`` is the sprint it was opened for (0/None: none)."""
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="One goal per line (up to 10)",
        style=discord.TextStyle.paragraph,
        custom_id="goals",
        placeholder="Draft the intro\nReply to Sam's review\nFix the login bug",
        max_length=4000,
        required=True,
    )
    scope_key = scope.value if scope is not None else "auto"
    return modal(title, goal_form_id(sprint_id, scope_key), field)


async def handle_modal(interaction: discord.Interaction[Any]) -> bool:
    """Handle one of our modal submissions; False when the custom_id isn't ours."""
    data = cast("dict[str, Any]", interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    values = modal_values(data)
    if m := GOAL_MODAL.fullmatch(custom_id):
        sid, scope = int(m["sid"]), m["scope"]
        goals = values.get("goals", "")
        await guarded(
            interaction, "goal form", lambda: _submit_goals(interaction, sid, scope, goals)
        )
        return True
    if await submit_note_form(interaction, custom_id, values):
        return True
    return await submit_debrief_form(interaction, custom_id, values)


async def _submit_goals(
    interaction: discord.Interaction[Any], sprint_id: int, scope_key: str, text: str
) -> None:
    actor = actor_of(interaction)
    scope = None if scope_key == "auto" else Scope(scope_key)
    result = await goal_service(interaction).add_many(
        actor, text, scope=scope, sprint_id=sprint_id or None
    )
    content, ephemeral = add_reply(actor, result)
    await interaction.response.send_message(content, ephemeral=ephemeral, allowed_mentions=NO_PINGS)
    if result.added and result.rejected:
        await interaction.followup.send(
            clip(rejected_text(result.rejected)), ephemeral=True, allowed_mentions=NO_PINGS
        )


# -- persistent buttons ---------------------------------------------------------------------------


class AddGoalButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=GOAL_ADD_TEMPLATE):
    """ "Add my goal" on the sprint's late-join reply: opens the goal form for that sprint."""

    def __init__(self, sprint_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add my goal",
                emoji="🎯",
                style=discord.ButtonStyle.primary,
                custom_id=goal_add_id(sprint_id),
            )
        )
        self.sprint_id = sprint_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AddGoalButton:
        return cls(int(match["sid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            title = await goal_service(interaction).sprint_title(self.sprint_id)
            if title is None:  # the sprint ended: say so up front, the form saves to the week
                modal = goal_modal(None, Scope.WEEK, "Sprint over · goals for your week")
            else:
                modal = goal_modal(self.sprint_id, None, f"Goals for {title}")
            await interaction.response.send_modal(modal)

        await guarded(interaction, "Add my goal", work)


class GoalPick(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=GOAL_PICK_TEMPLATE,
):
    """The select menu /done shows when several goals are open."""

    def __init__(
        self, action: str, user_id: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=goal_pick_id(action, user_id),
                placeholder="Pick the goal you finished",
                options=options or [discord.SelectOption(label="(no goals)", value="0")],
                min_values=1,
                max_values=1,
            )
        )
        self.action, self.user_id = action, user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> GoalPick:
        options = list(getattr(item, "options", []) or [])
        return cls(match["action"], int(match["uid"]), options)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return interaction.user.id == self.user_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            values = self.item.values
            if not values or not values[0].isdigit() or values[0] == "0":
                raise UserError("Pick one of your goals from the list.")
            result = await goal_service(interaction).done(actor_of(interaction), int(values[0]))
            await interaction.response.edit_message(content=done_reply(result), view=None)

        await guarded(interaction, "goal picker", work)


def pick_view(error: ChooseGoal, user_id: int) -> discord.ui.View:
    options = [
        discord.SelectOption(
            label=truncate(" ".join(g.text.split()), render.SELECT_LABEL),
            value=str(g.id),
            description=truncate(g.where or g.scope, render.SELECT_DESCRIPTION),
            emoji=render.SPRINT_MARK if g.scope == "sprint" else render.WEEK_MARK,
        )
        for g in error.goals[:25]
    ]
    view = discord.ui.View(timeout=None)
    view.add_item(GoalPick(error.action, user_id, options))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AddGoalButton,
    CheckInButton,
    HuddleButton,
    DebriefButton,
    CarryButton,
    GoalPick,
)
