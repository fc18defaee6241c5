"""Channels: get, edit (including thread archive/lock), delete, voice status, typing."""

from __future__ import annotations

from typing import Any

from bot.localdiscord import errors, payloads
from bot.localdiscord.errors import BadPayload
from bot.localdiscord.models import Channel, ChannelType, Overwrite
from bot.localdiscord.permissions import Perm
from bot.localdiscord.rest import Call, Endpoint, Reply

from .common import channel, has, require

_CHANNEL_FIELDS = {
    "name": str,
    "topic": (str, type(None)),
    "position": int,
    "nsfw": bool,
    "rate_limit_per_user": int,
    "bitrate": int,
    "user_limit": int,
    "parent_id": (str, int, type(None)),
}
_THREAD_FIELDS = {
    "name": str,
    "archived": bool,
    "locked": bool,
    "invitable": bool,
    "auto_archive_duration": int,
    "rate_limit_per_user": int,
    "applied_tags": list,
}
_ARCHIVE_DURATIONS = {60, 1440, 4320, 10080}


async def get_channel(call: Call) -> Reply:
    found = channel(call)
    return Reply(body=payloads.channel(found, viewer=call.core.world.bot.id))


async def patch_channel(call: Call) -> Reply:
    found = channel(call)
    body = call.json()
    if found.is_thread:
        changes = _thread_changes(call, found, body)
    else:
        changes = _channel_changes(call, found, body)
    renamed = any(k in changes and changes[k] != getattr(found, k) for k in ("name", "topic"))
    if renamed and not found.is_thread:
        call.core.limiter.check_extra(call.core.limiter.rename_bucket(found.id))
    call.core.world.update_channel(found, changes)
    return Reply(body=payloads.channel(found, viewer=call.core.world.bot.id))


def _typed(body: dict[str, Any], allowed: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for key, value in body.items():
        if key not in allowed:
            continue
        if not isinstance(value, allowed[key]) or (allowed[key] is int and isinstance(value, bool)):
            raise BadPayload(key, "Invalid value.")
        changes[key] = value
    return changes


def _channel_changes(call: Call, found: Channel, body: dict[str, Any]) -> dict[str, Any]:
    require(call, found, Perm.MANAGE_CHANNELS)
    changes = _typed(body, _CHANNEL_FIELDS)
    if "name" in changes and not 1 <= len(changes["name"]) <= 100:
        raise BadPayload("name", "Must be between 1 and 100 in length.")
    topic_limit = 4096 if found.type == ChannelType.FORUM else 1024
    if len(changes.get("topic") or "") > topic_limit:
        raise BadPayload("topic", f"Must be {topic_limit} or fewer in length.")
    if "parent_id" in changes:
        parent = changes["parent_id"]
        changes["parent_id"] = int(parent) if parent is not None else None
    if "permission_overwrites" in body:
        require(call, found, Perm.MANAGE_ROLES)
        changes["overwrites"] = {
            int(o["id"]): Overwrite(
                int(o["id"]), int(o["type"]), int(o.get("allow", 0)), int(o.get("deny", 0))
            )
            for o in body["permission_overwrites"]
        }
    return changes


def _thread_changes(call: Call, thread: Channel, body: dict[str, Any]) -> dict[str, Any]:
    changes = _typed(body, _THREAD_FIELDS)
    manage = has(call, thread, Perm.MANAGE_THREADS)
    owner = thread.owner_id == call.core.world.bot.id
    require(call, thread)
    if not (manage or (owner and not {"locked", "invitable"} & changes.keys())):
        raise errors.missing_permissions()
    if thread.archived and thread.locked and not manage:
        raise errors.thread_archived()
    unarchiving = changes.get("archived") is False
    if thread.archived and not unarchiving and set(changes) - {"archived", "locked"}:
        raise errors.thread_archived()
    duration = changes.get("auto_archive_duration")
    if duration is not None and duration not in _ARCHIVE_DURATIONS:
        raise BadPayload("auto_archive_duration", "Value must be one of {60, 1440, 4320, 10080}.")
    if "applied_tags" in changes:
        changes["applied_tags"] = [int(t) for t in changes["applied_tags"]]
    return changes


async def delete_channel(call: Call) -> Reply:
    found = channel(call)
    needed = Perm.MANAGE_THREADS if found.is_thread else Perm.MANAGE_CHANNELS
    require(call, found, needed)
    body = payloads.channel(found, viewer=call.core.world.bot.id)
    call.core.world.delete_channel(found)
    return Reply(body=body)


async def put_voice_status(call: Call) -> Reply:
    found = channel(call)
    if found.type != ChannelType.VOICE:
        raise errors.wrong_channel_type()
    require(call, found, Perm.SET_VOICE_CHANNEL_STATUS)
    world = call.core.world
    state = world.guild_of(found).voice_states.get(world.bot.id)
    if (state is None or state.channel_id != found.id) and not has(
        call, found, Perm.MANAGE_CHANNELS
    ):
        raise errors.missing_permissions()
    status = call.json().get("status")
    if status is not None and (not isinstance(status, str) or len(status) > 500):
        raise BadPayload("status", "Must be 500 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    world.set_voice_status(found, status or None)
    return Reply.empty()


async def trigger_typing(call: Call) -> Reply:
    found = channel(call)
    require(call, found, Perm.SEND_MESSAGES_IN_THREADS if found.is_thread else Perm.SEND_MESSAGES)
    return Reply.empty()


ENDPOINTS = [
    Endpoint("GET", "/channels/{channel_id}", get_channel),
    Endpoint("PATCH", "/channels/{channel_id}", patch_channel),
    Endpoint("DELETE", "/channels/{channel_id}", delete_channel),
    Endpoint("PUT", "/channels/{channel_id}/voice-status", put_voice_status),
    Endpoint("POST", "/channels/{channel_id}/typing", trigger_typing),
]
