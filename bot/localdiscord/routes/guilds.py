"""Guilds: the guild, its channels, members and roles, and scheduled events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.localdiscord import errors, payloads
from bot.localdiscord.errors import BadPayload
from bot.localdiscord.models import ChannelType, ScheduledEvent
from bot.localdiscord.permissions import Perm, base_permissions
from bot.localdiscord.rest import Call, Endpoint, Reply
from bot.localdiscord.snowflake import utcnow
from bot.localdiscord.world import Guild

from .common import guild, require

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
STAGE, VOICE, EXTERNAL = 1, 2, 3
_TRANSITIONS = {SCHEDULED: {SCHEDULED, ACTIVE, CANCELED}, ACTIVE: {ACTIVE, COMPLETED}}


async def get_guild(call: Call) -> Reply:
    found = guild(call)
    body = {
        **payloads.guild_base(found),
        "approximate_member_count": len(found.members),
        "approximate_presence_count": 0,
    }
    return Reply(body=body)


async def list_channels(call: Call) -> Reply:
    found = guild(call)
    return Reply(body=[payloads.channel(c) for c in found.channels.values() if not c.is_thread])


async def get_member(call: Call) -> Reply:
    found = guild(call).members.get(call.snowflake("user_id"))
    if found is None:
        raise errors.unknown_member()
    return Reply(body=payloads.member(found))


async def list_members(call: Call) -> Reply:
    members = sorted(guild(call).members.values(), key=lambda m: m.id)
    after = call.query_int("after", 0)
    limit = max(1, min(call.query_int("limit", 1), 1000))
    page = [m for m in members if m.id > after][:limit]
    return Reply(body=[payloads.member(m) for m in page])


async def list_roles(call: Call) -> Reply:
    return Reply(body=[payloads.role(r) for r in guild(call).roles.values()])


# -- scheduled events ------------------------------------------------------------------------
#
# Checked against Discord's OpenAPI spec and docs: creating needs CREATE_EVENTS or
# MANAGE_EVENTS (in the channel, with VIEW_CHANNEL and CONNECT, for a voice or stage event);
# editing or deleting the bot's own event needs either, someone else's MANAGE_EVENTS. Status
# moves SCHEDULED → ACTIVE → COMPLETED, or SCHEDULED → CANCELED; a finished event (COMPLETED
# or CANCELED) cannot be modified (180000). An EXTERNAL event needs entity_metadata.location
# and a scheduled_end_time; an end must come after the start.


async def list_events(call: Call) -> Reply:
    world, counted = call.core.world, _with_user_count(call)
    events = guild(call).scheduled_events.values()
    return Reply(body=[world.event_payload(e, with_user_count=counted) for e in events])


async def create_event(call: Call) -> Reply:
    target = guild(call)
    body = call.json()
    world = call.core.world
    event = ScheduledEvent(
        id=world.ids.next(),
        guild_id=target.id,
        name=_name(body.get("name")),
        start=_time(body.get("scheduled_start_time"), "scheduled_start_time", future=True),
        end=_optional_time(body.get("scheduled_end_time"), "scheduled_end_time"),
        entity_type=_entity_type(body.get("entity_type")),
        creator_id=world.bot.id,
        description=_description(body.get("description")),
        privacy_level=_privacy(body.get("privacy_level")),
        image=body.get("image"),
        recurrence_rule=body.get("recurrence_rule"),
    )
    _place(call, target, event, body)
    _check_end(event)
    _require_event_manager(call, target, event)
    world.save_event(event, created=True)
    return Reply(body=world.event_payload(event))


async def get_event(call: Call) -> Reply:
    return Reply(
        body=call.core.world.event_payload(_event(call), with_user_count=_with_user_count(call))
    )


async def patch_event(call: Call) -> Reply:
    event = _event(call)
    target = call.core.world.guilds[event.guild_id]
    _require_event_manager(call, target, event)
    if event.status in (COMPLETED, CANCELED):
        raise errors.finished_event()
    body = call.json()
    if "name" in body:
        event.name = _name(body["name"])
    if "description" in body:
        event.description = _description(body["description"])
    if "privacy_level" in body:
        event.privacy_level = _privacy(body["privacy_level"])
    if "scheduled_start_time" in body:
        event.start = _time(body["scheduled_start_time"], "scheduled_start_time", future=True)
    if "scheduled_end_time" in body:
        event.end = _optional_time(body["scheduled_end_time"], "scheduled_end_time")
    if body.get("entity_type") is not None:
        event.entity_type = _entity_type(body["entity_type"])
    if {"entity_type", "channel_id", "entity_metadata"} & body.keys():
        # Clients send the other kind's field as null (discord.py sends channel_id: null with
        # every edit of an external event, entity_metadata: null with a voice one): keep what
        # the event has unless a new value is given.
        place: dict[str, Any] = {
            "channel_id": event.channel_id,
            "entity_metadata": {"location": event.location} if event.location else None,
        }
        place |= {k: body[k] for k in ("channel_id", "entity_metadata") if body.get(k) is not None}
        _place(call, target, event, place)
        _require_event_manager(call, target, event)
    _check_end(event)
    if body.get("status") is not None:
        event.status = _transition(event.status, body["status"])
    call.core.world.save_event(event, created=False)
    return Reply(body=call.core.world.event_payload(event))


async def delete_event(call: Call) -> Reply:
    event = _event(call)
    _require_event_manager(call, call.core.world.guilds[event.guild_id], event)
    call.core.world.delete_event(event)
    return Reply.empty()


async def list_event_users(call: Call) -> Reply:
    """Who clicked "Interested", by user id ascending (``before``/``after`` page by user id)."""
    event = _event(call)
    target = call.core.world.guilds[event.guild_id]
    limit = max(1, min(call.query_int("limit", 100), 100))
    before, after = call.query_int("before", 0), call.query_int("after", 0)
    ids = sorted(event.interested)
    if before:
        ids = [i for i in ids if i < before][-limit:]
    else:
        ids = [i for i in ids if i > after][:limit]
    with_member = (call.query("with_member") or "").lower() in ("true", "1")
    users = []
    for user_id in ids:
        member = target.members.get(user_id)
        if member is None:
            continue
        entry = {
            "guild_scheduled_event_id": str(event.id),
            "guild_scheduled_event_exception_id": None,
            "user_id": str(user_id),
            "user": payloads.user(member.user),
            "response": 1,
        }
        if with_member:
            entry["member"] = payloads.member(member)
        users.append(entry)
    return Reply(body=users)


def _with_user_count(call: Call) -> bool:
    return (call.query("with_user_count") or "").lower() in ("true", "1")


def _event(call: Call) -> ScheduledEvent:
    found = guild(call).scheduled_events.get(call.snowflake("guild_scheduled_event_id"))
    if found is None:
        raise errors.unknown_event()
    return found


def _require_event_manager(call: Call, target: Guild, event: ScheduledEvent) -> None:
    """CREATE_EVENTS suffices for the bot's own events, MANAGE_EVENTS for anyone's; a voice or
    stage event's channel overwrites count."""
    world = call.core.world
    own = event.creator_id == world.bot.id
    needed = Perm.MANAGE_EVENTS | (Perm.CREATE_EVENTS if own else 0)
    channel = target.channels.get(event.channel_id or 0)
    have = world.bot_permissions(channel) if channel else base_permissions(target, world.bot.id)
    if not have & needed:
        raise errors.missing_permissions()


def _place(call: Call, target: Guild, event: ScheduledEvent, body: dict[str, Any]) -> None:
    """Check and set where an event happens: a voice/stage channel, or a location."""
    if event.entity_type == EXTERNAL:
        location = (body.get("entity_metadata") or {}).get("location")
        if not isinstance(location, str) or not 1 <= len(location) <= 100:
            raise BadPayload("entity_metadata.location", "This field is required")
        if event.end is None:
            raise BadPayload("scheduled_end_time", "This field is required")
        event.location, event.channel_id = location, None
        return
    channel_id = body.get("channel_id")
    channel = target.channels.get(int(channel_id)) if channel_id else None
    expected = ChannelType.STAGE if event.entity_type == STAGE else ChannelType.VOICE
    if channel is None or channel.type != expected:
        raise BadPayload("channel_id", "A voice or stage channel of the right type is required")
    require(call, channel, Perm.CONNECT)
    event.channel_id, event.location = channel.id, None


def _check_end(event: ScheduledEvent) -> None:
    if event.end is not None and event.end <= event.start:
        raise BadPayload(
            "scheduled_end_time",
            "The end time must be after the start time.",
            "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
        )


def _privacy(value: Any) -> int:
    if value != 2:  # GUILD_ONLY is the one privacy level Discord accepts
        raise BadPayload("privacy_level", "Value must be one of (2,).")
    return 2


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 100:
        raise BadPayload("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
    return value


def _description(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 1000):
        raise BadPayload("description", "Must be 1000 or fewer in length.")
    return value or None


def _entity_type(value: Any) -> int:
    if value not in (STAGE, VOICE, EXTERNAL):
        raise BadPayload("entity_type", "Value must be one of (1, 2, 3).")
    return int(value)


def _time(value: Any, field: str, *, future: bool = False) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadPayload(field, "Could not parse the date.", "DATE_TYPE_PARSE") from None
    if moment.tzinfo is None:
        raise BadPayload(field, "The date needs a time zone.", "DATE_TYPE_PARSE")
    if future and moment < utcnow():
        raise BadPayload(
            field, "Cannot schedule event in the past.", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
        )
    return moment


def _optional_time(value: Any, field: str) -> datetime | None:
    return None if value is None else _time(value, field)


def _transition(current: int, wanted: Any) -> int:
    if wanted not in _TRANSITIONS.get(current, {current}):
        raise BadPayload("status", f"Cannot change the event status from {current} to {wanted}.")
    return int(wanted)


_EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
ENDPOINTS = [
    Endpoint("GET", "/guilds/{guild_id}", get_guild),
    Endpoint("GET", "/guilds/{guild_id}/channels", list_channels),
    Endpoint("GET", "/guilds/{guild_id}/members", list_members),
    Endpoint("GET", "/guilds/{guild_id}/members/{user_id}", get_member),
    Endpoint("GET", "/guilds/{guild_id}/roles", list_roles),
    Endpoint("GET", "/guilds/{guild_id}/scheduled-events", list_events),
    Endpoint("POST", "/guilds/{guild_id}/scheduled-events", create_event),
    Endpoint("GET", _EVENT, get_event),
    Endpoint("PATCH", _EVENT, patch_event),
    Endpoint("DELETE", _EVENT, delete_event),
    Endpoint("GET", _EVENT + "/users", list_event_users),
]
