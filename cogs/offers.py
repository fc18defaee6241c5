"""/offer: offer a few times for a session; the first taker (or enough people) confirms one.

``/offer slots`` posts an offer card with a button per slot (issue #14): with a maximum of two
people (the default) the first member to take a slot confirms it; with a minimum or a larger
maximum members tick every slot they can make and a slot reaching the minimum (or, at the expiry,
the one with the most people) wins. Confirming creates a standing session with everyone Going.
``/offer withdraw`` and ``/offer list``. The card's buttons live in ``_offer_views``; the offers
service posts and edits the card through the outbox and runs the expiry timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.offers import offer_list_text
from bot.services.offers.types import OfferRequest
from cogs._actor import actor_of
from cogs._offer_views import DYNAMIC_ITEMS, name_of, offered_text, withdrawn_text
from cogs.sessions import PRESET_CHOICES, Break, Rounds, Work, can_post, repeat_autocomplete
from cogs.sessions import when_autocomplete as slot_autocomplete
from cogs.timezone import zone_choices

if TYPE_CHECKING:
    from bot.core import AnyBot
    from bot.services.offers.service import OfferService

Person = discord.Member | discord.User
_EXPIRY_EXAMPLES = ["in 2 hours", "tomorrow 18:00", "today 21:00", "in 30 min"]


async def expires_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip()
    out = ([typed] if typed else []) + [w for w in _EXPIRY_EXAMPLES if w != typed]
    return [app_commands.Choice(name=w[:100], value=w[:100]) for w in out][:25]


async def open_offer_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    service: OfferService = interaction.client.services.offers
    found = await service.choices(interaction.guild_id, interaction.user.id, current)
    return [app_commands.Choice(name=label[:100], value=oid) for label, oid in found][:25]


def sort_targets(people: list[Person]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(everyone named, the bots among them, those who are not members of this server). The
    service words the refusal; a user option resolves to a Member only for members."""
    ids = tuple(dict.fromkeys(p.id for p in people))
    bots = tuple(dict.fromkeys(p.id for p in people if p.bot))
    strangers = tuple(dict.fromkeys(p.id for p in people if not isinstance(p, discord.Member)))
    return ids, bots, strangers


class Offers(commands.Cog):
    group = app_commands.Group(
        name="offer",
        description="Offer a few times for a session: the first taker (or enough people) "
        "confirms one.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> OfferService:
        return self.bot.services.offers

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @group.command(name="slots")
    @app_commands.rename(brk="break", min_people="min", max_people="max")
    @app_commands.choices(preset=PRESET_CHOICES)
    @app_commands.autocomplete(
        slot1=slot_autocomplete,
        slot2=slot_autocomplete,
        slot3=slot_autocomplete,
        slot4=slot_autocomplete,
        slot5=slot_autocomplete,
        repeat=repeat_autocomplete,
        expires=expires_autocomplete,
        zone=zone_choices,
    )
    async def slots(
        self,
        interaction: discord.Interaction[Any],
        slot1: str,
        slot2: str | None = None,
        slot3: str | None = None,
        slot4: str | None = None,
        slot5: str | None = None,
        title: str | None = None,
        repeat: str | None = None,
        preset: app_commands.Choice[str] | None = None,
        work: Work | None = None,
        brk: Break | None = None,
        rounds: Rounds | None = None,
        min_people: int | None = None,
        max_people: int | None = None,
        expires: str | None = None,
        to: Person | None = None,
        to2: Person | None = None,
        to3: Person | None = None,
        to4: Person | None = None,
        to5: Person | None = None,
        zone: str | None = None,
    ) -> None:
        """Offer up to five times for a session; the card's buttons let members take one.

        Parameters
        ----------
        slot1
            A time in your zone: tomorrow 09:00, Mon 9:00, 2026-12-01 18:30, in 30 min.
        slot2
            Another time you could do.
        slot3
            Another time you could do.
        slot4
            Another time you could do.
        slot5
            Another time you could do.
        title
            What the session is called (default: Coworking).
        repeat
            Make the confirmed slot a series: weekly, daily, weekdays, "every 2 weeks"…
        preset
            A sprint plan preset (otherwise the server's default plan).
        work
            Minutes of work per round.
        brk
            Minutes of break between rounds.
        rounds
            How many work rounds.
        min_people
            People needed to confirm a slot, you included (2–99); members then tick slots.
        max_people
            Most people per slot, you included (2–99; default 2: the first taker confirms).
        expires
            When the offer closes if nobody confirms (default: the first slot's start).
        to
            Offer only to this member (up to five: to … to5); others can't take it.
        to2
            Also offer to this member.
        to3
            Also offer to this member.
        to4
            Also offer to this member.
        to5
            Also offer to this member.
        zone
            The time zone the slots are in (default: yours, else the server's).
        """
        assert interaction.guild_id is not None
        channel = interaction.channel
        targets, bots, strangers = sort_targets(
            [p for p in (to, to2, to3, to4, to5) if p is not None]
        )
        view = await self.service.offer(
            OfferRequest(
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id or 0,
                offerer_id=interaction.user.id,
                offerer_name=name_of(interaction.user),
                slots=tuple(s for s in (slot1, slot2, slot3, slot4, slot5) if s is not None),
                title=title,
                repeat=repeat,
                preset=preset.value if preset is not None else None,
                work=work,
                brk=brk,
                rounds=rounds,
                min_people=min_people,
                max_people=max_people,
                expires=expires,
                zone=zone,
                targets=targets,
                bots=bots,
                strangers=strangers,
                can_post=can_post(channel)
                if isinstance(channel, discord.abc.GuildChannel)
                else True,
            )
        )
        await interaction.response.send_message(offered_text(view), ephemeral=True)

    @group.command(name="withdraw")
    @app_commands.autocomplete(offer=open_offer_autocomplete)
    async def withdraw(self, interaction: discord.Interaction[Any], offer: int) -> None:
        """Take back an open offer of yours (managers: anyone's); its card says so.

        Parameters
        ----------
        offer
            The offer (start typing its title).
        """
        view = await self.service.withdraw(actor_of(interaction), offer)
        await interaction.response.send_message(withdrawn_text(view), ephemeral=True)

    @group.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """Open offers in this server, with a link to each card (times in your own zone)."""
        assert interaction.guild_id is not None
        views = await self.service.open_offers(interaction.guild_id)
        await interaction.response.send_message(offer_list_text(views), ephemeral=True)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Offers(bot))
