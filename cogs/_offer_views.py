"""The buttons of slot offers (private to cogs/offers.py and cogs/findtime.py).

Every button is a ``DynamicItem`` whose custom id names the offer and the slot
(``bot.ids.offer_take_id``), the offer to withdraw, or the /findtime draft to offer, so a card
keeps working after a restart and a press on a card that has closed meanwhile gets the service's
sentence about what happened to it. Replies are ephemeral: taking a slot is personal.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import UserError
from bot.ids import (
    OFFER_DRAFT_TEMPLATE,
    OFFER_TAKE_TEMPLATE,
    OFFER_WITHDRAW_TEMPLATE,
    offer_draft_id,
    offer_take_id,
    offer_withdraw_id,
)
from bot.render.offers import going_ids
from bot.render.wire import ts
from bot.services.offers.types import OfferMode, OfferView, TakeResult
from bot.ui import bot_of, guarded, send_ephemeral
from cogs._actor import actor_of
from cogs.sessions import can_post

if TYPE_CHECKING:
    from bot.services.offers.service import OfferService

__all__ = [
    "DYNAMIC_ITEMS",
    "OfferDraftButton",
    "OfferTakeButton",
    "OfferWithdrawButton",
    "confirmed_line",
    "draft_view",
    "name_of",
    "offered_text",
    "take_text",
    "withdrawn_text",
]


def service_of(interaction: discord.Interaction[Any]) -> OfferService:
    return bot_of(interaction).services.offers


def guild_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("This works in a server, not in direct messages.")
    return interaction.guild_id


def name_of(user: discord.abc.User) -> str:
    return getattr(user, "display_name", None) or user.name


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _title(view: OfferView) -> str:
    return f"**{discord.utils.escape_markdown(view.title)}**"


def offered_text(view: OfferView) -> str:
    """The offerer's ephemeral answer once the card is on its way."""
    count = len(view.slots)
    slots = f"{count} slot{'s' if count != 1 else ''}"
    direct = " to " + _and([f"<@{uid}>" for uid in view.targets]) + " only" if view.targets else ""
    rule = (
        "the first to take one confirms it"
        if view.mode is OfferMode.FIRST
        else "members tick every slot they can make"
    )
    return (
        f"🤝 Offered {slots} of {_title(view)}{direct}; it closes {ts(view.expires_at, 'R')} "
        f"({ts(view.expires_at, 'f')}). The card is in <#{view.channel_id}>: {rule}. "
        "`/offer withdraw` takes it back."
    )


def confirmed_line(view: OfferView, user_id: int) -> str:
    """ "Confirmed: <title> <when>. You and @offerer are going." for whoever confirmed it."""
    slot = view.slot(view.confirmed_position) if view.confirmed_position is not None else None
    when = f" on {ts(slot.starts_at, 'F')} ({ts(slot.starts_at, 'R')})" if slot is not None else ""
    others = [f"<@{uid}>" for uid in going_ids(view) if uid != user_id]
    going = _and(["You", *others]) + " are going." if others else "You're going."
    return f"✅ Confirmed: {_title(view)}{when}. {going}"


def take_text(result: TakeResult, user_id: int) -> str:
    """What a press on a slot did, in one or two sentences (the calendar links come with a
    confirmation)."""
    view = result.view
    if result.confirmed:
        return confirmed_line(view, user_id)
    slot = view.slot(result.position)
    people = 1 + len(slot.takers) if slot is not None else 1  # the offerer counts
    if view.min_people is not None:
        tally = f"{people} of {view.min_people}"
        after = f"At {view.min_people} it's confirmed at once and I'll tell you"
    else:
        tally = f"{people} so far, counting <@{view.offerer_id}>"
        after = (
            f"When the offer closes {ts(view.expires_at, 'R')}, the slot with the most people "
            "wins and I'll tell you which"
        )
    if result.ticked:
        return f"☑️ You can make slot {result.position} ({tally}). {after}. Press again to un-tick."
    return f"↩️ Un-ticked: you're off slot {result.position} ({tally})."


class OfferTakeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=OFFER_TAKE_TEMPLATE,
):
    """Take slot N (first taker confirms) or tick/un-tick it (enough people confirm)."""

    def __init__(self, offer_id: int, position: int) -> None:
        super().__init__(
            discord.ui.Button(custom_id=offer_take_id(offer_id, position), label=f"Slot {position}")
        )
        self.offer_id, self.position = offer_id, position

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OfferTakeButton:
        return cls(int(match["oid"]), int(match["pos"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "offer take button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        guild, user = guild_of(interaction), interaction.user
        result = await service_of(interaction).take(
            guild, self.offer_id, self.position, user.id, name_of(user)
        )
        text = take_text(result, user.id)
        if not result.confirmed or result.series_id is None:
            await send_ephemeral(interaction, text)
            return
        # The session exists now: the same calendar file and Google link as its card gives.
        cal = await bot_of(interaction).services.sessions.calendar(guild, result.series_id)
        google = f" Or [add it to Google Calendar]({cal.google})." if cal.google else ""
        await send_ephemeral(
            interaction,
            f"{text}\n📅 Open the attached file to add it to your calendar.{google}",
            file=discord.File(io.BytesIO(cal.ics), filename=cal.filename),
        )


class OfferWithdrawButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=OFFER_WITHDRAW_TEMPLATE,
):
    """The offerer (or a member with Manage Server) takes the offer back."""

    def __init__(self, offer_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=offer_withdraw_id(offer_id), label="Withdraw"))
        self.offer_id = offer_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OfferWithdrawButton:
        return cls(int(match["oid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "offer withdraw button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        view = await service_of(interaction).withdraw(actor_of(interaction), self.offer_id)
        await send_ephemeral(interaction, withdrawn_text(view))


def withdrawn_text(view: OfferView) -> str:
    return (
        f"🚫 Withdrawn: {_title(view)} (offer #{view.id}). Its card says so and its buttons are "
        "gone."
    )


class OfferDraftButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=OFFER_DRAFT_TEMPLATE,
):
    """/findtime's "Offer these": its suggested slots become an offer (only its runner may)."""

    def __init__(self, draft_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=offer_draft_id(draft_id),
                label="Offer these",
                emoji="🤝",
                style=discord.ButtonStyle.success,
            )
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OfferDraftButton:
        return cls(int(match["did"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "offer these button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        user, channel = interaction.user, interaction.channel
        # As /offer slots: refused up front where the card couldn't be posted.
        postable = can_post(channel) if isinstance(channel, discord.abc.GuildChannel) else True
        view = await service_of(interaction).offer_draft(
            guild_of(interaction), self.draft_id, user.id, name_of(user), can_post=postable
        )
        # Offered once: the /findtime answer keeps its times and loses the button.
        await interaction.response.edit_message(view=None)
        await send_ephemeral(interaction, offered_text(view))


def draft_view(draft_id: int) -> discord.ui.View:
    """The /findtime reply's one button (fully dynamic, so nothing is kept in memory)."""
    view = discord.ui.View(timeout=None)
    view.add_item(OfferDraftButton(draft_id))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OfferTakeButton,
    OfferWithdrawButton,
    OfferDraftButton,
)
