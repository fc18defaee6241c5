"""Application commands: checking what the bot syncs, and turning a typed command into data.

``normalise_commands`` applies Discord's registration rules to a bulk overwrite (lower-case
names of 1-32 characters, descriptions of 1-100, at most 25 options with required ones first,
no choices together with autocomplete) and stores commands the way Discord returns them.

``invoke`` is what a Discord client does when a member types ``/sprint start work:25``: it only
offers synced commands and declared options, converts values to the declared types, checks
choices and bounds, nests subcommands and groups, and fills ``resolved`` for users, channels
and roles. Anything a client would not let through raises :class:`CommandRejected`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import payloads
from .errors import BadPayload
from .models import Channel, Member, Role, User
from .permissions import base_permissions
from .world import Guild, World

JSON = dict[str, Any]

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
CHAT_INPUT = 1
_NAME = re.compile(r"^[-_'\w]{1,32}$")
_MAX_SAFE = 2**53


class CommandRejected(Exception):
    """The invocation is one a Discord client would refuse to send."""


# -- registration ----------------------------------------------------------------------------


def normalise_commands(
    world: World, body: Any, existing: Mapping[str, JSON], guild_id: int | None
) -> dict[str, JSON]:
    """Validate a bulk overwrite and return the new command set keyed by name."""
    if not isinstance(body, list):
        raise BadPayload("_", "Expected a list of commands.")
    if len(body) > 100:
        raise BadPayload("_", "Must be 100 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    stored: dict[str, JSON] = {}
    for index, command in enumerate(body):
        _check_command(command, str(index))
        name = command["name"]
        if name in stored:
            raise BadPayload(f"{index}.name", "Application command names must be unique")
        previous = existing.get(name)
        stored[name] = _stored(world, command, previous, guild_id)
    return stored


def _check_command(command: JSON, where: str) -> None:
    kind = command.get("type") or CHAT_INPUT
    name = command.get("name") or ""
    if kind == CHAT_INPUT:
        _check_name(name, f"{where}.name")
        _check_description(command.get("description"), f"{where}.description")
        _check_options(command.get("options") or [], f"{where}.options", depth=0)
    elif not 1 <= len(name) <= 32:
        raise BadPayload(f"{where}.name", "Must be between 1 and 32 in length.")


def _check_name(name: str, where: str) -> None:
    if not _NAME.match(name) or name != name.lower():
        raise BadPayload(where, "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")


def _check_description(description: Any, where: str) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        raise BadPayload(where, "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")


def _check_options(options: list[JSON], where: str, *, depth: int) -> None:
    if len(options) > 25:
        raise BadPayload(where, "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    kinds = {o.get("type") for o in options}
    nested = kinds & {SUB_COMMAND, SUB_COMMAND_GROUP}
    if nested and kinds - nested:
        raise BadPayload(where, "Sub-commands cannot be mixed with other option types")
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        here = f"{where}.{index}"
        _check_option(option, here, depth=depth)
        if option["name"] in names:
            raise BadPayload(f"{here}.name", "Option names must be unique")
        names.add(option["name"])
        if option.get("required"):
            if seen_optional:
                raise BadPayload(
                    here, "Required options must be placed before non-required options"
                )
        else:
            seen_optional = True


def _check_option(option: JSON, where: str, *, depth: int) -> None:
    _check_name(option.get("name") or "", f"{where}.name")
    _check_description(option.get("description"), f"{where}.description")
    kind = option.get("type")
    if kind == SUB_COMMAND_GROUP:
        if depth > 0:
            raise BadPayload(f"{where}.type", "Sub-command groups cannot be nested")
        subs = option.get("options") or []
        if any(o.get("type") != SUB_COMMAND for o in subs):
            raise BadPayload(f"{where}.options", "Groups may only contain sub-commands")
        _check_options(subs, f"{where}.options", depth=depth + 1)
    elif kind == SUB_COMMAND:
        _check_options(option.get("options") or [], f"{where}.options", depth=depth + 1)
    choices = option.get("choices") or []
    if len(choices) > 25:
        raise BadPayload(f"{where}.choices", "Must be 25 or fewer in length.")
    if choices and option.get("autocomplete"):
        raise BadPayload(f"{where}.autocomplete", "Autocomplete cannot be set with choices")


def _stored(world: World, command: JSON, previous: JSON | None, guild_id: int | None) -> JSON:
    permissions = command.get("default_member_permissions")
    stored = {
        **command,
        "id": previous["id"] if previous else str(world.ids.next()),
        "application_id": str(world.application_id),
        "version": str(world.ids.next()),
        "type": command.get("type") or CHAT_INPUT,
        "description": command.get("description") or "",
        "default_member_permissions": None if permissions is None else str(permissions),
        "dm_permission": command.get("dm_permission", True),
        "contexts": command.get("contexts"),
        "integration_types": command.get("integration_types") or [0],
        "nsfw": command.get("nsfw", False),
        "name_localizations": command.get("name_localizations"),
        "description_localizations": command.get("description_localizations"),
    }
    if guild_id is not None:
        stored["guild_id"] = str(guild_id)
    return stored


# -- invocation ------------------------------------------------------------------------------


@dataclass
class Invocation:
    command: JSON  # the top-level synced command
    name: str  # e.g. "sprint start"
    leaf_options: list[JSON]  # the declared options of the invoked (sub)command
    data: JSON  # interaction ``data``


@dataclass
class _Resolver:
    guild: Guild
    member: Member  # the invoking member: ``permissions`` in resolved channels are theirs
    resolved: dict[str, dict[str, JSON]] = field(default_factory=dict)

    def add(self, kind: str, key: int, value: JSON) -> None:
        self.resolved.setdefault(kind, {})[str(key)] = value


def find_command(world: World, guild: Guild, path: str) -> tuple[JSON, list[str]]:
    words = path.strip().lstrip("/").split()
    if not words:
        raise CommandRejected("empty command")
    command = guild.commands.get(words[0]) or world.global_commands.get(words[0])
    if command is None or command.get("type", CHAT_INPUT) != CHAT_INPUT:
        synced = sorted({*guild.commands, *world.global_commands})
        raise CommandRejected(f"unknown command /{words[0]} (synced: {synced})")
    return command, words[1:]


def invoke(
    world: World,
    guild: Guild,
    member: Member,
    channel: Channel,
    path: str,
    options: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> Invocation:
    """Build ``data`` for ``/path`` with ``options``; ``focused`` marks an autocomplete option."""
    command, rest = find_command(world, guild, path)
    _check_member_may_use(guild, member, command)
    chain, declared = _walk(command, rest)
    resolver = _Resolver(guild, member)
    values = _leaf_values(declared, options, resolver, channel, focused=focused)
    nested = values
    for node in reversed(chain):
        nested = [{"name": node["name"], "type": node["type"], "options": nested}]
    data: JSON = {"id": command["id"], "name": command["name"], "type": CHAT_INPUT}
    if nested:
        data["options"] = nested
    if resolver.resolved:
        data["resolved"] = resolver.resolved
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    full_name = " ".join([command["name"], *(n["name"] for n in chain)])
    return Invocation(command, full_name, declared, data)


def _check_member_may_use(guild: Guild, member: Member, command: JSON) -> None:
    required = command.get("default_member_permissions")
    if required is None:
        return
    needed = int(required)
    if base_permissions(guild, member.id) & needed != needed:
        raise CommandRejected(f"{member.name} may not use /{command['name']} (permissions)")


def _walk(command: JSON, words: list[str]) -> tuple[list[JSON], list[JSON]]:
    """Follow subcommand words; return the group/subcommand chain and the leaf options."""
    chain: list[JSON] = []
    options = command.get("options") or []
    for word in words:
        node = next((o for o in options if o["name"] == word and o["type"] in (1, 2)), None)
        if node is None:
            raise CommandRejected(f"/{command['name']} has no subcommand {word!r}")
        chain.append(node)
        options = node.get("options") or []
    subs = [o["name"] for o in options if o["type"] in (1, 2)]
    if subs:
        raise CommandRejected(f"/{command['name']} needs a subcommand: {subs}")
    return chain, options


def _leaf_values(
    declared: list[JSON],
    given: Mapping[str, Any],
    resolver: _Resolver,
    channel: Channel,
    *,
    focused: str | None,
) -> list[JSON]:
    by_name = {o["name"]: o for o in declared}
    unknown = [name for name in given if name not in by_name]
    if unknown:
        raise CommandRejected(f"unknown option(s) {unknown}; declared: {list(by_name)}")
    if focused is not None and focused not in given:
        raise CommandRejected(f"focused option {focused!r} has no value")
    missing = [o["name"] for o in declared if o.get("required") and o["name"] not in given]
    if missing and focused is None:
        raise CommandRejected(f"missing required option(s) {missing}")
    values = []
    for option in declared:
        if option["name"] not in given:
            continue
        raw = given[option["name"]]
        if option["name"] == focused:
            if not option.get("autocomplete"):
                raise CommandRejected(f"option {focused!r} has no autocomplete")
            values.append(
                {"name": focused, "type": option["type"], "value": str(raw), "focused": True}
            )
            continue
        value = _convert(option, raw, resolver, channel)
        values.append({"name": option["name"], "type": option["type"], "value": value})
    return values


def _convert(option: JSON, raw: Any, resolver: _Resolver, channel: Channel) -> Any:
    kind = option["type"]
    name = option["name"]
    if kind == STRING:
        value: Any = _string(name, raw, option)
    elif kind in (INTEGER, NUMBER):
        value = _number(name, raw, option, integer=kind == INTEGER)
    elif kind == BOOLEAN:
        value = _boolean(name, raw)
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        return _entity(name, kind, raw, option, resolver, channel)
    else:
        raise CommandRejected(f"option {name!r}: type {kind} is not supported by the driver")
    return _choice(name, value, option)


def _string(name: str, raw: Any, option: JSON) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise CommandRejected(f"option {name!r} expects text, got {raw!r}")
    text = str(raw)
    low, high = option.get("min_length", 0), option.get("max_length", 6000)
    if not low <= len(text) <= high:
        raise CommandRejected(f"option {name!r} must be {low}-{high} characters")
    return text


def _number(name: str, raw: Any, option: JSON, *, integer: bool) -> int | float:
    try:
        value: int | float = _parse_number(raw, integer=integer)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise CommandRejected(f"option {name!r} expects {kind}, got {raw!r}") from None
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise CommandRejected(f"option {name!r} must be between {low} and {high}")
    return value


def _parse_number(raw: Any, *, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise TypeError(raw)
    if integer:
        value = int(raw) if isinstance(raw, int | str) else None
        if value is None or isinstance(raw, float) or abs(value) > _MAX_SAFE:
            raise ValueError(raw)
        return value
    return float(raw)


def _boolean(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise CommandRejected(f"option {name!r} expects true/false, got {raw!r}")


def _choice(name: str, value: Any, option: JSON) -> Any:
    choices = option.get("choices")
    if not choices:
        return value
    for choice in choices:
        if value in (choice["value"], choice["name"]):
            return choice["value"]
    raise CommandRejected(
        f"option {name!r}: {value!r} is not one of {[c['name'] for c in choices]}"
    )


def _entity(
    name: str, kind: int, raw: Any, option: JSON, resolver: _Resolver, channel: Channel
) -> str:
    guild = resolver.guild
    found = _lookup(guild, kind, raw)
    if found is None:
        raise CommandRejected(f"option {name!r}: cannot resolve {raw!r}")
    if isinstance(found, Member | User):
        _resolve_user(resolver, found, channel)
    elif isinstance(found, Role):
        resolver.add("roles", found.id, payloads.role(found))
    else:
        types = option.get("channel_types")
        if types and int(found.type) not in types:
            raise CommandRejected(f"option {name!r}: channel type {found.type.name} not allowed")
        permissions = guild.permissions_for(resolver.member, found)
        resolver.add(
            "channels", found.id, {**payloads.channel(found), "permissions": str(permissions)}
        )
    return str(found.id)


def _lookup(guild: Guild, kind: int, raw: Any) -> Member | User | Role | Channel | None:
    if isinstance(raw, Member | User | Role | Channel):
        matches = {
            USER: isinstance(raw, Member | User),
            CHANNEL: isinstance(raw, Channel),
            ROLE: isinstance(raw, Role),
            MENTIONABLE: isinstance(raw, Member | User | Role),
        }
        return raw if matches[kind] else None
    key = str(raw)
    by_kind: dict[int, list[dict[int, Any]]] = {
        USER: [guild.members],
        CHANNEL: [guild.channels],
        ROLE: [guild.roles],
        MENTIONABLE: [guild.members, guild.roles],
    }
    for table in by_kind[kind]:
        for item in table.values():
            if key in (str(item.id), getattr(item, "name", None)):
                found: Member | Role | Channel = item
                return found
    return None


def _resolve_user(resolver: _Resolver, who: Member | User, channel: Channel) -> None:
    user = who.user if isinstance(who, Member) else who
    resolver.add("users", user.id, payloads.user(user))
    member = who if isinstance(who, Member) else resolver.guild.members.get(user.id)
    if member is not None:
        permissions = resolver.guild.permissions_for(member, channel)
        data = {**payloads.member(member, with_user=False), "permissions": str(permissions)}
        resolver.add("members", user.id, data)


__all__ = [
    "CommandRejected",
    "Invocation",
    "find_command",
    "invoke",
    "normalise_commands",
]
