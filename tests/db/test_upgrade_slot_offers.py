"""Revision y19_slot_offers (slot offers, issue #14) upgrades a populated database losing
nothing, and its downgrade removes only the offer tables."""

from __future__ import annotations

from db.migrate import downgrade, upgrade
from tests.db.populate import lost, populate, snapshot
from tests.db.test_upgrade_sessions import run, tables

REVISION = "y19_slot_offers"
PREVIOUS = "x18_sessions"
TABLES = {"slot_offers", "slot_offer_slots", "slot_offer_takers"}


async def test_upgrade_from_a_populated_x18_keeps_every_row_and_adds_the_offer_tables(
    db_url: str,
) -> None:
    await populate(db_url, PREVIOUS, rows=3)  # every table up to standing sessions, filled
    before = await snapshot(db_url)
    assert not TABLES & await tables(db_url)
    await upgrade(db_url, REVISION)
    assert await tables(db_url) >= TABLES
    assert lost(before, await snapshot(db_url)) == []
    # An offer confirmed into one of the populated series, with a slot and a taker.
    await run(
        db_url,
        "INSERT INTO slot_offers (guild_id, channel_id, offerer_id, offerer_name, title, plan,"
        " zone, mode, targets, status, expires_at, confirmed_position, series_id, created_at)"
        " VALUES (4000000000000001, 5, 100, 'Host', 'Pairing', '{}', 'Europe/London', 'first',"
        " '[200]', 'confirmed', '2031-03-03 09:00:00+00:00', 1, 1, '2031-03-01 09:00:00+00:00')",
    )
    await run(
        db_url,
        "INSERT INTO slot_offer_slots (offer_id, position, starts_at)"
        " VALUES (1, 1, '2031-03-03 09:00:00+00:00')",
    )
    await run(
        db_url,
        "INSERT INTO slot_offer_takers (offer_id, position, user_id, display_name, taken_at)"
        " VALUES (1, 1, 200, 'Ann', '2031-03-02 09:00:00+00:00')",
    )
    await upgrade(db_url)  # and on to whatever head is now
    assert await run(db_url, "SELECT title, status, series_id FROM slot_offers") == [
        ("Pairing", "confirmed", 1)
    ]
    assert await run(db_url, "SELECT user_id FROM slot_offer_takers") == [(200,)]


async def test_downgrade_removes_only_the_offer_tables(db_url: str) -> None:
    await populate(db_url, PREVIOUS, rows=2)
    before = await snapshot(db_url)
    await upgrade(db_url, REVISION)
    await downgrade(db_url, PREVIOUS)
    assert not TABLES & await tables(db_url)
    assert lost(before, await snapshot(db_url)) == []
