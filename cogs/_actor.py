"""The one way a cog learns who is acting: an :class:`~bot.services.actor.Actor` from the
interaction, with Manage Server (or Administrator) resolved for its channel and the member's
roles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from bot.domain.errors import UserError
from bot.services.actor import Actor

__all__ = ["actor_of"]


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """Who clicked or typed, where, and what they may manage there."""
    user = interaction.user
    if interaction.guild_id is None:
        raise UserError("This works in a server channel, not in direct messages.")
    roles: Iterable[Any] = getattr(user, "roles", ())
    perms = interaction.permissions
    return Actor(
        user_id=user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id or 0,
        display_name=getattr(user, "display_name", None) or user.name,
        manage_guild=bool(perms.manage_guild or perms.administrator),
        role_ids=frozenset(r.id for r in roles),
    )
