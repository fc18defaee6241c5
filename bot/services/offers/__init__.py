"""Slot offers (issue #14): a member offers 1–5 times; the first taker, or enough people,
confirm one, and it becomes a standing session with everyone Going."""

from bot.services.offers.service import OfferService, timer_key
from bot.services.offers.types import (
    OfferMode,
    OfferRequest,
    OfferStatus,
    OfferView,
    SlotView,
    Taker,
    TakeResult,
)

__all__ = [
    "OfferMode",
    "OfferRequest",
    "OfferService",
    "OfferStatus",
    "OfferView",
    "SlotView",
    "TakeResult",
    "Taker",
    "timer_key",
]
