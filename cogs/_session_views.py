"""The buttons of session cards and waitlist offers (private to cogs/sessions.py).

Every button is a ``DynamicItem`` whose custom id names the series, the occurrence the card showed
and the action (``bot.ids.session_button_id``), so it works after a restart and a click on a card
that has moved on answers for the occurrence it showed. Replies are ephemeral.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import UserError
from bot.ids import SESSION_BUTTON_TEMPLATE, session_button_id
from bot.render.sessions import ts
from bot.services.sessions import Rsvp, RsvpResult
from bot.ui import bot_of, guarded, send_ephemeral

if TYPE_CHECKING:
    from bot.services.sessions import SessionService

__all__ = ["DYNAMIC_ITEMS", "SessionButton", "answer_text"]

_ANSWERS = {
    "going": Rsvp.GOING,
    "maybe": Rsvp.MAYBE,
    "cant": Rsvp.CANT,
    "skip": Rsvp.SKIP,
}


def service_of(interaction: discord.Interaction[Any]) -> SessionService:
    return bot_of(interaction).services.sessions


def guild_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("This works in a server, not in direct messages.")
    return interaction.guild_id


def name_of(user: discord.abc.User) -> str:
    return getattr(user, "display_name", None) or user.name


def answer_text(result: RsvpResult) -> str:
    occ = result.series.next
    when = f" on {ts(occ.starts_at)}" if occ is not None else ""
    title = f"**{discord.utils.escape_markdown(result.series.title)}**"
    if result.status is Rsvp.GOING:
        text = f"✅ You're going to {title}{when}. I'll remind you before it starts."
    elif result.status is Rsvp.MAYBE:
        text = f"🤔 Maybe for {title}{when}. You'll get the reminder too."
    elif result.status is Rsvp.CANT:
        text = (
            f"👋 Noted: you can't make {title}. You won't be reminded; press Going any time to "
            "come back."
        )
    elif result.status is Rsvp.SKIP:
        text = (
            f"⏭️ You're skipping this one{when}. You stay in the series: next time you're "
            "back on the list."
        )
    elif result.status is Rsvp.WAITLIST:
        text = (
            f"⏳ {title} is full, so you're number {result.position} on the waitlist{when}. "
            "If a place frees up I'll offer it to you here."
        )
    else:
        text = f"You're out of {title}."
    if not result.changed:
        text = "(No change.) " + text
    return text


class SessionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=SESSION_BUTTON_TEMPLATE,
):
    """Going / Maybe / Can't / Skip this one / Add to calendar / Accept the place."""

    def __init__(self, series_id: int, occurrence_id: int, action: str) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=session_button_id(series_id, occurrence_id, action), label=action
            )
        )
        self.series_id, self.occurrence_id, self.action = series_id, occurrence_id, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SessionButton:
        return cls(int(match["series"]), int(match["occ"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"session {self.action} button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        service, guild = service_of(interaction), guild_of(interaction)
        user = interaction.user
        if self.action == "cal":
            cal = await service.calendar(guild, self.series_id)
            google = f"\nOr [add it to Google Calendar]({cal.google})." if cal.google else ""
            await interaction.response.send_message(
                "📅 Open this file to add the session (and its repeats, in its own time zone) to "
                f"your calendar.{google}",
                file=discord.File(io.BytesIO(cal.ics), filename=cal.filename),
                ephemeral=True,
            )
            return
        if self.action == "accept":
            result = await service.accept(
                guild, self.series_id, self.occurrence_id, user.id, name_of(user)
            )
            await send_ephemeral(interaction, "🎟️ The place is yours. " + answer_text(result))
            return
        result = await service.rsvp(
            guild,
            self.series_id,
            self.occurrence_id,
            user.id,
            name_of(user),
            _ANSWERS[self.action],
        )
        await send_ephemeral(interaction, answer_text(result))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (SessionButton,)
