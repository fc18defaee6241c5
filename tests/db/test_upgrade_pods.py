"""The pods revision upgrades a populated database with nothing lost, and its tables work.

Runs on SQLite and PostgreSQL. The database is filled at the revision just before ours (whatever
it is after merges), upgraded to ours, then back down and up again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import select

from db.engine import Database
from db.migrate import alembic_config, downgrade, upgrade
from db.models import MemberAvailability, PodConfig, PodGroup, PodMember, PodRound, PodSeat
from tests.db.populate import lost, populate, snapshot

REVISION = "p15_pods"
NEW_TABLES = {
    "member_availability",
    "pod_configs",
    "pod_members",
    "pod_blocks",
    "pod_rounds",
    "pods",
    "pod_seats",
}


def previous(url: str) -> str:
    script = ScriptDirectory.from_config(alembic_config(url))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


async def test_populated_database_upgrades_to_pods_with_nothing_lost(db_url: str) -> None:
    counts = await populate(db_url, previous(db_url), rows=3)
    assert counts["sprints"] == 3
    before = await snapshot(db_url)

    await upgrade(db_url, REVISION)

    after = await snapshot(db_url)
    assert lost(before, after) == []
    assert set(after) >= NEW_TABLES
    assert all(after[t] == [] for t in NEW_TABLES)


async def test_pod_tables_take_rows_and_the_downgrade_keeps_the_rest(db_url: str) -> None:
    await populate(db_url, previous(db_url), rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, "head")  # the rows below are written with today's models (head)
    db = Database.from_url(db_url)
    now = datetime(2027, 1, 4, 9, tzinfo=UTC)
    try:
        async with db.transaction() as s:
            s.add(
                MemberAvailability(
                    guild_id=1, user_id=2, zone="Asia/Tokyo", windows=[[0, 480, 720]]
                )
            )
            cfg = PodConfig(guild_id=1, channel_id=3, anchor=date(2027, 1, 4))
            s.add(cfg)
            await s.flush()
            s.add(PodMember(config_id=cfg.id, user_id=2))
            rnd = PodRound(
                config_id=cfg.id,
                number=1,
                seed=2**40,
                starts_at=now,
                nudge_at=now,
                ask_at=now,
                ends_at=now,
            )
            s.add(rnd)
            await s.flush()
            pod = PodGroup(round_id=rnd.id, number=1)
            s.add(pod)
            await s.flush()
            s.add(PodSeat(pod_id=pod.id, user_id=2))
        async with db.transaction() as s:
            row = (await s.execute(select(MemberAvailability))).scalar_one()
            assert (row.zone, row.windows) == ("Asia/Tokyo", [[0, 480, 720]])
            assert (await s.execute(select(PodRound.seed))).scalar_one() == 2**40
    finally:
        await db.dispose()

    await downgrade(db_url, previous(db_url))
    assert lost(before, await snapshot(db_url)) == []
    await upgrade(db_url, "head")
    assert lost(before, await snapshot(db_url)) == []
