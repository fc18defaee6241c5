"""The club, times and helpers of tests/e2e/test_offers.py (and the offer part of test_findtime):
a guild where Alice offers slots and the others take them, finding an offer's card, who ends up
Going."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, User
from bot.localdiscord.driver import InteractionResult
from bot.views.offers import OfferView

__all__ = [
    "MONDAY_9",
    "START",
    "TUESDAY_9",
    "Club",
    "card",
    "card_in",
    "followup",
    "going",
    "lines",
    "make_club",
    "offer",
    "only_offer",
    "pinged",
    "press_stale",
    "reply",
    "stamp",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


START = utc(2027, 1, 3, 12)  # Sunday; London is on UTC in winter
MONDAY_9 = utc(2027, 1, 4, 9)
TUESDAY_9 = utc(2027, 1, 5, 9)


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    quiet: Channel  # the bot may not post here
    mod: Member  # Manage Server
    alice: Member  # offers
    bob: Member
    cat: Member
    dan: Member
    robot: Member  # a bot
    stranger: User  # not in the server


def make_club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Offer Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    quiet = guild.add_text_channel("announcements")
    server.world.set_bot_permissions(quiet, deny=int(Perm.SEND_MESSAGES))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        quiet=quiet,
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        cat=guild.add_member("cat", global_name="Cat"),
        dan=guild.add_member("dan", global_name="Dan"),
        robot=guild.add_member("robo", global_name="Robo", bot=True),
        stranger=server.world.add_user("stranger", global_name="Stranger"),
    )


def stamp(when: datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


async def reply(result: InteractionResult) -> Message:
    return await result.message()


async def offer(
    club: Club, member: Member | None = None, where: Channel | None = None, **options: Any
) -> Message:
    """/offer slots as ``member`` (Alice) in ``where`` (#general), slots typed in London time;
    the ephemeral answer."""
    fields: dict[str, Any] = {"zone": "Europe/London", **options}
    return await reply(
        await club.server.driver.slash(
            member or club.alice, where or club.general, "offer slots", **fields
        )
    )


async def followup(result: InteractionResult) -> Message:
    """The first followup of an interaction (e.g. one answered by updating its message)."""
    (first,) = await result.followups(count=1, timeout=10)
    return first


async def only_offer(bot: AnyBot, club: Club) -> OfferView:
    (view,) = await bot.services.offers.open_offers(club.guild.id)
    return view


def card_in(channel: Channel, offer_id: int) -> Message:
    """The offer's card as ``channel`` shows it now (edits apply in place)."""
    for message in channel.history():
        for embed in message.embeds:
            if embed.get("footer", {}).get("text") == f"Offer #{offer_id}":
                return message
    raise AssertionError(f"no card for offer #{offer_id} in #{channel.name}")


def card(club: Club, offer_id: int) -> Message:
    return card_in(club.general, offer_id)


def lines(club: Club, text: str) -> list[Message]:
    return [m for m in club.general.history() if text in m.content]


def pinged(message: Message) -> set[int]:
    return {int(u) for u in (message.allowed_mentions or {}).get("users", [])}


async def going(bot: AnyBot, club: Club, series_id: int) -> set[int]:
    view = await bot.services.sessions.show(club.guild.id, series_id)
    assert view.next is not None
    return {a.user_id for a in view.next.going}


def press_stale(
    where: Club | LocalDiscord, member: Member, message: Message, custom_id: str
) -> InteractionResult:
    """A press on ``message`` as a client showed it (e.g. a copy taken before the card closed):
    Discord delivers a press made before an edit arrived with the message as it was then. The
    driver's ``click`` only presses buttons the stored message still has. ``custom_id`` may be
    the start of the button's id."""
    server = where.server if isinstance(where, Club) else where
    (found,) = [b["custom_id"] for b in message.buttons if b["custom_id"].startswith(custom_id)]
    return server.driver._component(member, message, {"custom_id": found, "component_type": 2})
