"""JSON payloads in Discord's v10 shapes (validated against the OpenAPI response schemas)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import (
    Attachment,
    Channel,
    ChannelType,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
    VoiceState,
)
from .snowflake import iso

if TYPE_CHECKING:
    from .world import Guild

JSON = dict[str, Any]


def user(u: User) -> JSON:
    payload: JSON = {
        "id": str(u.id),
        "username": u.username,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": u.global_name,
        "primary_guild": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
    }
    if u.bot:
        payload["bot"] = True
    return payload


def member(m: Member, *, with_user: bool = True) -> JSON:
    payload: JSON = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": iso(m.joined_at),
        "nick": m.nick,
        "pending": False,
        "premium_since": None,
        "roles": [str(r) for r in m.roles],
        "mute": False,
        "deaf": False,
    }
    if with_user:
        payload["user"] = user(m.user)
    return payload


def role(r: Role) -> JSON:
    payload: JSON = {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": r.managed,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if r.bot_id is not None:
        payload["tags"] = {"bot_id": str(r.bot_id)}
    return payload


def channel(c: Channel, *, viewer: int | None = None) -> JSON:
    """A guild channel or thread; ``viewer`` adds the thread ``member`` object if they joined."""
    if c.is_thread:
        return thread(c, viewer=viewer)
    payload: JSON = {
        "id": str(c.id),
        "type": int(c.type),
        "flags": 0,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "parent_id": _opt_id(c.parent_id),
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in c.overwrites.values()
        ],
        "nsfw": c.nsfw,
    }
    if c.type != ChannelType.CATEGORY:
        payload["last_message_id"] = _opt_id(c.last_message_id)
        payload["rate_limit_per_user"] = c.rate_limit_per_user
    if c.type in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT, ChannelType.FORUM):
        payload["topic"] = c.topic
        payload["default_auto_archive_duration"] = 1440
    if c.type in (ChannelType.VOICE, ChannelType.STAGE):
        payload.update(
            bitrate=c.bitrate, user_limit=c.user_limit, rtc_region=None, video_quality_mode=1
        )
        payload["status"] = c.status
    if c.type == ChannelType.FORUM:
        payload.update(
            available_tags=c.available_tags,
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
        )
    return payload


def thread(c: Channel, *, viewer: int | None = None) -> JSON:
    created = iso(c.created_at)
    metadata: JSON = {
        "archived": c.archived,
        "archive_timestamp": iso(c.archive_timestamp) or created,
        "auto_archive_duration": c.auto_archive_duration,
        "locked": c.locked,
        "create_timestamp": created,
    }
    if c.type == ChannelType.PRIVATE_THREAD:
        metadata["invitable"] = c.invitable
    payload: JSON = {
        "id": str(c.id),
        "type": int(c.type),
        "flags": 0,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "parent_id": _opt_id(c.parent_id),
        "owner_id": str(c.owner_id),
        "last_message_id": _opt_id(c.last_message_id),
        "rate_limit_per_user": c.rate_limit_per_user,
        "thread_metadata": metadata,
        "message_count": c.message_count,
        "member_count": min(len(c.member_ids), 50),
        "total_message_sent": c.total_message_sent,
        "applied_tags": [str(t) for t in c.applied_tags],
    }
    if viewer is not None and viewer in c.member_ids:
        payload["member"] = thread_member(c, viewer)
    return payload


def thread_member(c: Channel, user_id: int) -> JSON:
    return {
        "id": str(c.id),
        "user_id": str(user_id),
        "join_timestamp": iso(c.created_at),
        "flags": 1,
    }


def attachment(a: Attachment) -> JSON:
    payload: JSON = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
    }
    if a.content_type:
        payload["content_type"] = a.content_type
    if a.description:
        payload["description"] = a.description
    return payload


def message(m: Message, *, mentions: list[User], thread_payload: JSON | None = None) -> JSON:
    payload: JSON = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "content": m.content,
        "author": user(m.author),
        "mentions": [user(u) for u in mentions],
        "mention_roles": [str(r) for r in m.mention_role_ids],
        "mention_everyone": m.mention_everyone,
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(m.edited_at),
        "flags": m.flags,
        "pinned": False,
        "tts": m.tts,
    }
    optional = {
        "nonce": m.nonce,
        "webhook_id": _opt_id(m.webhook_id),
        "application_id": _opt_id(m.application_id),
        "interaction_metadata": m.interaction_metadata,
        "interaction": m.interaction,
        "message_reference": m.message_reference,
        "thread": thread_payload,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    return payload


def voice_state(state: VoiceState, guild_id: int, member_obj: Member | None) -> JSON:
    payload: JSON = {
        "guild_id": str(guild_id),
        "channel_id": str(state.channel_id),
        "user_id": str(state.user_id),
        "session_id": state.session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": state.self_deaf,
        "self_mute": state.self_mute,
        "self_video": False,
        "self_stream": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if member_obj is not None:
        payload["member"] = member(member_obj)
    return payload


def scheduled_event(
    e: ScheduledEvent, creator: User | None, *, with_user_count: bool = False
) -> JSON:
    """A guild scheduled event; ``user_count`` only when asked for (``with_user_count=true``)."""
    metadata: JSON | None = {"location": e.location} if e.entity_type == 3 else None
    payload: JSON = {
        "id": str(e.id),
        "guild_id": str(e.guild_id),
        "name": e.name,
        "description": e.description,
        "channel_id": _opt_id(e.channel_id),
        "creator_id": str(e.creator_id),
        "image": e.image,
        "scheduled_start_time": iso(e.start),
        "scheduled_end_time": iso(e.end),
        "status": e.status,
        "entity_type": e.entity_type,
        "entity_id": None,
        "recurrence_rule": e.recurrence_rule,
        "privacy_level": e.privacy_level,
        "guild_scheduled_event_exceptions": [],
        "entity_metadata": metadata,
    }
    if with_user_count:
        payload["user_count"] = len(e.interested)
    if creator is not None:
        payload["creator"] = user(creator)
    return payload


def guild_create(g: Guild, viewer: int, *, all_members: bool = True) -> JSON:
    """The full GUILD_CREATE payload as ``viewer`` (the bot) receives it.

    Without the GUILD_MEMBERS intent (``all_members=False``) Discord lists only the bot itself
    and the members in voice channels; ``member_count`` is still the real count.
    """
    channels = [c for c in g.channels.values() if not c.is_thread]
    threads = [c for c in g.channels.values() if c.is_thread and not c.archived]
    members = list(g.members.values())
    listed = (
        members if all_members else [m for m in members if m.id == viewer or m.id in g.voice_states]
    )
    return {
        **guild_base(g),
        "unavailable": False,
        "large": False,
        "joined_at": iso(g.members[viewer].joined_at) if viewer in g.members else None,
        "member_count": len(members),
        "members": [member(m) for m in listed],
        "channels": [channel(c) for c in channels],
        "threads": [thread(c, viewer=viewer) for c in threads],
        "voice_states": [
            voice_state(v, g.id, g.members.get(v.user_id)) for v in g.voice_states.values()
        ],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [
            scheduled_event(e, g.members[e.creator_id].user if e.creator_id in g.members else None)
            for e in g.scheduled_events.values()
        ],
        "soundboard_sounds": [],
        "embedded_activities": [],
    }


def guild_base(g: Guild) -> JSON:
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "region": "",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": [role(r) for r in g.roles.values()],
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.locale,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "features": [],
        "application_id": None,
        "home_header": None,
        "incidents_data": None,
    }


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)
