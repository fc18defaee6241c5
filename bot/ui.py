"""Helpers shared by cogs: replying ephemerally and turning errors into sentences."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.domain.errors import UserError

if TYPE_CHECKING:
    from bot.core import AnyBot

log = logging.getLogger(__name__)

GENERIC_ERROR = (
    "Something went wrong on my side and it has been logged. Please try again in a moment."
)


async def send_ephemeral(interaction: discord.Interaction[Any], text: str, **kwargs: Any) -> None:
    """Reply only the user sees, whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(text, ephemeral=True, **kwargs)
    except discord.HTTPException:
        log.warning("could not send an ephemeral reply for interaction %s", interaction.id)


def _permission_names(perms: list[str]) -> str:
    return ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in perms)


def describe_error(error: BaseException) -> str | None:
    """The sentence a user should see, or None when the error is a bug to log."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if isinstance(error, app_commands.TransformerError):
            return f"“{error.value}” is not a valid {error.type.name.lower()} here."
        if inner is not None:
            return describe_error(inner)
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server channel, not in direct messages."
    if isinstance(error, app_commands.BotMissingPermissions):
        return (
            "I can't do that here: I'm missing the "
            f"{_permission_names(error.missing_permissions)} permission in this channel. "
            "Ask a server admin to grant it."
        )
    if isinstance(error, app_commands.MissingPermissions):
        return (
            "You need the "
            f"{_permission_names(error.missing_permissions)} permission to use this command."
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You're not permitted to use this command here."
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused: I'm missing a permission in this channel "
            f"({error.text or 'Missing Permissions'}). Ask a server admin to check my role."
        )
    return None


async def handle_interaction_error(
    interaction: discord.Interaction[Any], error: BaseException, where: str
) -> None:
    """Reply with the user-facing sentence, or log the bug and reply with a short generic line."""
    text = describe_error(error)
    if text is None:
        log.error("unhandled error in %s", where, exc_info=error)
        text = GENERIC_ERROR
    await send_ephemeral(interaction, text)


def command_name(interaction: discord.Interaction[Any]) -> str:
    cmd = interaction.command
    return f"/{cmd.qualified_name}" if cmd is not None else f"interaction {interaction.type.name}"


async def guarded(
    interaction: discord.Interaction[Any], where: str, work: Callable[[], Awaitable[None]]
) -> None:
    """Run a component/modal handler; UserError → its sentence, anything else → logged."""
    try:
        await work()
    except Exception as exc:
        await handle_interaction_error(interaction, exc, where)


def modal_values(data: Any) -> dict[str, str]:
    """custom_id → value of every text input in a modal submit payload (any nesting)."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            cid, value = node.get("custom_id"), node.get("value")
            if isinstance(cid, str) and isinstance(value, str):
                out[cid] = value
            for key in ("components", "component"):
                if key in node:
                    walk(node[key])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk((data or {}).get("components", []))
    return out


def bot_of(interaction: discord.Interaction[Any]) -> AnyBot:
    """The Sprintbot that received ``interaction``."""
    return cast("AnyBot", interaction.client)
