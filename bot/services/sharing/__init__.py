"""Sharing: secret links to a sprint's live page and to calendar feeds (see service.py)."""

from __future__ import annotations

from bot.services.sharing.live import LiveHub, Stream
from bot.services.sharing.service import SharingService, new_token, token_hash
from bot.services.sharing.types import Feed, FeedEntry, LivePage, Share, ShareKind, ShareLink

__all__ = [
    "Feed",
    "FeedEntry",
    "LiveHub",
    "LivePage",
    "Share",
    "ShareKind",
    "ShareLink",
    "SharingService",
    "Stream",
    "new_token",
    "token_hash",
]
