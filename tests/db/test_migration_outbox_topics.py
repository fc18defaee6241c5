"""Revision b11_outbox_topics: outbox rows get a topic, ended sprints' topics are closed.

Upgrades a populated 0001 database (every table filled by ``tests/db/populate.py``) on SQLite and
PostgreSQL: nothing of 0001 is lost, and the new column and table hold what the old rows implied.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from db.engine import create_engine
from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot

REVISION = "b11_outbox_topics"
ENDED = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


async def _prepare(url: str) -> None:
    """Make the populated rows look like real ones: ended sprints, an accountability post."""
    engine = create_engine(url)
    sqlite = url.startswith("sqlite")
    ended = ENDED.replace(tzinfo=None) if sqlite else ENDED
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE sprints SET status = 'finished', ended_at = :at WHERE id = 1"),
                {"at": ended},
            )
            await conn.execute(
                sa.text("UPDATE sprints SET status = 'cancelled', ended_at = NULL WHERE id = 2")
            )
            await conn.execute(sa.text("UPDATE sprints SET status = 'running' WHERE id = 3"))
            await conn.execute(
                sa.text(
                    "UPDATE outbox SET sprint_id = NULL, ref = NULL, channel_ref = NULL, "
                    "target_ref = 'acc_kickoff:5' WHERE id = 3"
                )
            )
    finally:
        await engine.dispose()


async def _read(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(sql))).all()]
    finally:
        await engine.dispose()


async def test_populated_0001_outbox_gets_topics_and_ended_sprints_are_closed(
    db_url: str,
) -> None:
    await populate(db_url, "0001", rows=3)
    await _prepare(db_url)
    before = await snapshot(db_url)

    await upgrade(db_url, REVISION)

    assert lost(before, await snapshot(db_url)) == []
    assert await _read(db_url, "SELECT id, topic FROM outbox ORDER BY id") == [
        (1, "sprint:1"),
        (2, "sprint:2"),
        (3, "accountability"),
    ]
    closed = await _read(db_url, "SELECT topic, closed_at FROM closed_topics ORDER BY topic")
    assert [topic for topic, _ in closed] == ["sprint:1", "sprint:2"]
    assert str(closed[0][1])[:19] == "2026-03-29 09:00:00"  # the sprint's ended_at


async def test_b11_downgrades_to_0001_with_nothing_lost(db_url: str) -> None:
    await populate(db_url, "0001", rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    await downgrade(db_url, "0001")
    assert lost(before, await snapshot(db_url)) == []
