"""/timezone server and /timezone me (service level)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import ValidationError
from bot.services.timezones import local_week_start
from db.engine import Database
from tests.services.test_accountability import GUILD, make_world, utc

ALICE = 1001


async def test_server_zone_is_stored_canonically(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    result = await w.tz.set_server_zone(GUILD, "  america/new_york ")
    assert result.zone.key == "America/New_York" and result.changed
    assert (await w.tz.server_zone(GUILD)).key == "America/New_York"
    assert not (await w.tz.set_server_zone(GUILD, "America/New_York")).changed


async def test_unknown_server_zone_is_refused_with_a_suggestion(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError) as err:
        await w.tz.set_server_zone(GUILD, "America/New_Yrok")
    assert "Unknown time zone 'America/New_Yrok'" in str(err.value)
    assert "America/New_York" in str(err.value)
    assert (await w.tz.server_zone(GUILD)).key == "UTC"


async def test_unknown_member_zone_is_refused_and_nothing_is_stored(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError, match="Did you mean"):
        await w.tz.set_member_zone(ALICE, "Europe/Pariss")
    assert await w.tz.member_zone(ALICE) is None


async def test_member_zone_confirmation_carries_their_local_time(database: Database):
    w = make_world(database, utc(2027, 3, 1, 23, 30))
    result = await w.tz.set_member_zone(ALICE, "Asia/Tokyo")
    assert result.local_now.tzinfo == ZoneInfo("Asia/Tokyo")
    assert (result.local_now.date(), result.local_now.hour, result.local_now.minute) == (
        date(2027, 3, 2),
        8,
        30,
    )


async def test_plain_dates_use_the_member_zone_then_the_server_zone(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    assert (await w.tz.zone_for(ALICE, GUILD)).key == "UTC"
    await w.tz.set_server_zone(GUILD, "Europe/Berlin")
    assert (await w.tz.zone_for(ALICE, GUILD)).key == "Europe/Berlin"
    await w.tz.set_member_zone(ALICE, "America/Chicago")
    assert (await w.tz.zone_for(ALICE, GUILD)).key == "America/Chicago"
    await w.tz.clear_member_zone(ALICE)
    assert (await w.tz.zone_for(ALICE, GUILD)).key == "Europe/Berlin"


async def test_week_boundaries_follow_the_server_zone(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.tz.set_server_zone(GUILD, "Pacific/Auckland")
    async with database.transaction() as s:
        # Sunday 20:00 UTC is already Monday 09:00 in Auckland.
        assert await local_week_start(s, GUILD, utc(2027, 3, 7, 20)) == date(2027, 3, 8)
        assert await local_week_start(s, GUILD + 1, utc(2027, 3, 7, 20)) == date(2027, 3, 1)
