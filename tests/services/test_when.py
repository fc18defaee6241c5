"""``/when`` (issue #14): a time typed in your zone, shown for the members named.

The real database (SQLite file, and PostgreSQL when set); time is a FakeClock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.domain.errors import ValidationError
from bot.scheduler import Timers
from bot.services.availability import AvailabilityService
from bot.services.context import NullWaker, ServiceContext
from bot.settings import Settings
from db.engine import Database
from db.models import GuildSettings, UserSettings

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
GUILD = 4_000_000_000_000_001
ME, NY, TOKYO, NOBODY = (1_000_000_000_000_000_000 + i for i in range(4))


async def make(database: Database) -> AvailabilityService:
    ctx = ServiceContext(
        settings=Settings(),
        db=database,
        clock=FakeClock(NOW),
        timers=Timers(),
        delivery=NullWaker(),
    )
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=GUILD, timezone="Europe/London"))
        session.add(UserSettings(user_id=ME, timezone="Europe/Berlin"))
        session.add(UserSettings(user_id=TOKYO, timezone="Asia/Tokyo"))
    service = AvailabilityService(ctx)
    await service.set(GUILD, NY, "weekdays 09:00-17:00", "America/New_York")
    return service


async def test_a_time_in_my_zone_is_shown_in_each_members_zone_with_warnings(
    database: Database,
) -> None:
    service = await make(database)
    mentions = f"<@{NY}> <@!{TOKYO}>, <@{NOBODY}> <@{NY}>"
    view = await service.when(GUILD, ME, "Tue 18:00", mentions)
    # 18:00 in Berlin (my /timezone me) on Tuesday 4 March 2031 is 17:00 UTC.
    assert view.at == datetime(2031, 3, 4, 17, 0, tzinfo=UTC)
    assert (view.zone, view.zone_source) == ("Europe/Berlin", "personal")
    ny, tokyo, nobody = view.members  # each once, in the order named
    # New York: 12:00, inside their weekday 09–17 hours.
    assert (ny.zone, ny.zone_source, f"{ny.local:%H:%M}") == ("America/New_York", "hours", "12:00")
    assert ny.outside_hours is False and not ny.night
    # Tokyo: 02:00 on Wednesday, night; they set no hours.
    assert (tokyo.zone, tokyo.zone_source, f"{tokyo.local:%a %H:%M}") == (
        "Asia/Tokyo",
        "personal",
        "Wed 02:00",
    )
    assert tokyo.outside_hours is None and tokyo.night
    # Someone who set nothing: the server's zone.
    assert (nobody.zone, nobody.zone_source) == ("Europe/London", "server")


async def test_a_time_outside_someones_hours_is_flagged(database: Database) -> None:
    service = await make(database)
    [ny] = (await service.when(GUILD, ME, "Sat 16:00", f"<@{NY}>")).members
    assert f"{ny.local:%a %H:%M}" == "Sat 10:00"
    assert ny.outside_hours is True and not ny.night


async def test_without_a_zone_of_my_own_the_servers_zone_is_used(database: Database) -> None:
    service = await make(database)
    view = await service.when(GUILD, NOBODY, "tomorrow 09:00")
    assert (view.zone, view.zone_source) == ("Europe/London", "server")
    assert view.at == datetime(2031, 3, 4, 9, 0, tzinfo=UTC) and view.members == ()


@pytest.mark.parametrize(
    ("time", "members", "says"),
    [
        ("whenever", None, "as a day or a time. Write a start like"),
        ("tomorrow", None, "has no time of day"),
        ("today 08:00", None, "has already passed"),
        ("x" * 2001, None, "too long"),
        ("tomorrow 10:00", "ann bob", "“ann” is not a member"),
        ("tomorrow 10:00", "@everyone", "is not a member"),
        ("tomorrow 10:00", " ".join(f"<@{10**18 + i}>" for i in range(11)), "up to 10"),
    ],
)
async def test_bad_input_gets_a_sentence_saying_what_is_allowed(
    database: Database, time: str, members: str | None, says: str
) -> None:
    service = await make(database)
    with pytest.raises(ValidationError, match=says):
        await service.when(GUILD, ME, time, members)
