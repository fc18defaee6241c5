"""Revision s16_stats_privacy on a populated 0001 database: nothing lost, its tables and indexes
in place and usable, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from bot.domain.privacy import user_hash
from db.engine import Database, create_engine
from db.migrate import upgrade
from db.models import GuildRemoval, LeaderboardMember, PrivacyMark
from tests.db.populate import lost, populate, snapshot


async def _indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: inspect(c).get_indexes(table))
            return {str(i["name"]) for i in found}
    finally:
        await engine.dispose()


async def test_populated_0001_gains_the_privacy_tables_and_stats_indexes(db_url: str) -> None:
    await populate(db_url, "0001", rows=3)
    before = await snapshot(db_url)

    await upgrade(db_url, "s16_stats_privacy")

    after = await snapshot(db_url)
    assert lost(before, after) == []
    assert after["leaderboard_members"] == [] and after["privacy_marks"] == []
    assert "ix_presence_user_started" in await _indexes(db_url, "sprint_presence_spans")
    assert "ix_participants_user" in await _indexes(db_url, "sprint_participants")
    db = Database.from_url(db_url)
    try:
        now = datetime(2031, 1, 1, tzinfo=UTC)
        async with db.transaction() as session:
            session.add(LeaderboardMember(guild_id=10**17 + 1, user_id=10**17 + 2, joined_at=now))
            session.add(PrivacyMark(user_hash=user_hash(10**17 + 2), untracked_since=now))
            session.add(GuildRemoval(guild_id=10**17 + 1, removed_at=now))
        async with db.transaction() as session:
            mark = await session.get(PrivacyMark, user_hash(10**17 + 2))
            assert mark is not None and mark.untracked_since == now
    finally:
        await db.dispose()
