"""Plain `alembic` from the repository root, as a contributor runs it: no alembic.ini needed.

pyproject.toml's [tool.alembic] configures the CLI and migrations/env.py takes the database URL
from Sprintbot's own settings (here SPRINTBOT_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import inspect

from db.engine import create_engine

ROOT = Path(__file__).resolve().parents[2]


async def alembic(*args: str, url: str) -> tuple[int, str]:
    env = {**os.environ, "SPRINTBOT_DATABASE_URL": url}
    env.pop("SPRINTBOT_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


async def test_plain_alembic_upgrades_and_checks_the_database_from_the_settings(
    db_url: str,
) -> None:
    code, out = await alembic("upgrade", "head", url=db_url)
    assert code == 0, out
    assert "alembic.ini" not in out

    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"alembic_version", "outbox"} <= tables

    code, out = await alembic("check", url=db_url)
    assert code == 0, out
    assert "No new upgrade operations detected" in out


async def test_plain_alembic_explains_a_database_url_it_cannot_use() -> None:
    code, out = await alembic("check", url="mysql://root@localhost/sprints")
    assert code != 0
    assert "is not a database Sprintbot can use" in out
    assert "Traceback" not in out
