"""Migrations upgrade to head and back to base on SQLite and PostgreSQL, with no drift."""

from __future__ import annotations

from sqlalchemy import inspect

from db.engine import create_engine
from db.migrate import check, downgrade, upgrade, upgrade_sql
from db.models import Base


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_to_head_creates_every_table(db_url: str) -> None:
    await upgrade(db_url)
    assert set(Base.metadata.tables) <= await table_names(db_url)


async def test_alembic_check_reports_no_drift(db_url: str) -> None:
    await upgrade(db_url)
    assert await check(db_url) is None


async def test_downgrade_to_base_removes_every_table(db_url: str) -> None:
    await upgrade(db_url)
    await downgrade(db_url, "base")
    assert await table_names(db_url) <= {"alembic_version"}
    await upgrade(db_url)  # and up again
    assert set(Base.metadata.tables) <= await table_names(db_url)


def test_offline_sql_is_printed_without_a_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sql = upgrade_sql(f"sqlite+aiosqlite:///{tmp_path / 'never-created.sqlite3'}")
    assert "CREATE TABLE sprints" in sql
    assert not (tmp_path / "never-created.sqlite3").exists()
