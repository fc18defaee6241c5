"""A local Discord-compatible server and test driver (documentation below is expanded later)."""

from __future__ import annotations

from .commands import CommandRejected
from .core import ServerConfig
from .driver import Driver, InteractionFailed, InteractionResult
from .models import Channel, ChannelType, Member, Message, Role, User
from .permissions import Perm
from .ratelimit import RateLimitConfig
from .render import render_message, render_transcript
from .server import LocalDiscord
from .world import Guild, World

__all__ = [
    "Channel",
    "ChannelType",
    "CommandRejected",
    "Driver",
    "Guild",
    "InteractionFailed",
    "InteractionResult",
    "LocalDiscord",
    "Member",
    "Message",
    "Perm",
    "RateLimitConfig",
    "Role",
    "ServerConfig",
    "User",
    "World",
    "render_message",
    "render_transcript",
]
