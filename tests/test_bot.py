"""The bot builds without network, loads every extension, and has no duplicate commands."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import create_bot, load_settings
from bot.core import EXTENSIONS, bot_intents
from cogs.meta import EMBED_LIMIT, FIELD_LIMIT, help_embed


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return load_settings(env={"SPRINTBOT_DATA_DIR": str(tmp_path)}, use_default_file=False)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("create_bot must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


async def test_create_bot_builds_without_network_access(settings: Any, no_network: None) -> None:
    bot = create_bot(settings, run_services=False)
    try:
        assert bot.settings is settings
        assert bot.allowed_mentions is not None
        assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
        assert not bot.intents.members and not bot.intents.message_content
        assert not bot.intents.presences
    finally:
        await bot.db.dispose()


def test_intents_are_not_privileged() -> None:
    intents = bot_intents()
    assert intents.guilds and intents.voice_states
    assert not (intents.members or intents.presences or intents.message_content)


def test_every_extension_module_has_a_setup_function() -> None:
    for name in EXTENSIONS:
        module = importlib.import_module(name)
        assert callable(getattr(module, "setup", None)), name


def _names(commands: list[Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for cmd in commands:
        out.append(prefix + cmd.name)
        if isinstance(cmd, app_commands.Group):
            out.extend(_names(list(cmd.commands), prefix + cmd.name + " "))
    return out


async def test_every_extension_loads_and_no_two_commands_share_a_name(settings: Any) -> None:
    bot = create_bot(settings, run_services=False)
    try:
        await bot._sprintbot_setup(bot)
        assert set(bot.extensions) == set(EXTENSIONS)
        names = _names(list(bot.tree.get_commands()))
        assert len(names) == len(set(names)), names
        assert "help" in names
        for cmd in bot.tree.walk_commands():
            assert cmd.description and cmd.description != "…", cmd.qualified_name
    finally:
        await bot.db.dispose()


def test_the_bot_process_does_not_load_matplotlib() -> None:
    """Charts are drawn in the chart worker; matplotlib and numpy cost the bot ~45 MiB of RSS
    (bench: 80 → 130 MiB with 500 sprints) when imported at start-up."""
    code = (
        "import sys, bot.core, bot.cli, bot.services.stats.compute\n"
        "print(sorted(m for m in ('matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


async def test_help_names_every_command_and_fits_in_one_discord_message(settings: Any) -> None:
    """Discord refuses embeds over 6,000 characters in all (/help broke when the command count
    grew); every command still appears."""
    bot = create_bot(settings, run_services=False)
    try:
        await bot._sprintbot_setup(bot)
        tree = [c for c in bot.tree.get_commands() if not isinstance(c, app_commands.ContextMenu)]
        embed = help_embed(tree)
        assert len(embed) <= EMBED_LIMIT
        assert all(len(f.value or "") <= FIELD_LIMIT for f in embed.fields)
        text = " ".join(f.value or "" for f in embed.fields)
        for cmd in bot.tree.walk_commands():
            if not isinstance(cmd, app_commands.Group):
                assert cmd.name in text, cmd.qualified_name
        for cmd in tree:
            assert f"`/{cmd.name}`" in text
    finally:
        await bot.db.dispose()


async def test_a_sharded_bot_closed_while_a_shard_connects_stops_retrying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """discord.py retries a shard that failed to connect every 5 s for ever; a SIGTERM during
    that (close()) must end the retries, or the process never exits."""
    import asyncio

    import discord.shard
    import yarl

    sharded = load_settings(
        env={"SPRINTBOT_DATA_DIR": str(tmp_path), "SPRINTBOT_SHARD_COUNT": "2"},
        use_default_file=False,
    )
    bot = create_bot(sharded, run_services=False)
    attempts = 0

    async def refused(*args: Any, **kwargs: Any) -> None:
        nonlocal attempts
        attempts += 1
        await bot.close()  # the signal arrives while the shard is connecting
        raise OSError("connection refused")

    class NoPause:
        """asyncio as discord.shard sees it, with launch_shard's 5 s pause made instant."""

        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(_delay: float) -> None:
            await asyncio.sleep(0)

    monkeypatch.setattr(discord.shard.DiscordWebSocket, "from_client", refused)
    monkeypatch.setattr(discord.shard, "asyncio", NoPause())
    try:
        async with asyncio.timeout(5):
            await bot.launch_shard(yarl.URL("wss://gateway.invalid"), 0, initial=True)
        assert attempts == 1
        await bot.launch_shard(yarl.URL("wss://gateway.invalid"), 1)
        assert attempts == 1  # closed: not even tried
    finally:
        await bot.db.dispose()
