"""The debrief's buttons (a note, carry my open goals) and the note form (private to cogs/goals.py).

Buttons are ``DynamicItem``s (the custom id carries the sprint) and the note form is matched by
its custom id on submit, so both work after a restart.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.errors import UserError
from bot.ids import (
    CARRY_TEMPLATE,
    DEBRIEF_NOTE_FORM_TEMPLATE,
    DEBRIEF_TEMPLATE,
    carry_id,
    debrief_id,
    debrief_note_form_id,
)
from bot.services.goals import CarryResult, Scope
from bot.ui import guarded, send_ephemeral
from cogs._actor import actor_of
from cogs._goal_common import bullets, checkin_service, clip, codeblock, goal_service, modal

DEBRIEF_MODAL = re.compile(DEBRIEF_NOTE_FORM_TEMPLATE)


def carry_reply(result: CarryResult) -> str:
    lines: list[str] = []
    if result.carried:
        n = len(result.carried)
        lines.append(
            f"➡️ Carried {n} open {'goal' if n == 1 else 'goals'} over to {result.where}:\n"
            + bullets(result.carried)
        )
    if result.already:
        n = len(result.already)
        lines.append(
            f"Already carried over earlier ({n}), so not copied again:\n"
            + bullets(result.already, 80)
        )
    if result.left_over:
        lines.append(
            "These didn't fit (the open-goal limit was reached); drop or finish some and "
            "press again:\n" + bullets(result.left_over, 80)
        )
    return clip("\n".join(lines) or "Nothing to carry over.")


def debrief_modal(sprint_id: int) -> discord.ui.Modal:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="How did it go? What's next?",
        style=discord.TextStyle.paragraph,
        custom_id="note",
        placeholder="Finished the draft; next: tidy the references.",
        max_length=1000,
        required=True,
    )
    return modal("Debrief note", debrief_note_form_id(sprint_id), field)


async def submit_debrief_form(
    interaction: discord.Interaction[Any], custom_id: str, values: dict[str, str]
) -> bool:
    """Save a debrief note form; False when ``custom_id`` is not one."""
    if m := DEBRIEF_MODAL.fullmatch(custom_id):
        sid = int(m["sid"])
        note = values.get("note", "")
        await guarded(interaction, "debrief note", lambda: _submit_debrief(interaction, sid, note))
        return True
    return False


async def _submit_debrief(interaction: discord.Interaction[Any], sprint_id: int, text: str) -> None:
    assert interaction.guild_id is not None
    try:
        await checkin_service(interaction).add_debrief_note(
            interaction.guild_id, sprint_id, interaction.user.id, text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{codeblock(text[:1500])}") from None
    await send_ephemeral(interaction, "📝 Thanks! Your note is in the debrief.")


# -- persistent buttons ---------------------------------------------------------------------------


class DebriefButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=DEBRIEF_TEMPLATE,
):
    def __init__(self, sprint_id: int, action: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add a debrief note" if action == "note" else "Carry my open goals over",
                emoji="📝" if action == "note" else "➡️",
                custom_id=debrief_id(sprint_id, action),
            )
        )
        self.sprint_id, self.action = sprint_id, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DebriefButton:
        return cls(int(match["sid"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"debrief {self.action}", lambda: self._run(interaction))

    async def _run(self, interaction: discord.Interaction[Any]) -> None:
        actor = actor_of(interaction)
        if self.action == "note":
            await checkin_service(interaction).debrief_note_allowed(
                actor.guild_id, self.sprint_id, actor.user_id
            )
            await interaction.response.send_modal(debrief_modal(self.sprint_id))
            return
        pending, target = await goal_service(interaction).carry_options(actor, self.sprint_id)
        view = discord.ui.View(timeout=None)
        noun = "goal" if pending == 1 else "goals"
        if target is not None:
            view.add_item(CarryButton(self.sprint_id, Scope.SPRINT))
            text = (
                f"You have {pending} open {noun} from this sprint. Carry them to the sprint "
                f"running in <#{target.channel_id}> now, or to your week?"
            )
        else:
            text = (
                f"You have {pending} open {noun} from this sprint. No sprint is running in this "
                "channel right now: carry them to your week, or start a sprint and press "
                "**Carry** again."
            )
        view.add_item(CarryButton(self.sprint_id, Scope.WEEK))
        await interaction.response.send_message(text, ephemeral=True, view=view)


class CarryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CARRY_TEMPLATE,
):
    def __init__(self, sprint_id: int, to: Scope) -> None:
        super().__init__(
            discord.ui.Button(
                label="To the sprint here" if to is Scope.SPRINT else "To my week",
                emoji="🏃" if to is Scope.SPRINT else "📅",
                style=discord.ButtonStyle.primary,
                custom_id=carry_id(sprint_id, to.value),
            )
        )
        self.sprint_id, self.to = sprint_id, to

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CarryButton:
        return cls(int(match["sid"]), Scope(match["to"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            result = await goal_service(interaction).carry_over(
                actor_of(interaction), self.sprint_id, self.to
            )
            await send_ephemeral(interaction, carry_reply(result))

        await guarded(interaction, "carry over", work)
