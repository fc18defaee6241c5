"""Messages: create (JSON or multipart, nonce dedupe), history, get, edit, delete."""

from __future__ import annotations

from typing import Any

from bot.localdiscord import errors
from bot.localdiscord.errors import BadPayload
from bot.localdiscord.models import MESSAGEABLE_TYPES, Channel, Message
from bot.localdiscord.permissions import Perm
from bot.localdiscord.rest import Call, Endpoint, Reply
from bot.localdiscord.validation import MessageDraft, parse_message

from .common import channel, has, message, require, send_permission

REPLY = 19


async def create_message(call: Call) -> Reply:
    target = channel(call)
    if target.type not in MESSAGEABLE_TYPES:
        raise errors.non_text_channel()
    draft = parse_message(call.json(), call.files, creating=True)
    require(call, target, send_permission(target) | _content_permissions(draft))
    _check_thread_open(call, target)
    world = call.core.world
    if draft.enforce_nonce and draft.nonce is not None:
        earlier = world.find_nonce(target, draft.nonce)
        if earlier is not None:
            return Reply(body=world.message_payload(earlier))
    fields = world.draft_fields(target, draft)
    reference = _reference(call, target, draft.message_reference)
    if reference is not None:
        fields.update(type=REPLY, message_reference=reference)
    created = world.post_message(target, world.bot, **fields)
    return Reply(body=world.message_payload(created))


def _content_permissions(draft: MessageDraft) -> int:
    needed = 0
    if draft.embeds:
        needed |= Perm.EMBED_LINKS
    if draft.files:
        needed |= Perm.ATTACH_FILES
    if draft.message_reference:
        needed |= Perm.READ_MESSAGE_HISTORY
    return needed


def _check_thread_open(call: Call, target: Channel) -> None:
    locked = target.is_thread and target.archived and target.locked
    if locked and not has(call, target, Perm.MANAGE_THREADS):
        raise errors.thread_archived()


def _reference(call: Call, target: Channel, ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if not ref or ref.get("type", 0) != 0:
        return None
    message_id = int(ref.get("message_id", 0))
    found = target.messages.get(message_id)
    if found is None or found.ephemeral:
        if ref.get("fail_if_not_exists", True):
            raise BadPayload(
                "message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE"
            )
        return None
    return {
        "type": 0,
        "message_id": str(found.id),
        "channel_id": str(target.id),
        "guild_id": str(target.guild_id),
    }


async def list_messages(call: Call) -> Reply:
    target = channel(call)
    if not has(call, target, Perm.READ_MESSAGE_HISTORY):
        return Reply(body=[])
    limit = max(1, min(call.query_int("limit", 50), 100))
    visible = target.history()
    selected = _page(visible, call, limit)
    world = call.core.world
    return Reply(body=[world.message_payload(m) for m in reversed(selected)])


def _page(messages: list[Message], call: Call, limit: int) -> list[Message]:
    """Oldest-first slice Discord would return for before/after/around (default: latest)."""
    before, after, around = (call.query_int(k, 0) for k in ("before", "after", "around"))
    if around:
        older = [m for m in messages if m.id < around][-(limit // 2) :] if limit > 1 else []
        newer = [m for m in messages if m.id >= around][: limit - len(older)]
        return older + newer
    if after:
        return [m for m in messages if m.id > after][:limit]
    if before:
        messages = [m for m in messages if m.id < before]
    return messages[-limit:]


async def get_message(call: Call) -> Reply:
    target = channel(call)
    require(call, target, Perm.READ_MESSAGE_HISTORY)
    return Reply(body=call.core.world.message_payload(message(call, target)))


async def edit_message(call: Call) -> Reply:
    target = channel(call)
    found = message(call, target)
    world = call.core.world
    if found.author.id != world.bot.id:
        raise errors.not_author()
    draft = parse_message(call.json(), call.files, creating=False)
    require(call, target, _content_permissions(draft))
    world.edit_message(found, **world.draft_fields(target, draft, existing=found))
    return Reply(body=world.message_payload(found))


async def delete_message(call: Call) -> Reply:
    target = channel(call)
    found = message(call, target)
    if found.author.id != call.core.world.bot.id:
        require(call, target, Perm.MANAGE_MESSAGES)
    call.core.world.delete_message(found)
    return Reply.empty()


ENDPOINTS = [
    Endpoint("POST", "/channels/{channel_id}/messages", create_message),
    Endpoint("GET", "/channels/{channel_id}/messages", list_messages),
    Endpoint("GET", "/channels/{channel_id}/messages/{message_id}", get_message),
    Endpoint("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message),
    Endpoint("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message),
]
