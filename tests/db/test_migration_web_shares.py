"""Revision 0002_web (the web_shares table) upgrades a populated 0001 database losing nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import inspect, text

from db.engine import create_engine
from db.migrate import downgrade, upgrade

REVISION = "0002_web"


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


async def populate_0001(url: str) -> None:
    """A running sprint with a participant and a goal, and a finished one, at revision 0001."""
    plan = json.dumps({"work_min": 25, "break_min": 5, "rounds": 4, "long_break_min": 15,
                       "long_break_every": 4, "intro_min": 2})
    for sid, status in ((1, "running"), (2, "finished")):
        await run(
            url,
            "INSERT INTO sprints (id, guild_id, channel_id, host_id, title, plan, speed, status,"
            " phase_index, phase_started_at, version, created_at) VALUES (:id, 4000000000000001,"
            " :ch, 100, :title, :plan, 1.0, :status, 1, '2031-03-03 09:00:00+00:00', 3,"
            " '2031-03-03 09:00:00+00:00')",
            id=sid, ch=500 + sid, title=f"Sprint {sid}", plan=plan, status=status,
        )
    await run(
        url,
        "INSERT INTO sprint_participants (sprint_id, user_id, display_name, active, ping,"
        " joined_at) VALUES (1, 200, 'Ann', :yes, :yes, '2031-03-03 09:00:00+00:00')",
        yes=True,
    )
    await run(
        url,
        "INSERT INTO goals (guild_id, user_id, text, scope, sprint_id, status, created_at)"
        " VALUES (4000000000000001, 200, 'draft', 'sprint', 1, 'open',"
        " '2031-03-03 09:00:00+00:00')",
    )


async def test_upgrade_from_a_populated_0001_keeps_every_row_and_adds_web_shares(
    db_url: str,
) -> None:
    await upgrade(db_url, "0001")
    await populate_0001(db_url)
    await upgrade(db_url, REVISION)
    assert "web_shares" in await tables(db_url)
    assert await run(db_url, "SELECT id, title, status FROM sprints ORDER BY id") == [
        (1, "Sprint 1", "running"), (2, "Sprint 2", "finished")
    ]
    assert await run(db_url, "SELECT display_name FROM sprint_participants") == [("Ann",)]
    assert await run(db_url, "SELECT text FROM goals") == [("draft",)]
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
    await upgrade(db_url, "0001")
    await populate_0001(db_url)
    await upgrade(db_url, REVISION)
    await downgrade(db_url, f"{REVISION}-1")
    assert "web_shares" not in await tables(db_url)
    assert len(await run(db_url, "SELECT id FROM sprints")) == 2
