"""Fixtures for end-to-end tests: the local Discord-compatible server and the error log.

Each test module seeds its own world on ``server``; ``tests/e2e/support.py`` starts the real bot
against it. A test ends with ``assert problems(server, error_log) == []`` so it fails when the bot
logged an exception or called a route the server does not know.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.localdiscord import LocalDiscord
from bot.localdiscord.testing import DiscordErrorLog


@pytest.fixture
async def server() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


@pytest.fixture
def error_log() -> Iterator[DiscordErrorLog]:
    with DiscordErrorLog() as log:
        yield log
