"""/findtime end to end: the real bot over loopback, real discord.py, the local Discord server.

Members in London, New York, Kolkata and Sydney set their hours with /availability; /findtime
suggests the hours they share on the Monday after London falls back (New York still on summer
time), then, a week on, after New York has fallen back too. Bad input gets ephemeral sentences.
Runs on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.localdiscord import Channel, LocalDiscord, Member, Message, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.support import sprintbot


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def stamp(when: datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


@dataclass
class Club:
    server: LocalDiscord
    general: Channel
    ana: Member  # London
    ben: Member  # New York
    kir: Member  # Kolkata
    sam: Member  # Sydney
    dee: Member  # no hours set
    robot: Member  # a bot
    crew: Role  # Ana, Ben, Kir and Dee
    lurkers: Role  # Dee only, who has no hours


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Time Club")
    crew = guild.add_role("crew")
    lurkers = guild.add_role("lurkers")
    return Club(
        server=server,
        general=guild.add_text_channel("general"),
        ana=guild.add_member("ana", global_name="Ana", roles=[crew]),
        ben=guild.add_member("ben", global_name="Ben", roles=[crew]),
        kir=guild.add_member("kir", global_name="Kir", roles=[crew]),
        sam=guild.add_member("sam", global_name="Sam"),
        dee=guild.add_member("dee", global_name="Dee", roles=[crew, lurkers]),
        robot=guild.add_member("robo", global_name="Robo", bot=True),
        crew=crew,
        lurkers=lurkers,
    )


async def reply(result: Any) -> Message:
    return await result.message()


async def test_findtime_across_four_zones_and_a_dst_change(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    clock = FakeClock(utc(2027, 10, 31, 12))  # Sunday; London just fell back, New York not yet
    async with sprintbot(club.server, database, clock=clock):
        hours = {
            club.ana: ("Mon 13:00-15:00", "Europe/London"),
            club.ben: ("Mon 09:00-11:00", "America/New_York"),
            club.kir: ("Mon 18:00-21:00", "Asia/Kolkata"),
            club.sam: ("Tue 00:00-02:00", "Australia/Sydney"),
        }
        for member, (when, zone) in hours.items():
            saved = await reply(
                await driver.slash(member, club.general, "availability set", when=when, zone=zone)
            )
            assert saved.ephemeral and "Saved your hours" in saved.content

        found = await reply(
            await driver.slash(
                club.ana,
                club.general,
                "findtime",
                member=club.ben,
                member2=club.kir,
                member3=club.sam,
                member4=club.dee,
                days=2,
            )
        )
        assert not found.ephemeral  # the group reads it, each in their own zone
        lines = found.content.splitlines()
        assert "Finding 1 h in the next 2 days" in lines[0]
        first, second = utc(2027, 11, 1, 13), utc(2027, 11, 1, 14)
        assert lines[1].startswith(f"**1.** {stamp(first, 'F')} – {stamp(second, 't')}")
        assert stamp(first, "R") in lines[1] and "everyone (4)" in lines[1]
        assert lines[2].startswith(f"**2.** {stamp(second, 'F')}")
        assert f"<@{club.dee.user.id}>" in lines[-1] and "/availability set" in lines[-1]
        assert not found.allowed_mentions or not found.allowed_mentions.get("users")

        # A week later New York is on winter time: the four share only 14:00–15:00 UTC.
        clock.set(utc(2027, 11, 7, 12))
        later = await reply(
            await driver.slash(
                club.ben,
                club.general,
                "findtime",
                member=club.ana,
                member2=club.kir,
                member3=club.sam,
                days=2,
                length=30,
            )
        )
        lines = later.content.splitlines()
        assert "Finding 30 min" in lines[0]
        assert lines[1].startswith(f"**1.** {stamp(utc(2027, 11, 8, 14), 'F')}")
        assert "everyone (4)" in lines[1]
        # Ana alone from 13:00, Kir from 12:30: later slots name who comes and who doesn't.
        assert any(f"all but <@{club.ben.user.id}>" in line for line in lines[3:])

        # A role: its members who set their hours (Ana, Ben, Kir; not Sam, who lacks the role).
        by_role = await reply(
            await driver.slash(
                club.sam, club.general, "findtime", role=club.crew, include_me=False, days=2
            )
        )
        lines = by_role.content.splitlines()
        assert f"<@&{club.crew.id}>" in lines[0]
        assert f"<@{club.sam.user.id}>" not in by_role.content
        crew_ids = {club.ana.user.id, club.ben.user.id, club.kir.user.id}
        assert all(f"<@{uid}>" in lines[0] for uid in crew_ids)
        assert lines[1].startswith(f"**1.** {stamp(utc(2027, 11, 8, 14), 'F')}")
        assert "everyone (3)" in lines[1]

        # Bad input: ephemeral sentences that say what is allowed.
        robot = await reply(
            await driver.slash(club.ana, club.general, "findtime", member=club.robot)
        )
        assert robot.ephemeral and "is a bot" in robot.content
        short = await reply(
            await driver.slash(club.ana, club.general, "findtime", member=club.ben, length=5)
        )
        assert short.ephemeral and "pick a length from 15 to 480 minutes" in short.content
        far = await reply(
            await driver.slash(club.ana, club.general, "findtime", member=club.ben, days=60)
        )
        assert far.ephemeral and "pick from 1 to 28 days" in far.content
        lurk = await reply(
            await driver.slash(club.ana, club.general, "findtime", role=club.lurkers)
        )
        assert lurk.ephemeral and "Nobody with" in lurk.content
        assert "/availability set" in lurk.content
        none = await reply(await driver.slash(club.ana, club.general, "findtime"))
        assert none.ephemeral and "Name at least one member" in none.content
        nobody = await reply(
            await driver.slash(
                club.dee, club.general, "findtime", member=club.dee, include_me=False
            )
        )
        assert nobody.ephemeral and "hasn't set their usual hours" in nobody.content
        assert "/availability set" in nobody.content

    assert problems(club.server, error_log) == []
