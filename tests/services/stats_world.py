"""A server with history, made through the real services (FakeClock), for stats and privacy tests.

Members have snowflake-sized ids and distinctive names so a scan for them finds nothing by chance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import FakeClock
from bot.scheduler import Timers
from bot.services import Services
from bot.services.context import NullWaker, ServiceContext
from bot.services.goals import Actor
from bot.services.sprints import StartRequest
from bot.settings import Settings, StatsSettings
from db.engine import Database
from db.models import AccountabilityMember, AccountabilityNote, AccountabilityWeek, Base

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, far ahead: real timers never fire
GUILD = 912_345_678_901_234_001
CHANNEL = 912_345_678_901_234_101
ME, OTHER, HOST = 812_345_678_901_234_567, 812_345_678_901_234_999, 812_345_678_901_230_000
NAMES = {ME: "Zelda Quillfeather", OTHER: "Otto Brightwater", HOST: "Hana Host"}


@dataclass
class World:
    db: Database
    clock: FakeClock
    services: Services

    def actor(self, user_id: int) -> Actor:
        return Actor(
            user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, display_name=NAMES[user_id]
        )

    async def sprint(self, members: tuple[int, ...], *, rounds: int = 2) -> int:
        """A sprint hosted by the first member, the others joining, run to its end."""
        host = members[0]
        view = await self.services.sprints.start(
            StartRequest(
                guild_id=GUILD,
                channel_id=CHANNEL,
                host_id=host,
                host_name=NAMES[host],
                work=25,
                brk=5,
                rounds=rounds,
                intro=0,
            )
        )
        for member in members[1:]:
            await self.services.sprints.join(view.id, member, NAMES[member])
        return view.id

    async def next_phase(self, sprint_id: int) -> None:
        view = await self.services.sprints.get(sprint_id)
        assert view.state.phase_ends_at is not None
        self.clock.set(view.state.phase_ends_at)
        await self.services.sprints.advance(sprint_id)

    async def finish(self, sprint_id: int) -> None:
        while not (await self.services.sprints.get(sprint_id)).is_over:
            await self.next_phase(sprint_id)


def make_world(database: Database, *, chart_process: bool = False, **settings: Any) -> World:
    """Services on ``database``; charts in a thread unless ``chart_process`` (one test uses it)."""
    settings.setdefault("stats", StatsSettings(chart_process=chart_process))
    clock = FakeClock(T0)
    ctx = ServiceContext(
        settings=Settings(**settings),
        db=database,
        clock=clock,
        timers=Timers(),
        delivery=NullWaker(),
    )
    return World(db=database, clock=clock, services=Services(ctx))


async def play_history(world: World, days: int = 3) -> None:
    """``days`` days with one sprint each (ME and OTHER in it, alternating hosts), goals set and
    done, check-ins, a debrief note, a weekly note, time zones and leaderboard opt-ins."""
    services = world.services
    await services.timezones.set_member_zone(ME, "Europe/Paris")
    await services.timezones.set_member_zone(OTHER, "Asia/Tokyo")
    for day in range(days):
        world.clock.set(T0 + timedelta(days=day))
        members = (ME, OTHER) if day % 2 == 0 else (OTHER, ME)
        sprint_id = await world.sprint(members)
        for member in (ME, OTHER):
            added = await services.goals.add(world.actor(member), f"goal {day} of {NAMES[member]}")
            if day != 1 or member == OTHER:
                await services.goals.done(world.actor(member), added.added[0].id)
        await world.next_phase(sprint_id)  # to the break: check in
        for member in (ME, OTHER):
            await services.checkins.record(GUILD, sprint_id, 1, member, "done")
        await world.finish(sprint_id)
        await services.checkins.add_debrief_note(
            GUILD, sprint_id, ME, f"note from {NAMES[ME]} on day {day}"
        )
    async with world.db.transaction() as session:
        week = AccountabilityWeek(guild_id=GUILD, week_start=T0.date(), channel_id=CHANNEL)
        session.add(week)
        await session.flush()
        for member in (ME, OTHER):
            session.add(AccountabilityNote(week_id=week.id, user_id=member, text="on track"))
            session.add(
                AccountabilityMember(guild_id=GUILD, user_id=member, display_name=NAMES[member])
            )
    await services.stats.join_leaderboard(GUILD, ME)
    await services.stats.join_leaderboard(GUILD, OTHER)


async def traces(db: Database, user_id: int, name: str) -> list[str]:
    """Every place in every table of the models' metadata that names the member (id or name)."""
    digits = str(user_id)
    found: list[str] = []
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = value if isinstance(value, str) else None
                    if isinstance(value, dict | list):
                        text = json.dumps(value)
                    if value == user_id or (text is not None and (digits in text or name in text)):
                        found.append(f"{table.name}.{column} = {value!r}")
    return found
