"""Lookups and permission checks shared by the route handlers."""

from __future__ import annotations

from bot.localdiscord import errors
from bot.localdiscord.models import Channel, Message
from bot.localdiscord.permissions import Perm, base_permissions
from bot.localdiscord.rest import Call
from bot.localdiscord.world import Guild


def channel(call: Call, name: str = "channel_id") -> Channel:
    """A channel the bot can see (404 10003 if unknown, 403 50001 without VIEW_CHANNEL)."""
    found = call.core.world.channel(call.snowflake(name))
    require(call, found)
    return found


def guild(call: Call) -> Guild:
    found = call.core.world.guilds.get(call.snowflake("guild_id"))
    if found is None:
        raise errors.unknown_guild()
    return found


def has(call: Call, target: Channel, permissions: int) -> bool:
    return call.core.world.bot_permissions(target) & permissions == permissions


def require(call: Call, target: Channel, permissions: int = 0) -> None:
    """403 50001 without VIEW_CHANNEL, 403 50013 without ``permissions``."""
    have = call.core.world.bot_permissions(target)
    if not have & Perm.VIEW_CHANNEL:
        raise errors.missing_access()
    if have & permissions != permissions:
        raise errors.missing_permissions()


def require_guild(call: Call, target: Guild, permissions: int) -> None:
    if base_permissions(target, call.core.world.bot.id) & permissions != permissions:
        raise errors.missing_permissions()


def message(call: Call, where: Channel) -> Message:
    found = where.messages.get(call.snowflake("message_id"))
    if found is None or found.ephemeral:
        raise errors.unknown_message()
    return found


def send_permission(target: Channel) -> Perm:
    return Perm.SEND_MESSAGES_IN_THREADS if target.is_thread else Perm.SEND_MESSAGES
