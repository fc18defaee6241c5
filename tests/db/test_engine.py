"""SQLite is tuned for safe concurrent writes; sessions commit or roll back as a unit."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from db.engine import Database
from db.models import GuildSettings, Sprint


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    async with database.transaction() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar()
    assert mode == "wal"
    assert fks == 1
    assert timeout is not None and timeout >= 5000


async def test_concurrent_read_then_write_loses_no_update(database: Database) -> None:
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=1, work_min=0))

    async def bump() -> None:
        async with database.transaction() as session:
            row = (
                await session.execute(
                    select(GuildSettings).where(GuildSettings.guild_id == 1).with_for_update()
                )
            ).scalar_one()
            await asyncio.sleep(0)
            row.work_min = (row.work_min or 0) + 1

    await asyncio.gather(*(bump() for _ in range(40)))
    async with database.transaction() as session:
        row = await session.get(GuildSettings, 1)
        assert row is not None and row.work_min == 40


async def test_failed_unit_of_work_rolls_back_every_write(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            session.add(GuildSettings(guild_id=7))
            await session.flush()
            raise RuntimeError("crash between two writes")
    async with database.transaction() as session:
        assert await session.get(GuildSettings, 7) is None


async def test_datetimes_come_back_aware_in_utc(database: Database) -> None:
    local = datetime(2026, 3, 29, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    async with database.transaction() as session:
        session.add(
            Sprint(
                guild_id=1,
                channel_id=2,
                host_id=3,
                title="t",
                plan={},
                status="running",
                phase_started_at=local,
                phase_ends_at=local + timedelta(minutes=25),
            )
        )
    async with database.transaction() as session:
        sprint = (await session.execute(select(Sprint))).scalar_one()
    assert sprint.phase_started_at == local
    assert sprint.phase_started_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(
                Sprint(
                    guild_id=1,
                    channel_id=2,
                    host_id=3,
                    title="t",
                    plan={},
                    status="running",
                    phase_started_at=datetime(2026, 1, 1),
                )
            )
