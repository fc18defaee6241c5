"""Fixtures for the local Discord harness tests: a started server and a seeded guild."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Role
from bot.localdiscord.testing import DiscordErrorLog


@dataclass
class Seeded:
    guild: Guild
    general: Channel
    focus: Channel  # voice
    goals: Channel  # forum
    alice: Member
    bob: Member
    mods: Role


@pytest.fixture
async def server() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


@pytest.fixture
def seeded(server: LocalDiscord) -> Seeded:
    guild = server.add_guild("Sprint Club")
    mods = guild.add_role("mods", mentionable=True)
    return Seeded(
        guild=guild,
        general=guild.add_text_channel("general", topic="Coworking"),
        focus=guild.add_voice_channel("Focus Room"),
        goals=guild.add_forum_channel("goals", tags=["writing", "coding"]),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", roles=[mods]),
        mods=mods,
    )


@pytest.fixture
def error_log() -> Iterator[DiscordErrorLog]:
    with DiscordErrorLog() as log:
        yield log
