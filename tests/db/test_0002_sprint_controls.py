"""Revision 0002_sprint_controls: existing sprints get control_seq 0 and no extension, nothing
else changes, and the downgrade gives the columns back without touching any other row."""

from __future__ import annotations

from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot


async def test_populated_sprints_upgrade_with_no_controls_and_no_extension(db_url: str) -> None:
    await populate(db_url, "0001", rows=3)
    before = await snapshot(db_url)

    await upgrade(db_url, "0002_sprint_controls")

    after = await snapshot(db_url)
    assert lost(before, after) == []
    rows = after["sprints"]
    assert [(r["control_seq"], r["controlled_at"], r["phase_extended_min"]) for r in rows] == [
        (0, None, 0)
    ] * 3


async def test_downgrading_0002_drops_only_its_columns(db_url: str) -> None:
    await populate(db_url, "0001", rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, "0002_sprint_controls")
    await downgrade(db_url, "0001")
    after = await snapshot(db_url)
    assert lost(before, after) == []
    assert not {"control_seq", "controlled_at", "phase_extended_min"} & set(after["sprints"][0])
