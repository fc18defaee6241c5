"""Helpers shared by cogs: replying ephemerally and turning errors into sentences.

Every error reply goes through :func:`fit_reply`: what the member typed is quoted at most
:data:`QUOTE_MAX` characters at a time (outside code blocks, which give a member's text back on
purpose), and the content is kept within Discord's 2,000 characters, so an over-long option
value still gets its answer instead of "The application did not respond".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.domain.errors import UserError
from bot.render import limits

if TYPE_CHECKING:
    from bot.core import AnyBot

log = logging.getLogger(__name__)

GENERIC_ERROR = (
    "Something went wrong on my side and it has been logged. Please try again in a moment."
)

#: The most of one typed value a reply repeats; longer quotes end in an ellipsis.
QUOTE_MAX = 100
ELLIPSIS = "…"


def typed_values(data: Any) -> list[str]:
    """Every text the member typed into this interaction: option values and form fields."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("value")
            if isinstance(value, str):
                found.append(value)
            for key in ("options", "components", "component"):
                if key in node:
                    walk(node[key])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data or {})
    return found


def clip_quotes(text: str, typed: list[str]) -> str:
    """``text`` with every quote of a typed value cut to :data:`QUOTE_MAX` characters.

    A quote is any run of more than QUOTE_MAX characters from the start of a typed value (or of
    its trimmed form); code blocks are left whole.
    """
    needles = sorted(
        {v for value in typed for v in (value, value.strip()) if len(v) > QUOTE_MAX},
        key=len,
        reverse=True,
    )
    if not needles:
        return text
    pieces = text.split("```")
    for index in range(0, len(pieces), 2):  # even pieces are outside code blocks
        for needle in needles:
            pieces[index] = _clip_one(pieces[index], needle)
    return "```".join(pieces)


def _clip_one(text: str, needle: str) -> str:
    head = needle[: QUOTE_MAX + 1]
    start = text.find(head)
    while start >= 0:
        end = start + len(head)
        while end < len(text) and end - start < len(needle) and text[end] == needle[end - start]:
            end += 1
        shown = needle[:QUOTE_MAX].rstrip() + ELLIPSIS
        text = text[:start] + shown + text[end:]
        start = text.find(head, start + len(shown))
    return text


def fit_content(text: str) -> str:
    """``text`` within Discord's message content limit (cut with an ellipsis when longer)."""
    if len(text) <= limits.CONTENT:
        return text
    return text[: limits.CONTENT - 1] + ELLIPSIS


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` cut to Discord's embed limits (title, description, fields, footer, total)."""

    def cut(value: str | None, limit: int) -> str | None:
        return value if value is None or len(value) <= limit else value[: limit - 1] + ELLIPSIS

    embed.title = cut(embed.title, limits.EMBED_TITLE)
    embed.description = cut(embed.description, limits.EMBED_DESCRIPTION)
    fields = embed.fields[: limits.EMBED_FIELDS]
    embed.clear_fields()
    for f in fields:
        name = cut(f.name, limits.EMBED_FIELD_NAME) or "\u200b"
        value = cut(f.value, limits.EMBED_FIELD_VALUE) or "\u200b"
        embed.add_field(name=name, value=value, inline=bool(f.inline))
    if embed.footer.text:
        embed.set_footer(
            text=cut(embed.footer.text, limits.EMBED_FOOTER), icon_url=embed.footer.icon_url
        )
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(-1)
    if len(embed) > limits.EMBED_TOTAL and embed.description:
        over = len(embed) - limits.EMBED_TOTAL
        embed.description = (
            embed.description[: max(len(embed.description) - over - 1, 0)] + ELLIPSIS
        )
    return embed


def fit_reply(interaction: discord.Interaction[Any], text: str) -> str:
    """The reply to ``interaction`` as sent: quotes of typed input cut, within limits."""
    return fit_content(clip_quotes(text, typed_values(interaction.data)))


async def send_ephemeral(interaction: discord.Interaction[Any], text: str, **kwargs: Any) -> None:
    """Reply only the user sees, whether or not the interaction was already answered.

    The text goes through :func:`fit_reply`, so it always fits in a Discord message.
    """
    text = fit_reply(interaction, text)
    if isinstance(kwargs.get("embed"), discord.Embed):
        kwargs["embed"] = fit_embed(kwargs["embed"])
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
            shown = str(error.value)
            if len(shown) > QUOTE_MAX:
                shown = shown[:QUOTE_MAX].rstrip() + ELLIPSIS
            return f"“{shown}” is not a valid {error.type.name.lower()} here."
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
