"""Every revision after the released 0001 keeps what a populated 0001 database holds.

Runs on SQLite and PostgreSQL. New revisions add their own checks of the data they migrate; this
test guards the rest: every row and column of every 0001 table is still there, unchanged, at head.
"""

from __future__ import annotations

from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot


async def test_populated_0001_database_upgrades_to_head_with_nothing_lost(db_url: str) -> None:
    counts = await populate(db_url, "0001", rows=3)
    assert counts["sprints"] == 3 and counts["outbox"] == 3 and counts["goals"] == 3
    before = await snapshot(db_url)

    await upgrade(db_url, "head")

    assert lost(before, await snapshot(db_url)) == []


async def test_populated_head_database_downgrades_to_0001_and_back(db_url: str) -> None:
    await populate(db_url, "0001", rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, "head")
    await downgrade(db_url, "0001")
    assert lost(before, await snapshot(db_url)) == []
    await upgrade(db_url, "head")
    assert lost(before, await snapshot(db_url)) == []


def test_lost_names_a_missing_row_and_a_changed_value() -> None:
    before = {"t": [{"id": 1, "a": "x"}, {"id": 2, "a": "y"}]}
    assert lost(before, {"t": [{"id": 1, "a": "x"}]}) == ["t: 2 rows before, 1 after"]
    assert lost(before, {"t": [{"id": 1, "a": "x"}, {"id": 2, "a": "z"}]}) == [
        "t.a: 'y' became 'z'"
    ]
    assert lost(before, {}) == ["table t is gone"]
    assert lost(before, {"t": [{"id": 1, "a": "x", "new": 1}, {"id": 2, "a": "y"}]}) == []
