"""Discord permission bits and the permission computation Discord documents.

See https://discord.com/developers/docs/topics/permissions (base permissions, overwrites in the
order @everyone → roles → member, ADMINISTRATOR, implicit denials).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntFlag
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Channel
    from .world import Guild


class Perm(IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SET_VOICE_CHANNEL_STATUS = 1 << 48
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50


ALL = Perm((1 << 51) - 1)

#: What a member gets from @everyone in a new Discord server (roughly).
DEFAULT_EVERYONE = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.ADD_REACTIONS
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CHANGE_NICKNAME
    | Perm.CREATE_EVENTS
)

#: The bot's own (managed) role by default: what a coworking bot is typically invited with.
DEFAULT_BOT = (
    DEFAULT_EVERYONE
    | Perm.MANAGE_CHANNELS
    | Perm.MANAGE_MESSAGES
    | Perm.MANAGE_THREADS
    | Perm.MANAGE_EVENTS
    | Perm.SET_VOICE_CHANNEL_STATUS
)

_TEXT_DEPENDENT = (
    Perm.SEND_TTS_MESSAGES | Perm.MENTION_EVERYONE | Perm.EMBED_LINKS | Perm.ATTACH_FILES
)


def combine(flags: Iterable[int]) -> int:
    total = 0
    for flag in flags:
        total |= int(flag)
    return total


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions of a member (owner and ADMINISTRATOR get everything)."""
    if user_id == guild.owner_id:
        return int(ALL)
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return int(ALL) if perms & Perm.ADMINISTRATOR else perms


def channel_permissions(guild: Guild, user_id: int, channel: Channel) -> int:
    """Permissions of a member in a channel (threads use their parent's overwrites)."""
    perms = base_permissions(guild, user_id)
    if perms & Perm.ADMINISTRATOR:
        return int(ALL)
    target = guild.channels.get(channel.parent_id or 0) if channel.is_thread else channel
    if target is not None:
        perms = _apply_overwrites(guild, user_id, target, perms)
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    send = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
    if not perms & send:
        perms &= ~_TEXT_DEPENDENT
    return perms


def _apply_overwrites(guild: Guild, user_id: int, channel: Channel, perms: int) -> int:
    everyone = channel.overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    member = guild.members.get(user_id)
    role_ids = set(member.roles) if member else set()
    allow = deny = 0
    for overwrite in channel.overwrites.values():
        if overwrite.type == 0 and overwrite.id in role_ids:
            allow |= overwrite.allow
            deny |= overwrite.deny
    perms = (perms & ~deny) | allow
    own = channel.overwrites.get(user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    return perms
