"""``Database.read()``: a reading session that neither waits for nor holds up writers."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from db.engine import Database
from db.models import GuildSettings


async def test_a_write_commits_while_a_read_is_open(database: Database) -> None:
    async with database.read() as reader:
        await reader.execute(select(GuildSettings))  # the read transaction has begun
        async with asyncio.timeout(3), database.transaction() as writer:
            writer.add(GuildSettings(guild_id=1))
        async with database.read() as other:
            assert (await other.execute(select(GuildSettings.guild_id))).scalars().all() == [1]


async def test_a_read_session_is_rolled_back_at_its_end(database: Database) -> None:
    async with database.read() as reader:
        reader.add(GuildSettings(guild_id=2))
        await reader.flush()
    async with database.read() as check:
        assert (await check.execute(select(GuildSettings))).first() is None
