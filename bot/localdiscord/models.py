"""The local server's world: plain records for users, guilds, channels and messages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from .snowflake import snowflake_time

EPHEMERAL = 1 << 6
LOADING = 1 << 7
HAS_THREAD = 1 << 5


class ChannelType(IntEnum):
    TEXT = 0
    VOICE = 2
    CATEGORY = 4
    ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    STAGE = 13
    FORUM = 15


THREAD_TYPES = frozenset(
    {ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD}
)
MESSAGEABLE_TYPES = frozenset(
    {ChannelType.TEXT, ChannelType.VOICE, ChannelType.ANNOUNCEMENT, ChannelType.STAGE}
    | THREAD_TYPES
)


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.global_name or self.username


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def managed(self) -> bool:
        return self.bot_id is not None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass(eq=False)
class Member:
    user: User
    guild_id: int
    joined_at: datetime
    roles: list[int] = field(default_factory=list)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name

    @property
    def mention(self) -> str:
        return self.user.mention


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(eq=False)
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    nonce: int | str | None = None
    allowed_mentions: dict[str, Any] | None = None
    mention_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    interaction: dict[str, Any] | None = None
    edited_at: datetime | None = None
    thread_id: int | None = None
    ephemeral_for: int | None = None  # the only user who can see an ephemeral message

    @property
    def created_at(self) -> datetime:
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred interaction response still "thinking"."""
        return bool(self.flags & LOADING)

    def visible_to(self, user_id: int | None) -> bool:
        return self.ephemeral_for is None or self.ephemeral_for == user_id

    def walk_components(self) -> Iterator[dict[str, Any]]:
        yield from walk_components(self.components)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.walk_components() if c.get("type") == 2]

    def button(self, label_or_custom_id: str) -> dict[str, Any] | None:
        for button in self.buttons:
            if label_or_custom_id in (button.get("label"), button.get("custom_id")):
                return button
        return None


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component in a tree (action rows, containers, sections, labels...), depth first."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


@dataclass(eq=False)
class Channel:
    id: int
    type: ChannelType
    guild_id: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    bitrate: int = 64000
    user_limit: int = 0
    status: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, Message] = field(default_factory=dict)
    last_message_id: int | None = None
    # Thread-only state
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: datetime | None = None
    member_ids: set[int] = field(default_factory=set)
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[int] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def created_at(self) -> datetime:
        return snowflake_time(self.id)

    def history(self, viewer: int | None = None) -> list[Message]:
        """Messages oldest first, as ``viewer`` sees them (ephemeral ones only for their user)."""
        return [m for m in self.messages.values() if m.visible_to(viewer)]


@dataclass
class VoiceState:
    user_id: int
    channel_id: int
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False


@dataclass(eq=False)
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    start: datetime
    entity_type: int  # 1 stage, 2 voice, 3 external
    creator_id: int
    end: datetime | None = None
    description: str | None = None
    channel_id: int | None = None
    location: str | None = None
    status: int = 1  # 1 scheduled, 2 active, 3 completed, 4 canceled
    privacy_level: int = 2
    image: str | None = None
    recurrence_rule: dict[str, Any] | None = None
    interested: dict[int, None] = field(default_factory=dict)  # user ids, in the order they clicked
