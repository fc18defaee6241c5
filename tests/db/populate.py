"""Fill a database at an old revision with rows in every table, and read them back later.

Used by the upgrade tests: "upgrade a populated previous database to head with nothing lost".
The tables are reflected from the database itself (not taken from today's models, which describe
head), so the same helper fills a 0001 database however the models change later. Every column of
every table gets a value of its type, foreign keys point at rows inserted before, and unique
columns get distinct values.

    counts = await populate(url, "0001", rows=3)
    before = await snapshot(url)
    await upgrade(url)          # to head
    assert_kept(before, await snapshot(url))
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db.engine import create_engine
from db.migrate import upgrade

Snapshot = dict[str, list[dict[str, Any]]]

_BASE_TIME = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # a DST change in Europe, on purpose


def _value(column: sa.Column[Any], table_index: int, row: int, dialect: str) -> Any:
    kind = column.type
    n = table_index * 1000 + row + 1
    if isinstance(kind, sa.Boolean):
        return row % 2 == 0
    if isinstance(kind, sa.BigInteger):
        return 10**17 + n  # a snowflake-sized id, distinct per table and row
    if isinstance(kind, sa.Integer):
        return row + 1
    if isinstance(kind, sa.Float):
        return 1.5 + row
    if isinstance(kind, sa.DateTime):
        value = _BASE_TIME + timedelta(hours=row, minutes=table_index)
        naive = dialect == "sqlite" or not getattr(kind, "timezone", False)  # a wall-clock column
        return value.replace(tzinfo=None) if naive else value
    if isinstance(kind, sa.Date):
        return date(2026, 3, 23) + timedelta(days=7 * row)
    if isinstance(kind, sa.Time):
        return time(9, row % 60)
    if isinstance(kind, sa.JSON):
        return {"row": row, "table": column.table.name, "list": [1, 2, 3]}
    if isinstance(kind, sa.String | sa.Text):
        length = getattr(kind, "length", None) or 40
        text = f"{column.name}-{row}-«ü»"
        return text[:length]
    raise TypeError(f"populate: no sample value for {column.table.name}.{column.name} ({kind!r})")


def _fill(conn: Connection, rows: int) -> dict[str, int]:
    meta = sa.MetaData()
    meta.reflect(conn)
    dialect = conn.dialect.name
    counts: dict[str, int] = {}
    for index, table in enumerate(meta.sorted_tables):
        if table.name == "alembic_version":
            continue
        fk_targets = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        values = []
        for row in range(rows):
            record: dict[str, Any] = {}
            for column in table.columns:
                if column.name in fk_targets:
                    # point at a row of the parent (ids start at 1); self-references stay empty
                    parent = fk_targets[column.name]
                    record[column.name] = None if parent == table.name else (row % rows) + 1
                elif (
                    column.primary_key
                    and isinstance(column.type, sa.Integer)
                    and not (isinstance(column.type, sa.BigInteger))
                ):
                    record[column.name] = row + 1
                else:
                    record[column.name] = _value(column, index, row, dialect)
            values.append(record)
        conn.execute(table.insert(), values)
        counts[table.name] = rows
    return counts


def _read(conn: Connection) -> Snapshot:
    meta = sa.MetaData()
    meta.reflect(conn)
    out: Snapshot = {}
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(sa.select(table).order_by(*order)).mappings().all()
        out[table.name] = [dict(r) for r in rows]
    return out


async def populate(url: str, revision: str = "0001", *, rows: int = 3) -> dict[str, int]:
    """Upgrade an empty database to ``revision`` and put ``rows`` rows in every table."""
    await upgrade(url, revision)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(_fill, rows)
    finally:
        await engine.dispose()


async def snapshot(url: str) -> Snapshot:
    """Every row of every table, ordered by primary key."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_read)
    finally:
        await engine.dispose()


def lost(before: Snapshot, after: Snapshot) -> list[str]:
    """What of ``before`` is missing or changed in ``after`` (new tables and columns are fine)."""
    problems: list[str] = []
    for table, rows in before.items():
        if table not in after:
            problems.append(f"table {table} is gone")
            continue
        later = after[table]
        if len(later) != len(rows):
            problems.append(f"{table}: {len(rows)} rows before, {len(later)} after")
            continue
        for old, new in zip(rows, later, strict=True):
            for column, value in old.items():
                if column not in new:
                    problems.append(f"{table}.{column} is gone")
                elif new[column] != value:
                    problems.append(f"{table}.{column}: {value!r} became {new[column]!r}")
    return problems
