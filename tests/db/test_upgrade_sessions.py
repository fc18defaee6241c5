"""Revision x18_sessions (standing sessions) upgrades a populated database losing nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from db.engine import create_engine
from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot

REVISION = "x18_sessions"
TABLES = {
    "session_series",
    "session_occurrences",
    "session_rsvps",
    "session_attendance",
    "session_reminder_optouts",
}


async def run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_from_a_populated_0001_keeps_every_row_and_adds_the_session_tables(
    db_url: str,
) -> None:
    await populate(db_url, "0001", rows=3)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    assert await tables(db_url) >= TABLES
    assert lost(before, await snapshot(db_url)) == []
    await run(
        db_url,
        "INSERT INTO session_series (guild_id, channel_id, creator_id, title, first_local, zone,"
        " plan, minutes, reminders, event_enabled, created_at) VALUES (4000000000000001, 5, 100,"
        " 'Writing', '2031-03-03 09:00:00', 'Europe/London', '{}', 60, '[15]', :yes,"
        " '2031-03-01 09:00:00+00:00')",
        yes=True,
    )
    await upgrade(db_url)  # and on to whatever head is now
    assert await run(db_url, "SELECT title, zone FROM session_series") == [
        ("Writing", "Europe/London")
    ]


async def test_downgrade_removes_only_the_session_tables(db_url: str) -> None:
    await populate(db_url, "0001", rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    await downgrade(db_url, f"{REVISION}-1")
    assert not TABLES & await tables(db_url)
    assert lost(before, await snapshot(db_url)) == []
