"""The simulated Discord state: guilds, members, channels, messages, and what changes them.

Every change goes through a :class:`World` method, which updates the records and emits the
gateway dispatch a real Discord would send (``World.dispatch`` is wired to the gateway by the
server) and notifies message observers (the test driver's waiters).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors, payloads
from .models import (
    EPHEMERAL,
    HAS_THREAD,
    Attachment,
    Channel,
    ChannelType,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
    VoiceState,
)
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, Perm, channel_permissions
from .snowflake import SnowflakeFactory, on_shard, utcnow
from .validation import MessageDraft

if TYPE_CHECKING:
    from .interactions import InteractionState

JSON = dict[str, Any]
Dispatcher = Callable[[str, JSON, "int | None"], None]
MessageObserver = Callable[[str, Message], None]

NONCE_WINDOW_S = 300.0
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(eq=False)
class Guild:
    """A guild plus seeding helpers (``add_*``) and lookups by name (``member("alice")``)."""

    id: int
    name: str
    owner_id: int
    world: World = field(repr=False)
    bot_role_id: int = 0
    locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    commands: dict[str, JSON] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------------------

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    @property
    def bot_role(self) -> Role:
        return self.roles[self.bot_role_id]

    @property
    def bot_member(self) -> Member:
        return self.members[self.world.bot.id]

    def member(self, name: str) -> Member:
        """A member by username, nick or global name."""
        for m in self.members.values():
            if name in (m.user.username, m.nick, m.user.global_name):
                return m
        raise KeyError(f"no member {name!r} in {self.name}")

    def role(self, name: str) -> Role:
        for r in self.roles.values():
            if r.name == name:
                return r
        raise KeyError(f"no role {name!r} in {self.name}")

    def channel(self, name: str) -> Channel:
        """A channel or thread by name (channels first)."""
        ordered = sorted(self.channels.values(), key=lambda c: c.is_thread)
        for c in ordered:
            if c.name == name:
                return c
        raise KeyError(f"no channel {name!r} in {self.name}")

    def threads(self, parent: Channel | None = None) -> list[Channel]:
        return [
            c
            for c in self.channels.values()
            if c.is_thread and (parent is None or c.parent_id == parent.id)
        ]

    def permissions_for(self, who: Member | User | int, channel: Channel) -> int:
        return channel_permissions(self, _user_id(who), channel)

    # -- seeding -----------------------------------------------------------------------------

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        new = Role(
            id=self.world.ids.next(),
            guild_id=self.id,
            name=name,
            permissions=int(permissions),
            position=len(self.roles),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.roles[new.id] = new
        self.world.emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": payloads.role(new)}, self.id
        )
        return new

    def add_member(
        self,
        username: str,
        *,
        roles: Iterable[Role] = (),
        nick: str | None = None,
        global_name: str | None = None,
        bot: bool = False,
    ) -> Member:
        user = self.world.add_user(username, global_name=global_name, bot=bot)
        return self._join(user, [r.id for r in roles], nick=nick)

    def _join(self, user: User, role_ids: list[int], *, nick: str | None = None) -> Member:
        new = Member(user=user, guild_id=self.id, joined_at=utcnow(), roles=role_ids, nick=nick)
        self.members[user.id] = new
        data = {**payloads.member(new), "guild_id": str(self.id)}
        self.world.emit("GUILD_MEMBER_ADD", data, self.id)
        return new

    def add_text_channel(
        self, name: str, *, topic: str | None = None, category: Channel | None = None
    ) -> Channel:
        return self._add_channel(ChannelType.TEXT, name, category, topic=topic)

    def add_voice_channel(self, name: str, *, category: Channel | None = None) -> Channel:
        return self._add_channel(ChannelType.VOICE, name, category)

    def add_forum_channel(
        self, name: str, *, tags: Iterable[str] = (), category: Channel | None = None
    ) -> Channel:
        channel = self._add_channel(ChannelType.FORUM, name, category)
        channel.available_tags = [
            {
                "id": str(self.world.ids.next()),
                "name": tag,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for tag in tags
        ]
        return channel

    def add_category(self, name: str) -> Channel:
        return self._add_channel(ChannelType.CATEGORY, name, None)

    def _add_channel(
        self, kind: ChannelType, name: str, category: Channel | None, **extra: Any
    ) -> Channel:
        position = sum(1 for c in self.channels.values() if not c.is_thread)
        channel = Channel(
            id=self.world.ids.next(),
            type=kind,
            guild_id=self.id,
            name=name,
            position=position,
            parent_id=category.id if category else None,
            **extra,
        )
        self.world.register_channel(channel)
        self.world.emit("CHANNEL_CREATE", payloads.channel(channel), self.id)
        return channel


def _user_id(who: Member | User | int) -> int:
    return who if isinstance(who, int) else who.id


class World:
    """All simulated Discord state for one application (the bot)."""

    def __init__(self, *, bot_name: str = "Sprintbot") -> None:
        self.ids = SnowflakeFactory()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.global_commands: dict[str, JSON] = {}
        self.interactions: dict[int, InteractionState] = {}
        self.observers: list[MessageObserver] = []
        self.dispatch: Dispatcher = lambda event, data, guild_id: None
        self.attachment_base = "http://127.0.0.1/attachments"
        self.bot = self.add_user(bot_name, bot=True)
        self.owner = self.add_user(f"{bot_name.lower()}-owner")
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}

    @property
    def application_id(self) -> int:
        return self.bot.id

    # -- registry ----------------------------------------------------------------------------

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        user = User(id=self.ids.next(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: str | None = None,
        bot_permissions: int = DEFAULT_BOT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild with @everyone, the bot's managed role, its owner and the bot as members.

        ``shard=(shard_id, shard_count)`` picks an id that Discord would route to that shard.
        """
        guild_id = self.ids.next()
        if shard is not None:
            guild_id = on_shard(guild_id, *shard)
        owner_user = self.add_user(owner or f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(id=guild_id, name=name, owner_id=owner_user.id, world=self)
        guild.roles[guild_id] = Role(guild_id, guild_id, "@everyone", int(DEFAULT_EVERYONE))
        bot_role = Role(
            self.ids.next(),
            guild_id,
            self.bot.username,
            int(bot_permissions),
            1,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        now = utcnow()
        guild.members[owner_user.id] = Member(owner_user, guild_id, now)
        guild.members[self.bot.id] = Member(self.bot, guild_id, now, roles=[bot_role.id])
        self.guilds[guild_id] = guild
        self.emit("GUILD_CREATE", payloads.guild_create(guild, self.bot.id), guild_id)
        return guild

    def guild(self, name: str) -> Guild:
        for g in self.guilds.values():
            if g.name == name:
                return g
        raise KeyError(f"no guild {name!r}")

    def register_channel(self, channel: Channel) -> None:
        self.guilds[channel.guild_id].channels[channel.id] = channel
        self.channels[channel.id] = channel

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise errors.unknown_channel() from None

    def guild_of(self, channel: Channel) -> Guild:
        return self.guilds[channel.guild_id]

    def member_of(self, guild_id: int | None, user_id: int) -> Member | None:
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        return guild.members.get(user_id) if guild else None

    def bot_permissions(self, channel: Channel) -> int:
        return channel_permissions(self.guild_of(channel), self.bot.id, channel)

    def emit(self, event: str, data: JSON, guild_id: int | None) -> None:
        self.dispatch(event, data, guild_id)

    # -- messages ----------------------------------------------------------------------------

    def message_payload(self, message: Message, *, gateway: bool = False) -> JSON:
        thread = self.channels.get(message.thread_id) if message.thread_id else None
        mentions = [self.users[i] for i in message.mention_ids if i in self.users]
        data = payloads.message(
            message,
            mentions=mentions,
            thread_payload=payloads.thread(thread, viewer=self.bot.id) if thread else None,
        )
        if gateway and message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            author = self.member_of(message.guild_id, message.author.id)
            if author is not None and message.webhook_id is None:
                data["member"] = payloads.member(author, with_user=False)
        return data

    def find_nonce(self, channel: Channel, nonce: int | str) -> Message | None:
        found = self._nonces.get((channel.id, str(nonce)))
        if found is None or time.monotonic() - found[1] > NONCE_WINDOW_S:
            return None
        return self.messages.get(found[0])

    def post_message(
        self,
        channel: Channel,
        author: User,
        *,
        message_id: int | None = None,
        ephemeral_for: int | None = None,
        **fields: Any,
    ) -> Message:
        """Store a message, emit MESSAGE_CREATE (unless ephemeral) and notify observers."""
        message = Message(
            id=message_id or self.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            ephemeral_for=ephemeral_for,
            **fields,
        )
        if ephemeral_for is not None:
            message.flags |= EPHEMERAL
        self._resolve_mentions(message, channel)
        channel.messages[message.id] = message
        self.messages[message.id] = message
        if message.nonce is not None:
            self._nonces[(channel.id, str(message.nonce))] = (message.id, time.monotonic())
        if not message.ephemeral:
            self._count_message(channel, message)
            self.emit(
                "MESSAGE_CREATE", self.message_payload(message, gateway=True), channel.guild_id
            )
        self._notify("create", message)
        return message

    def _count_message(self, channel: Channel, message: Message) -> None:
        channel.last_message_id = message.id
        if channel.is_thread:
            channel.message_count += 1
            channel.total_message_sent += 1
            if channel.archived and not channel.locked:
                self.update_channel(channel, {"archived": False})

    def edit_message(self, message: Message, *, edited: bool = True, **changes: Any) -> Message:
        """Apply changes, emit MESSAGE_UPDATE (unless ephemeral) and notify observers."""
        for key, value in changes.items():
            setattr(message, key, value)
        if edited:
            message.edited_at = utcnow()
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            self._resolve_mentions(message, channel)
        if not message.ephemeral:
            self.emit(
                "MESSAGE_UPDATE", self.message_payload(message, gateway=True), message.guild_id
            )
        self._notify("update", message)
        return message

    def delete_message(self, message: Message) -> None:
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            channel.messages.pop(message.id, None)
        self.messages.pop(message.id, None)
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                data["guild_id"] = str(message.guild_id)
            self.emit("MESSAGE_DELETE", data, message.guild_id)
        self._notify("delete", message)

    def _notify(self, kind: str, message: Message) -> None:
        for observer in list(self.observers):
            observer(kind, message)

    def _resolve_mentions(self, message: Message, channel: Channel) -> None:
        """Fill ``mentions``/``mention_roles``/``mention_everyone`` as allowed_mentions permits."""
        allowed = message.allowed_mentions
        parse = set(allowed.get("parse", [])) if allowed else {"users", "roles", "everyone"}
        users = {int(u) for u in allowed.get("users", [])} if allowed else set()
        roles = {int(r) for r in allowed.get("roles", [])} if allowed else set()
        guild = self.guilds.get(channel.guild_id)
        text = message.content
        message.mention_ids = [
            uid
            for uid in dict.fromkeys(int(m) for m in _USER_MENTION.findall(text))
            if uid in self.users and ("users" in parse or uid in users)
        ]
        message.mention_role_ids = [
            rid
            for rid in dict.fromkeys(int(m) for m in _ROLE_MENTION.findall(text))
            if guild and rid in guild.roles and ("roles" in parse or rid in roles)
        ]
        may_ping_all = guild is not None and bool(
            channel_permissions(guild, message.author.id, channel) & Perm.MENTION_EVERYONE
        )
        message.mention_everyone = (
            "everyone" in parse and may_ping_all and ("@everyone" in text or "@here" in text)
        )

    def add_attachment(
        self, channel: Channel, filename: str, data: bytes, **extra: Any
    ) -> Attachment:
        attachment_id = self.ids.next()
        url = f"{self.attachment_base}/{channel.id}/{attachment_id}/{filename}"
        return Attachment(id=attachment_id, filename=filename, data=data, url=url, **extra)

    def draft_fields(
        self,
        channel: Channel,
        draft: MessageDraft,
        *,
        existing: Message | None = None,
        allow_ephemeral: bool = False,
    ) -> JSON:
        """``post_message``/``edit_message`` keyword arguments for a parsed body."""
        result = draft.fields(allow_ephemeral=allow_ephemeral)
        uploaded = [
            self.add_attachment(
                channel, f.filename, f.data, content_type=f.content_type, description=description
            )
            for f, description in draft.files
        ]
        if existing is None:
            if uploaded:
                result["attachments"] = uploaded
            result.update(tts=draft.tts, nonce=draft.nonce)
            return result
        if uploaded or draft.keep_attachment_ids is not None:
            keep = draft.keep_attachment_ids
            kept = [a for a in existing.attachments if keep is None or a.id in keep]
            result["attachments"] = kept + uploaded
        return result

    # -- threads and channels ----------------------------------------------------------------

    def create_thread(
        self,
        parent: Channel,
        owner: User,
        name: str,
        *,
        kind: ChannelType = ChannelType.PUBLIC_THREAD,
        from_message: Message | None = None,
        auto_archive_duration: int = 1440,
        applied_tags: Iterable[int] = (),
        invitable: bool = True,
        rate_limit_per_user: int = 0,
    ) -> Channel:
        """A new thread; emits THREAD_CREATE with ``newly_created``."""
        thread = Channel(
            id=from_message.id if from_message else self.ids.next(),
            type=kind,
            guild_id=parent.guild_id,
            name=name,
            parent_id=parent.id,
            owner_id=owner.id,
            member_ids={owner.id},
            auto_archive_duration=auto_archive_duration,
            applied_tags=list(applied_tags),
            invitable=invitable,
            rate_limit_per_user=rate_limit_per_user,
        )
        self.register_channel(thread)
        if from_message is not None:
            from_message.thread_id = thread.id
            from_message.flags |= HAS_THREAD
        data = {**payloads.thread(thread, viewer=self.bot.id), "newly_created": True}
        self.emit("THREAD_CREATE", data, thread.guild_id)
        return thread

    def update_channel(self, channel: Channel, changes: JSON) -> Channel:
        """Apply known fields and emit CHANNEL_UPDATE, or THREAD_UPDATE for threads."""
        for key, value in changes.items():
            if key == "archived" and value != channel.archived:
                channel.archive_timestamp = utcnow()
            setattr(channel, key, value)
        if channel.is_thread:
            self.emit(
                "THREAD_UPDATE", payloads.thread(channel, viewer=self.bot.id), channel.guild_id
            )
        else:
            self.emit("CHANNEL_UPDATE", payloads.channel(channel), channel.guild_id)
        return channel

    def delete_channel(self, channel: Channel) -> None:
        """Remove a channel (with its threads and messages); emits CHANNEL_/THREAD_DELETE."""
        guild = self.guild_of(channel)
        for thread in guild.threads(channel):
            self.delete_channel(thread)
        for message_id in channel.messages:
            self.messages.pop(message_id, None)
        guild.channels.pop(channel.id, None)
        self.channels.pop(channel.id, None)
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": int(channel.type),
            }
            self.emit("THREAD_DELETE", data, channel.guild_id)
        else:
            self.emit("CHANNEL_DELETE", payloads.channel(channel), channel.guild_id)

    def set_voice_status(self, channel: Channel, status: str | None) -> None:
        channel.status = status
        data = {"id": str(channel.id), "guild_id": str(channel.guild_id), "status": status}
        self.emit("VOICE_CHANNEL_STATUS_UPDATE", data, channel.guild_id)

    # -- voice -------------------------------------------------------------------------------

    def voice_join(self, member: Member, channel: Channel) -> VoiceState:
        guild = self.guilds[member.guild_id]
        state = VoiceState(user_id=member.id, channel_id=channel.id, session_id=uuid.uuid4().hex)
        guild.voice_states[member.id] = state
        self.emit("VOICE_STATE_UPDATE", payloads.voice_state(state, guild.id, member), guild.id)
        return state

    def voice_leave(self, member: Member) -> None:
        guild = self.guilds[member.guild_id]
        state = guild.voice_states.pop(member.id, None)
        if state is None:
            return
        data = payloads.voice_state(state, guild.id, member)
        data["channel_id"] = None
        self.emit("VOICE_STATE_UPDATE", data, guild.id)

    # -- permissions -------------------------------------------------------------------------

    def set_bot_permissions(
        self, target: Guild | Channel, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Grant (``allow``) or take away (``deny``) bot permissions guild-wide or in a channel.

        On a guild, ``allow`` is added to the bot's managed role and ``deny`` is removed from
        it and from @everyone (Discord has no guild-level deny, so a permission every member
        has must go from @everyone too); each edited role emits GUILD_ROLE_UPDATE. On a channel
        (a thread means its parent) it edits the bot's member overwrite (CHANNEL_UPDATE).
        """
        allow, deny = int(allow), int(deny)
        if isinstance(target, Guild):
            roles = [target.bot_role] + ([target.everyone] if deny else [])
            for role in roles:
                role.permissions = role.permissions | (allow if role is target.bot_role else 0)
                role.permissions &= ~deny
                data = {"guild_id": str(target.id), "role": payloads.role(role)}
                self.emit("GUILD_ROLE_UPDATE", data, target.id)
            return
        channel = (
            self.channels[target.parent_id] if target.is_thread and target.parent_id else target
        )
        overwrite = channel.overwrites.setdefault(self.bot.id, Overwrite(self.bot.id, 1))
        overwrite.allow = (overwrite.allow | allow) & ~deny
        overwrite.deny = (overwrite.deny | deny) & ~allow
        self.update_channel(channel, {})

    # -- scheduled events --------------------------------------------------------------------

    def event_payload(self, event: ScheduledEvent, *, with_user_count: bool = False) -> JSON:
        creator = self.users.get(event.creator_id)
        return payloads.scheduled_event(event, creator, with_user_count=with_user_count)

    def save_event(self, event: ScheduledEvent, *, created: bool) -> None:
        self.guilds[event.guild_id].scheduled_events[event.id] = event
        name = "GUILD_SCHEDULED_EVENT_CREATE" if created else "GUILD_SCHEDULED_EVENT_UPDATE"
        self.emit(name, self.event_payload(event), event.guild_id)

    def delete_event(self, event: ScheduledEvent) -> None:
        self.guilds[event.guild_id].scheduled_events.pop(event.id, None)
        event.interested.clear()
        self.emit("GUILD_SCHEDULED_EVENT_DELETE", self.event_payload(event), event.guild_id)

    def set_interested(self, event: ScheduledEvent, member: Member, interested: bool) -> bool:
        """A member clicks "Interested" (or un-clicks it); False if nothing changed.

        Emits GUILD_SCHEDULED_EVENT_USER_ADD / _REMOVE (``guild_scheduled_event_id``,
        ``user_id``, ``guild_id``) as Discord does.
        """
        if (member.id in event.interested) == interested:
            return False
        if interested:
            event.interested[member.id] = None
        else:
            del event.interested[member.id]
        name = (
            "GUILD_SCHEDULED_EVENT_USER_ADD" if interested else "GUILD_SCHEDULED_EVENT_USER_REMOVE"
        )
        data = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(member.id),
            "guild_id": str(event.guild_id),
        }
        self.emit(name, data, event.guild_id)
        return True
