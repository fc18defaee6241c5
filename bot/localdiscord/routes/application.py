"""The bot's own user and application, the gateway URL, and application commands."""

from __future__ import annotations

from bot.localdiscord import payloads
from bot.localdiscord.commands import normalise_commands
from bot.localdiscord.errors import ApiError
from bot.localdiscord.rest import Call, Endpoint, Reply

from .common import guild


async def get_me(call: Call) -> Reply:
    me = payloads.user(call.core.world.bot)
    return Reply(
        body={**me, "mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}
    )


async def get_application(call: Call) -> Reply:
    world = call.core.world
    return Reply(
        body={
            "id": str(world.application_id),
            "name": world.bot.username,
            "icon": None,
            "description": "",
            "type": None,
            "bot": payloads.user(world.bot),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": payloads.user(world.owner),
            "approximate_guild_count": len(world.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
            "tags": [],
        }
    )


async def get_gateway(call: Call) -> Reply:
    return Reply(body={"url": _gateway_base(call)})


async def get_gateway_bot(call: Call) -> Reply:
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return Reply(body={"url": _gateway_base(call), "shards": 1, "session_start_limit": limit})


def _gateway_base(call: Call) -> str:
    return call.core.gateway.resume_url()


def _check_application(call: Call) -> None:
    if call.snowflake("application_id") != call.core.world.application_id:
        raise ApiError(404, 10002, "Unknown Application")


async def get_global_commands(call: Call) -> Reply:
    _check_application(call)
    return Reply(body=list(call.core.world.global_commands.values()))


async def put_global_commands(call: Call) -> Reply:
    _check_application(call)
    world = call.core.world
    world.global_commands = normalise_commands(world, call.body, world.global_commands, None)
    return Reply(body=list(world.global_commands.values()))


async def get_guild_commands(call: Call) -> Reply:
    _check_application(call)
    return Reply(body=list(guild(call).commands.values()))


async def put_guild_commands(call: Call) -> Reply:
    _check_application(call)
    target = guild(call)
    target.commands = normalise_commands(call.core.world, call.body, target.commands, target.id)
    return Reply(body=list(target.commands.values()))


ENDPOINTS = [
    Endpoint("GET", "/users/@me", get_me),
    Endpoint("GET", "/oauth2/applications/@me", get_application),
    Endpoint("GET", "/gateway", get_gateway, bot_auth=False),
    Endpoint("GET", "/gateway/bot", get_gateway_bot),
    Endpoint("GET", "/applications/{application_id}/commands", get_global_commands),
    Endpoint("PUT", "/applications/{application_id}/commands", put_global_commands),
    Endpoint(
        "GET", "/applications/{application_id}/guilds/{guild_id}/commands", get_guild_commands
    ),
    Endpoint(
        "PUT", "/applications/{application_id}/guilds/{guild_id}/commands", put_guild_commands
    ),
]
