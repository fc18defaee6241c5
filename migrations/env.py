"""Alembic environment: async, URL from Sprintbot's settings, batch mode on SQLite."""

from __future__ import annotations

import asyncio
import logging

from alembic import context
from sqlalchemy.engine import Connection

from db.engine import create_engine, is_sqlite
from db.models import Base

config = context.config
target_metadata = Base.metadata

if config.cmd_opts is not None and not logging.getLogger().handlers:
    # Plain `alembic` on the command line (no alembic.ini to configure logging): say what runs.
    logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)


def _url() -> str:
    """db.migrate passes the URL in; plain `alembic` (configured by pyproject.toml's
    [tool.alembic], no alembic.ini) reads it from Sprintbot's settings: the config file
    (SPRINTBOT_CONFIG or ./config.toml) and SPRINTBOT_DATABASE_URL."""
    url: str | None = config.attributes.get("sqlalchemy_url")
    if not url and config.file_config.has_section(config.config_ini_section):
        url = config.get_main_option("sqlalchemy.url")  # an alembic.ini of your own, if any
    if not url:
        from alembic.util import CommandError

        from bot.settings import ConfigError, load_settings

        try:
            url = load_settings().database.url
        except ConfigError as exc:
            raise CommandError(exc.describe()) from None
    return url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    url = url or _url()
    context.configure(
        connection=connection,
        url=None if connection is not None else url,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
        literal_binds=connection is None,
        dialect_opts={"paramstyle": "named"} if connection is None else {},
    )


def run_migrations_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection, url=_url())
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(_run_sync)
        return
    engine = create_engine(_url())
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run_sync)
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
