"""What a slot offer looks like to render and cogs (issue #14): snapshots built by the offers
service, and the request a cog fills in from ``/offer``.

Times are aware UTC; render draws them as Discord timestamps, so each reader sees their own zone.
``OfferMode`` and ``OfferStatus`` live with the rules (:mod:`bot.domain.offers`) and are
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.offers import OfferMode, OfferStatus

__all__ = [
    "OfferMode",
    "OfferRequest",
    "OfferStatus",
    "OfferView",
    "SlotView",
    "TakeResult",
    "Taker",
]


@dataclass(frozen=True)
class Taker:
    user_id: int
    name: str


@dataclass(frozen=True)
class SlotView:
    position: int  # 1-based, in the order typed
    starts_at: datetime  # aware UTC
    takers: tuple[Taker, ...]  # not counting the offerer, first taker first
    started: bool  # its start has passed: it can't be taken and can't win


@dataclass(frozen=True)
class OfferView:
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None  # the card, once the sender posted it
    offerer_id: int
    offerer_name: str
    title: str
    plan_text: str  # "4 rounds of 25 min work, 5 min breaks"
    repeat_text: str | None  # None: a one-off session; else "every Monday" etc.
    mode: OfferMode
    min_people: int | None  # counting the offerer
    max_people: int | None  # counting the offerer
    expires_at: datetime
    status: OfferStatus
    slots: tuple[SlotView, ...]
    targets: tuple[int, ...]  # a direct offer: only these may take it
    confirmed_position: int | None
    series_id: int | None  # the standing session a confirmation created

    @property
    def is_open(self) -> bool:
        return self.status is OfferStatus.OPEN

    def slot(self, position: int) -> SlotView | None:
        for s in self.slots:
            if s.position == position:
                return s
        return None

    def card_url(self) -> str | None:
        if self.message_id is None:
            return None
        return f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.message_id}"


@dataclass(frozen=True)
class OfferRequest:
    """``/offer``: slots typed in the offerer's zone (same parser as ``/session schedule``).

    ``bots`` and ``strangers`` are what the cog found out about the targets (bots, and users not
    in the server); the service words the refusal. ``can_post``: the bot may post in the channel.
    """

    guild_id: int
    channel_id: int
    offerer_id: int
    offerer_name: str
    slots: tuple[str, ...]
    title: str | None = None
    repeat: str | None = None
    preset: str | None = None
    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    min_people: int | None = None
    max_people: int | None = None
    expires: str | None = None
    zone: str | None = None
    targets: tuple[int, ...] = ()
    bots: tuple[int, ...] = ()
    strangers: tuple[int, ...] = ()
    can_post: bool = True


@dataclass(frozen=True)
class TakeResult:
    view: OfferView
    position: int
    ticked: bool  # False: the member un-ticked the slot (ENOUGH is a toggle)
    confirmed: bool  # this press confirmed the offer
    series_id: int | None
