"""The offers area's types (in :mod:`bot.views.offers`, where render can import them)."""

from __future__ import annotations

from bot.views.offers import (
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
    "OfferStatus",
    "OfferView",
    "SlotView",
    "TakeResult",
    "Taker",
]
