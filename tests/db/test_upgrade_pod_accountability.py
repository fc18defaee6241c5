"""The accountability-per-pod revision upgrades a populated database with nothing lost: existing
pods channels keep the server-wide cycle, and the new table takes rows. SQLite and PostgreSQL.

The database is filled at the revision just before ours (whatever it is after merges), upgraded to
ours, then down and up again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import select, update

from db.engine import Database
from db.migrate import alembic_config, downgrade, upgrade
from db.models import AccountabilityPodWeek, AccountabilityWeek, PodConfig, PodGroup, PodRound
from tests.db.populate import lost, populate, snapshot

REVISION = "a15_pod_accountability"


def previous(url: str) -> str:
    script = ScriptDirectory.from_config(alembic_config(url))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


async def test_populated_database_upgrades_with_nothing_lost_and_pods_stay_server_wide(
    db_url: str,
) -> None:
    counts = await populate(db_url, previous(db_url), rows=3)
    assert counts["pod_configs"] == 3
    before = await snapshot(db_url)

    await upgrade(db_url, REVISION)

    after = await snapshot(db_url)
    assert lost(before, after) == []
    assert after["accountability_pod_weeks"] == []
    assert [row["accountability_per_pod"] for row in after["pod_configs"]] == [False] * 3
    assert [row["in_pods"] for row in after["accountability_weeks"]] == [False] * 3


async def test_the_pod_week_table_takes_rows_and_the_downgrade_keeps_the_rest(db_url: str) -> None:
    await populate(db_url, previous(db_url), rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    db = Database.from_url(db_url)
    now = datetime(2027, 1, 4, 9, tzinfo=UTC)
    try:
        async with db.transaction() as s:
            week_id = (await s.scalars(select(AccountabilityWeek.id).limit(1))).one()
            pod = (await s.scalars(select(PodGroup).limit(1))).one()
            rnd = await s.get(PodRound, pod.round_id)
            assert rnd is not None
            await s.execute(  # updated_at kept: the downgrade check compares every column
                update(PodConfig)
                .where(PodConfig.id == rnd.config_id)
                .values(accountability_per_pod=True, updated_at=PodConfig.updated_at)
            )
            s.add(AccountabilityPodWeek(id=900, week_id=week_id, pod_id=pod.id, created_at=now))
        async with db.transaction() as s:
            row = (await s.scalars(select(AccountabilityPodWeek))).one()
            assert (row.week_id, row.archived_at, row.created_at) == (week_id, None, now)
            per_pod = await s.scalars(select(PodConfig.accountability_per_pod))
            assert sorted(per_pod) == [False, True]
    finally:
        await db.dispose()

    await downgrade(db_url, previous(db_url))
    assert lost(before, await snapshot(db_url)) == []
    await upgrade(db_url, "head")
    assert lost(before, await snapshot(db_url)) == []
