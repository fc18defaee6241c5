"""Revision w17_web (the web_shares table) upgrades a populated database losing nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from db.engine import create_engine
from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot

REVISION = "w17_web"


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


async def test_upgrade_from_a_populated_0001_keeps_every_row_and_adds_web_shares(
    db_url: str,
) -> None:
    await populate(db_url, "0001", rows=3)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    assert "web_shares" in await tables(db_url)
    assert lost(before, await snapshot(db_url)) == []
    await run(
        db_url,
        "INSERT INTO web_shares (kind, token, token_hash, guild_id, sprint_id, show_people,"
        " created_by, created_at) VALUES ('sprint', 'tok', 'hash', 4000000000000001, 1, :no,"
        " 100, '2031-03-03 09:00:00+00:00')",
        no=False,
    )
    await upgrade(db_url)  # and on to whatever head is now
    assert await run(db_url, "SELECT token FROM web_shares") == [("tok",)]


async def test_downgrade_removes_only_web_shares(db_url: str) -> None:
    await populate(db_url, "0001", rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    await downgrade(db_url, f"{REVISION}-1")
    assert "web_shares" not in await tables(db_url)
    assert lost(before, await snapshot(db_url)) == []
