"""Shared fixtures: a real SQLite file, and a real PostgreSQL database when configured.

``database`` runs each test once per backend: SQLite always; PostgreSQL when
``SPRINTBOT_TEST_POSTGRES_URL`` is set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres),
otherwise that variant is skipped — unless ``SPRINTBOT_REQUIRE_POSTGRES`` is set (CI sets it), which
turns that skip into a failure. Each PostgreSQL test gets a fresh database of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import Database, create_engine
from db.models import Base

PG_ENV = "SPRINTBOT_TEST_POSTGRES_URL"
REQUIRE_PG_ENV = "SPRINTBOT_REQUIRE_POSTGRES"


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def no_postgres() -> None:
    """Skip a PostgreSQL test here (no server configured); fail it where CI requires one."""
    if os.environ.get(REQUIRE_PG_ENV):
        pytest.fail(
            f"{PG_ENV} is not set ({REQUIRE_PG_ENV} is set: CI must run the PostgreSQL tests)"
        )
    pytest.skip(f"{PG_ENV} is not set")


class PostgresDatabases:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)

    async def create(self) -> str:
        name = f"sprintbot_t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.base.set(database="postgres").render_as_string(False))
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        return self.base.set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        name = make_url(url).database
        admin = create_engine(self.base.set(database="postgres").render_as_string(False))
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL (no tables), one per backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    base = postgres_url()
    if base is None:
        no_postgres()
    dbs = PostgresDatabases(base)
    url = await dbs.create()
    try:
        yield url
    finally:
        await dbs.drop(url)


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    """A Database with every table created, on SQLite and (when configured) PostgreSQL."""
    db = Database.from_url(db_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield db
    finally:
        await db.dispose()
