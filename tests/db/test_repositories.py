"""Repository round trips on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from db import repositories as repo
from db.engine import Database
from db.models import Goal, Sprint

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def sprint(channel_id: int, status: str = "running") -> Sprint:
    return Sprint(
        guild_id=10,
        channel_id=channel_id,
        host_id=1,
        title="Focus",
        plan={"work_min": 25},
        status=status,
        phase_started_at=NOW,
        phase_ends_at=NOW,
    )


async def test_guild_settings_are_created_once_with_defaults(database: Database) -> None:
    async with database.transaction() as session:
        first = await repo.guild_settings(session, 42)
        first.timezone = "Europe/London"
    async with database.transaction() as session:
        again = await repo.guild_settings(session, 42)
    assert again.timezone == "Europe/London"
    assert again.ping_on_phase is True


async def test_user_settings_round_trip(database: Database) -> None:
    async with database.transaction() as session:
        (await repo.user_settings(session, 5)).timezone = "Asia/Kolkata"
    async with database.transaction() as session:
        assert (await repo.user_settings(session, 5)).timezone == "Asia/Kolkata"


async def test_active_sprint_lookup_ignores_finished_ones(database: Database) -> None:
    async with database.transaction() as session:
        session.add_all([sprint(1, "finished"), sprint(1, "running"), sprint(2, "cancelled")])
    async with database.transaction() as session:
        found = await repo.active_sprint_in_channel(session, 1, for_update=True)
        none = await repo.active_sprint_in_channel(session, 2)
    assert found is not None and found.status == "running"
    assert none is None


async def test_database_allows_one_active_sprint_per_channel(database: Database) -> None:
    async with database.transaction() as session:
        session.add(sprint(3))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(sprint(3, "paused"))


async def test_week_is_created_once_and_holds_goals(database: Database) -> None:
    monday = date(2026, 11, 16)
    async with database.transaction() as session:
        week, created = await repo.get_or_create_week(session, 10, monday, channel_id=99)
        session.add(Goal(guild_id=10, user_id=1, text="write", scope="week", week_id=week.id))
    async with database.transaction() as session:
        again, created_again = await repo.get_or_create_week(session, 10, monday, channel_id=99)
    assert created and not created_again
    assert again.id == week.id
