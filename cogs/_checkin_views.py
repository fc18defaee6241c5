"""The check-in buttons under a break's prompt, the note form and the huddle button
(private to cogs/goals.py).

Buttons are ``DynamicItem``s (the custom id carries the sprint and round) and the note form is
matched by its custom id on submit, so both work after a restart.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.errors import UserError
from bot.ids import (
    CHECKIN_NOTE_FORM_TEMPLATE,
    CHECKIN_TEMPLATE,
    HUDDLE_TEMPLATE,
    checkin_id,
    checkin_note_form_id,
    huddle_id,
)
from bot.render import goals as render
from bot.ui import guarded, send_ephemeral
from cogs._actor import actor_of
from cogs._goal_common import checkin_service, codeblock, modal

NOTE_MODAL = re.compile(CHECKIN_NOTE_FORM_TEMPLATE)


def note_modal(sprint_id: int, round_: int, current: str | None) -> discord.ui.Modal:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label=f"A short note for round {round_}",
        style=discord.TextStyle.paragraph,
        custom_id="note",
        placeholder="What did you get done? What's in the way?",
        default=current,
        max_length=500,
        required=True,
    )
    return modal("Check-in note", checkin_note_form_id(sprint_id, round_), field)


async def submit_note_form(
    interaction: discord.Interaction[Any], custom_id: str, values: dict[str, str]
) -> bool:
    """Save a check-in note form; False when ``custom_id`` is not one."""
    if m := NOTE_MODAL.fullmatch(custom_id):
        sid, round_ = int(m["sid"]), int(m["round"])
        note = values.get("note", "")
        await guarded(
            interaction, "check-in note", lambda: _submit_note(interaction, sid, round_, note)
        )
        return True
    return False


async def _submit_note(
    interaction: discord.Interaction[Any], sprint_id: int, round_: int, text: str
) -> None:
    assert interaction.guild_id is not None
    try:
        result = await checkin_service(interaction).set_note(
            interaction.guild_id, sprint_id, round_, interaction.user.id, text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{codeblock(text[:1500])}") from None
    where = "" if result.sprint_active else " The sprint has ended, so I added it to the debrief."
    emoji = render.CHECKIN_EMOJI.get(result.status, "")
    await send_ephemeral(interaction, f"📝 Saved your note for round {round_} {emoji}.{where}")


# -- persistent buttons ---------------------------------------------------------------------------


class CheckInButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CHECKIN_TEMPLATE,
):
    def __init__(self, sprint_id: int, round_: int, action: str) -> None:
        label = render.CHECKIN_LABEL.get(action, "Add a note")
        emoji = render.CHECKIN_EMOJI.get(action, "📝")
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                custom_id=checkin_id(sprint_id, round_, action),
                style=(
                    discord.ButtonStyle.success
                    if action == "done"
                    else discord.ButtonStyle.secondary
                ),
            )
        )
        self.sprint_id, self.round, self.action = sprint_id, round_, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CheckInButton:
        return cls(int(match["sid"]), int(match["round"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"check-in {self.action}", lambda: self._run(interaction))

    async def _run(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        service = checkin_service(interaction)
        if self.action == "note":
            current = await service.note_target(
                interaction.guild_id, self.sprint_id, self.round, interaction.user.id
            )
            await interaction.response.send_modal(note_modal(self.sprint_id, self.round, current))
            return
        result = await service.record(
            interaction.guild_id, self.sprint_id, self.round, interaction.user.id, self.action
        )
        emoji = render.CHECKIN_EMOJI[result.status]
        label = render.CHECKIN_LABEL[result.status]
        if result.previous is None:
            text = f"{emoji} Checked in for round {self.round}: **{label}**."
        elif result.previous == result.status:
            text = f"{emoji} You're already checked in as **{label}** for round {self.round}."
        else:
            was = render.CHECKIN_LABEL.get(result.previous, result.previous)
            text = f"{emoji} Changed your round {self.round} check-in from {was} to **{label}**."
        view = discord.ui.View(timeout=None)
        view.add_item(CheckInButton(self.sprint_id, self.round, "note"))
        if result.status == "stuck":
            if result.huddle_thread_id:
                text += f" Your huddle: <#{result.huddle_thread_id}>."
            else:
                text += " Want help? Open a huddle thread others can join during the break."
                view.add_item(HuddleButton(self.sprint_id, self.round))
        await interaction.response.send_message(text, ephemeral=True, view=view)


class HuddleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=HUDDLE_TEMPLATE,
):
    def __init__(self, sprint_id: int, round_: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Open a huddle",
                emoji="🆘",
                style=discord.ButtonStyle.danger,
                custom_id=huddle_id(sprint_id, round_),
            )
        )
        self.sprint_id, self.round = sprint_id, round_

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> HuddleButton:
        return cls(int(match["sid"]), int(match["round"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            actor = actor_of(interaction)
            result = await checkin_service(interaction).huddle(
                actor.guild_id, self.sprint_id, self.round, actor.user_id, actor.display_name
            )
            if result.thread_id is not None:
                text = f"🆘 Your huddle is here: <#{result.thread_id}>."
            elif result.created:
                text = (
                    f"🆘 Opening **{render.user_text(result.name)}** in this channel; you'll be "
                    "added to it in a moment. Others can join to help during the break."
                )
            else:
                text = "🆘 Your huddle thread is on its way; it will appear in a moment."
            await send_ephemeral(interaction, text)

        await guarded(interaction, "huddle", work)
