"""Threads: from a message, standalone (and forum posts), joining and leaving."""

from __future__ import annotations

from typing import Any

from bot.localdiscord import errors, payloads
from bot.localdiscord.errors import BadPayload
from bot.localdiscord.models import Channel, ChannelType
from bot.localdiscord.permissions import Perm
from bot.localdiscord.rest import Call, Endpoint, Reply
from bot.localdiscord.validation import parse_message

from .common import channel, message, require

THREAD_CREATED = 18
_THREAD_PARENTS = {ChannelType.TEXT, ChannelType.ANNOUNCEMENT}


def _thread_options(body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise BadPayload("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
    duration = body.get("auto_archive_duration") or 1440
    if duration not in (60, 1440, 4320, 10080):
        raise BadPayload("auto_archive_duration", "Value must be one of {60, 1440, 4320, 10080}.")
    return {
        "name": name,
        "auto_archive_duration": duration,
        "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
    }


async def thread_from_message(call: Call) -> Reply:
    parent = channel(call)
    if parent.type not in _THREAD_PARENTS:
        raise errors.wrong_channel_type()
    require(call, parent, Perm.CREATE_PUBLIC_THREADS | Perm.READ_MESSAGE_HISTORY)
    starter = message(call, parent)
    if starter.thread_id is not None:
        raise errors.thread_exists()
    world = call.core.world
    kind = ChannelType.ANNOUNCEMENT_THREAD if parent.type == ChannelType.ANNOUNCEMENT else None
    thread = world.create_thread(
        parent,
        world.bot,
        kind=kind or ChannelType.PUBLIC_THREAD,
        from_message=starter,
        **_thread_options(call.json()),
    )
    return Reply(201, payloads.thread(thread, viewer=world.bot.id))


async def start_thread(call: Call) -> Reply:
    parent = channel(call)
    body = call.json()
    if parent.type == ChannelType.FORUM:
        return await _forum_post(call, parent, body)
    if parent.type not in _THREAD_PARENTS:
        raise errors.wrong_channel_type()
    kind = ChannelType(body.get("type") or ChannelType.PRIVATE_THREAD)
    if kind not in (ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD):
        raise BadPayload("type", "Invalid thread type.")
    needed = (
        Perm.CREATE_PRIVATE_THREADS
        if kind == ChannelType.PRIVATE_THREAD
        else Perm.CREATE_PUBLIC_THREADS
    )
    require(call, parent, needed)
    world = call.core.world
    thread = world.create_thread(
        parent,
        world.bot,
        kind=kind,
        invitable=bool(body.get("invitable", True)),
        **_thread_options(body),
    )
    if kind == ChannelType.PUBLIC_THREAD:
        reference = {"type": 0, "channel_id": str(thread.id), "guild_id": str(thread.guild_id)}
        world.post_message(
            parent,
            world.bot,
            type=THREAD_CREATED,
            content=thread.name,
            message_reference=reference,
        )
    return Reply(201, payloads.thread(thread, viewer=world.bot.id))


async def _forum_post(call: Call, forum: Channel, body: dict[str, Any]) -> Reply:
    require(call, forum, Perm.SEND_MESSAGES)
    first = body.get("message")
    if not isinstance(first, dict):
        raise BadPayload("message", "This field is required", "BASE_TYPE_REQUIRED")
    draft = parse_message(first, call.files, creating=True, prefix="message.")
    if draft.embeds:
        require(call, forum, Perm.EMBED_LINKS)
    tags = [int(t) for t in body.get("applied_tags") or []]
    known = {int(t["id"]) for t in forum.available_tags}
    if not set(tags) <= known:
        raise BadPayload("applied_tags", "Unknown tag.")
    world = call.core.world
    thread = world.create_thread(forum, world.bot, applied_tags=tags, **_thread_options(body))
    starter = world.post_message(
        thread, world.bot, message_id=thread.id, **world.draft_fields(thread, draft)
    )
    data = payloads.thread(thread, viewer=world.bot.id)
    data["message"] = world.message_payload(starter)
    return Reply(201, data)


def _thread(call: Call) -> Channel:
    found = channel(call)
    if not found.is_thread:
        raise errors.wrong_channel_type()
    return found


async def join_thread(call: Call) -> Reply:
    thread = _thread(call)
    if thread.archived:
        raise errors.thread_archived()
    thread.member_ids.add(call.core.world.bot.id)
    return Reply.empty()


async def leave_thread(call: Call) -> Reply:
    thread = _thread(call)
    if thread.archived:
        raise errors.thread_archived()
    thread.member_ids.discard(call.core.world.bot.id)
    return Reply.empty()


ENDPOINTS = [
    Endpoint("POST", "/channels/{channel_id}/messages/{message_id}/threads", thread_from_message),
    Endpoint("POST", "/channels/{channel_id}/threads", start_thread),
    Endpoint("PUT", "/channels/{channel_id}/thread-members/@me", join_thread),
    Endpoint("DELETE", "/channels/{channel_id}/thread-members/@me", leave_thread),
]
