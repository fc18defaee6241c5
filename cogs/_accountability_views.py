"""Buttons, selects and forms of the weekly thread (private to cogs/accountability.py).

Every component the thread keeps is a ``DynamicItem`` whose custom_id carries the week
(``acc:<action>:<week_id>``), so it works after a restart. Forms are handled by custom_id in
:func:`handle_modal` (called from the cog's ``on_interaction`` listener), not by the in-memory
Modal object, so a form submitted after a restart is still saved. Replies are interaction
responses; the thread's scheduled posts go through the outbox in the service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.domain.errors import UserError
from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import week_label
from bot.ids import (
    WEEK_GOALS_FORM_TEMPLATE,
    WEEK_NOTE_FORM_TEMPLATE,
    WeekAction,
    week_component_id,
    week_component_template,
    week_goals_form_id,
    week_note_form_id,
)
from bot.services.accountability import AddGoalsResult, CarryResult
from bot.ui import bot_of, guarded, modal_values, send_ephemeral

if TYPE_CHECKING:
    from bot.services.accountability import AccountabilityService

NO_PINGS = discord.AllowedMentions.none()
MESSAGE_LIMIT = 2000
MODAL_TIMEOUT = 3600.0
SELECT_MAX = 25

GOALS_MODAL = re.compile(WEEK_GOALS_FORM_TEMPLATE)
NOTE_MODAL = re.compile(WEEK_NOTE_FORM_TEMPLATE)


# -- helpers --------------------------------------------------------------------------------------


def service_of(interaction: discord.Interaction[Any]) -> AccountabilityService:
    return bot_of(interaction).services.accountability


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("This works in a server channel, not in direct messages.")
    return interaction.guild_id


def name_of(user: discord.abc.User) -> str:
    return getattr(user, "display_name", None) or user.name


def _lower_label(week: Any) -> str:
    label = week_label(week)
    return label[0].lower() + label[1:]


def _codeblock(text: str) -> str:
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


def _bullets(items: Sequence[str], mark: str = "⬜", limit: int = 120) -> str:
    return "\n".join(f"{mark} {truncate(escape_markdown(t), limit)}" for t in items)


def add_reply(result: AddGoalsResult) -> str:
    """What the member sees after the goal form: what was saved, and what wasn't (to copy)."""
    parts: list[str] = []
    where = _lower_label(result.week_start)
    if result.added:
        n = len(result.added)
        parts.append(
            f"📅 Added {n} {'goal' if n == 1 else 'goals'} to the {where}:\n"
            + _bullets(result.added)
        )
    if result.duplicates:
        parts.append("Already on your list, so not added twice:\n" + _bullets(result.duplicates))
    unsaved = [line for line, _ in result.refused] + list(result.over_limit)
    if result.refused:
        reasons = "\n".join(f"• {why}" for _, why in result.refused[:5])
        parts.append(f"**Not saved ({len(result.refused)}):**\n{reasons}")
    if result.over_limit:
        parts.append(
            f"**Not saved ({len(result.over_limit)}):** you've reached the most goals for one "
            "week. Tick some off or drop one first."
        )
    if unsaved:
        parts.append("Here they are to copy:\n" + _codeblock("\n".join(unsaved)[:1000]))
    if not parts:
        parts.append("Nothing was saved.")
    return truncate("\n".join(parts), MESSAGE_LIMIT)


def carry_reply(result: CarryResult) -> str:
    where = _lower_label(result.next_week)
    parts: list[str] = []
    if result.carried:
        n = len(result.carried)
        parts.append(
            f"➡️ Carried {n} open {'goal' if n == 1 else 'goals'} into the {where}:\n"
            + _bullets(result.carried)
        )
    if result.already:
        parts.append(
            "Already carried over earlier, so not copied again:\n" + _bullets(result.already)
        )
    return truncate("\n".join(parts) or "Nothing to carry over.", MESSAGE_LIMIT)


# -- forms ----------------------------------------------------------------------------------------


def goals_modal(week_id: int, title: str) -> discord.ui.Modal:
    modal = discord.ui.Modal(
        title=truncate(title, 45), custom_id=week_goals_form_id(week_id), timeout=MODAL_TIMEOUT
    )
    modal.add_item(
        discord.ui.TextInput(
            label="One goal per line",
            style=discord.TextStyle.paragraph,
            custom_id="goals",
            placeholder="Finish the chapter draft\nGo to the gym 3 times\nReply to every email",
            max_length=4000,
            required=True,
        )
    )
    return modal


def note_modal(week_id: int) -> discord.ui.Modal:
    modal = discord.ui.Modal(
        title="Progress this week", custom_id=week_note_form_id(week_id), timeout=MODAL_TIMEOUT
    )
    modal.add_item(
        discord.ui.TextInput(
            label="How is it going?",
            style=discord.TextStyle.paragraph,
            custom_id="note",
            placeholder="Draft is half done; the gym plan slipped, back on it tomorrow.",
            max_length=500,
            required=True,
        )
    )
    return modal


async def handle_modal(interaction: discord.Interaction[Any]) -> bool:
    """Handle one of our form submissions; False when the custom_id isn't ours."""
    data = cast("dict[str, Any]", interaction.data or {})
    cid = str(data.get("custom_id", ""))
    values = modal_values(data)
    if m := GOALS_MODAL.fullmatch(cid):
        wid, text = int(m["wid"]), values.get("goals", "")
        await guarded(
            interaction, "weekly goal form", lambda: _submit_goals(interaction, wid, text)
        )
        return True
    if m := NOTE_MODAL.fullmatch(cid):
        wid, text = int(m["wid"]), values.get("note", "")
        await guarded(
            interaction, "weekly progress note", lambda: _submit_note(interaction, wid, text)
        )
        return True
    return False


async def _submit_goals(interaction: discord.Interaction[Any], week_id: int, text: str) -> None:
    user = interaction.user
    try:
        result = await service_of(interaction).add_goals(
            guild_id_of(interaction), week_id, user.id, name_of(user), text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{_codeblock(text[:1500])}") from None
    await send_ephemeral(interaction, add_reply(result), allowed_mentions=NO_PINGS)


async def _submit_note(interaction: discord.Interaction[Any], week_id: int, text: str) -> None:
    guild_id = guild_id_of(interaction)
    user = interaction.user
    try:
        note = await service_of(interaction).add_note(
            guild_id, week_id, user.id, name_of(user), text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{_codeblock(text[:1500])}") from None
    # Shared in the thread (that's the point of accountability), pinging nobody.
    body = "\n".join(f"> {line}" if line else ">" for line in escape_markdown(note).splitlines())
    await interaction.response.send_message(
        truncate(f"💬 **Progress** from <@{user.id}>:\n{body}", MESSAGE_LIMIT),
        allowed_mentions=NO_PINGS,
    )


# -- persistent components ------------------------------------------------------------------------


class _WeekButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"acc:__base__:(\d+)"):
    """Base for the thread's buttons; subclasses set ``template`` and ``run``."""

    action: WeekAction
    label = ""
    emoji = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, week_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                emoji=self.emoji,
                style=self.style,
                custom_id=week_component_id(self.action, week_id),
            )
        )
        self.week_id = week_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> _WeekButton:
        return cls(int(match["wid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"weekly {self.action} button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class AddGoalsButton(_WeekButton, template=week_component_template(WeekAction.GOALS)):
    action, label, emoji, style = (
        WeekAction.GOALS,
        "Add my goals",
        "📝",
        discord.ButtonStyle.primary,
    )

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await service_of(interaction).accepts_goals(guild_id_of(interaction), self.week_id)
        await interaction.response.send_modal(goals_modal(self.week_id, "My goals for this week"))


class MarkDoneButton(_WeekButton, template=week_component_template(WeekAction.DONE)):
    action, label, emoji, style = WeekAction.DONE, "Mark done", "✅", discord.ButtonStyle.success

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        goals = await service_of(interaction).open_goals(
            guild_id_of(interaction), self.week_id, interaction.user.id
        )
        if not goals:
            await send_ephemeral(
                interaction,
                "You have no open goals in this week. Press **Add my goals** to add some.",
            )
            return
        view = discord.ui.View(timeout=None)
        view.add_item(PickDoneSelect(self.week_id, [(g.id, g.text) for g in goals[:SELECT_MAX]]))
        more = f" (showing the first {SELECT_MAX})" if len(goals) > SELECT_MAX else ""
        await interaction.response.send_message(
            f"Which goals did you finish?{more}", view=view, ephemeral=True
        )


class ProgressButton(_WeekButton, template=week_component_template(WeekAction.NOTE)):
    action, label, emoji = WeekAction.NOTE, "Progress", "💬"

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(note_modal(self.week_id))


class CarryButton(_WeekButton, template=week_component_template(WeekAction.CARRY)):
    action, label, emoji, style = (
        WeekAction.CARRY,
        "Carry my open goals",
        "➡️",
        discord.ButtonStyle.primary,
    )

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        user = interaction.user
        guild_id = guild_id_of(interaction)
        result = await service_of(interaction).carry_over(
            guild_id, self.week_id, user.id, name_of(user)
        )
        await send_ephemeral(interaction, carry_reply(result), allowed_mentions=NO_PINGS)


class PickDoneSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=week_component_template(WeekAction.PICK),
):
    """The member's open week goals; picking ticks them off (their own only)."""

    def __init__(self, week_id: int, options: Sequence[tuple[int, str]] = ()) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=week_component_id(WeekAction.PICK, week_id),
            placeholder="Pick the goals you finished",
            min_values=1,
            max_values=max(1, len(options)),
            options=[
                discord.SelectOption(label=truncate(" ".join(text.split()), 100), value=str(gid))
                for gid, text in options
            ]
            or [discord.SelectOption(label="(none)", value="0")],
        )
        super().__init__(select)
        self.week_id = week_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PickDoneSelect:
        return cls(int(match["wid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "weekly mark-done menu", lambda: self._run(interaction))

    async def _run(self, interaction: discord.Interaction[Any]) -> None:
        data = cast("dict[str, Any]", interaction.data or {})
        ids = [int(v) for v in data.get("values", []) if str(v).isdigit() and int(v) > 0]
        guild_id = guild_id_of(interaction)
        user = interaction.user
        done = await service_of(interaction).mark_done(
            guild_id, self.week_id, user.id, ids, name_of(user)
        )
        if done:
            text = f"🎉 Ticked off {len(done)}:\n" + _bullets(done, "✅")
        else:
            text = "Those were already ticked off (or aren't yours), so nothing changed."
        await interaction.response.edit_message(
            content=truncate(text, MESSAGE_LIMIT), view=None, allowed_mentions=NO_PINGS
        )


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AddGoalsButton,
    MarkDoneButton,
    ProgressButton,
    CarryButton,
    PickDoneSelect,
)
