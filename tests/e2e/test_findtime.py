"""/findtime end to end: the real bot over loopback, real discord.py, the local Discord server.

Members in London, New York, Kolkata and Sydney set their hours with /availability; /findtime
suggests the hours they share on the Monday after London falls back (New York still on summer
time), then, a week on, after New York has fallen back too. Its "Offer these" button turns the
suggestions into an offer to the members named (open to all for a role or a pod) that only the
member who ran it can post; /findtime also takes a pod. Bad input gets ephemeral sentences.
Runs on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.ids import offer_take_id
from bot.localdiscord import Channel, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.offer_support import card_in, followup, press_stale
from tests.e2e.support import drained, sprintbot


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def stamp(when: datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


@dataclass
class Club:
    server: LocalDiscord
    guild_id: int
    general: Channel
    mod: Member  # Manage Server
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
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild_id=guild.id,
        general=guild.add_text_channel("general"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
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


async def set_hours(club: Club) -> None:
    """London, New York, Kolkata and Sydney: the same two hours of Monday 13:00 UTC while New
    York is on summer time."""
    hours = {
        club.ana: ("Mon 13:00-15:00", "Europe/London"),
        club.ben: ("Mon 09:00-11:00", "America/New_York"),
        club.kir: ("Mon 18:00-21:00", "Asia/Kolkata"),
        club.sam: ("Tue 00:00-02:00", "Australia/Sydney"),
    }
    for member, (when, zone) in hours.items():
        saved = await reply(
            await club.server.driver.slash(
                member, club.general, "availability set", when=when, zone=zone
            )
        )
        assert saved.ephemeral and "Saved your hours" in saved.content


async def test_findtime_across_four_zones_and_a_dst_change(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    clock = FakeClock(utc(2027, 10, 31, 12))  # Sunday; London just fell back, New York not yet
    async with sprintbot(club.server, database, clock=clock):
        await set_hours(club)

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


async def test_offer_these_turns_the_suggestions_into_an_offer_to_the_members_named(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    clock = FakeClock(utc(2027, 10, 31, 12))  # London on winter time, New York still on summer
    async with sprintbot(club.server, database, clock=clock) as bot:
        await set_hours(club)
        found = await reply(
            await driver.slash(
                club.ana,
                club.general,
                "findtime",
                member=club.ben,
                member2=club.kir,
                member3=club.sam,
                days=2,
            )
        )
        assert [b["label"] for b in found.buttons] == ["Offer these"]
        suggested = [line for line in found.content.splitlines() if line.startswith("**")]
        before = copy.deepcopy(found)  # as a client that hasn't seen the button go
        not_yours = await reply(await driver.click(club.ben, found, "Offer these"))
        assert not_yours.ephemeral and f"<@{club.ana.user.id}>" in not_yours.content
        assert await bot.services.offers.open_offers(club.guild_id) == []

        pressed = await driver.click(club.ana, found, "Offer these")
        assert await pressed.response() == 7  # the answer is updated: its button goes
        made = await followup(pressed)
        assert made.ephemeral and f"Offered {len(suggested)} slot" in made.content
        await drained(bot)
        (view,) = await bot.services.offers.open_offers(club.guild_id)
        named = {club.ben.user.id, club.kir.user.id, club.sam.user.id}
        assert set(view.targets) == named
        # Numbered in time order; all four must come (Ana and the three she named).
        starts = sorted(int(t) for t in re.findall(r"\*\*\d\.\*\* <t:(\d+):F>", found.content))
        assert [int(s.starts_at.timestamp()) for s in view.slots] == starts
        assert view.min_people == 4
        first = utc(2027, 11, 1, 13)
        assert view.slots[0].starts_at == first
        shown = card_in(club.general, view.id)
        assert stamp(first, "F") in shown.embeds[0]["description"]
        take = offer_take_id(view.id, 1)
        for member in (club.ben, club.kir):
            ticked = await reply(await driver.click(member, shown, take))
            assert ticked.ephemeral and "You can make slot 1" in ticked.content
        took = await reply(await driver.click(club.sam, shown, take))
        assert took.ephemeral and "Confirmed:" in took.content and stamp(first, "F") in took.content
        assert all(f"<@{uid}>" in took.content for uid in (named - {club.sam.user.id}))
        assert f"<@{club.ana.user.id}>" in took.content
        assert found.buttons == []  # offered: the answer keeps its times, the button goes
        again = await reply(press_stale(club.server, club.ana, before, "offer:draft:"))
        assert again.ephemeral and "Already offered" in again.content

        # For a role the offer is open to anyone (the role's members aren't "the ones named").
        by_role = await reply(
            await driver.slash(club.ana, club.general, "findtime", role=club.crew, days=2)
        )
        await reply(await driver.click(club.ana, by_role, "Offer these"))
        await drained(bot)
        (open_view,) = await bot.services.offers.open_offers(club.guild_id)
        assert open_view.targets == ()

        # Kir asked not to be tracked: the times, but no stored draft and so no button.
        await reply(await driver.slash(club.kir, club.general, "privacy stop-tracking"))
        untracked = await reply(
            await driver.slash(club.kir, club.general, "findtime", member=club.ana, days=2)
        )
        assert not untracked.ephemeral and "everyone (2)" in untracked.content
        assert untracked.buttons == []
    assert problems(club.server, error_log) == []


async def test_offer_these_where_the_bot_cant_post_is_refused_like_offer_slots(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    quiet = club.server.world.guilds[club.guild_id].add_text_channel("announcements")
    club.server.world.set_bot_permissions(quiet, deny=int(Perm.SEND_MESSAGES))
    clock = FakeClock(utc(2027, 10, 31, 12))
    async with sprintbot(club.server, database, clock=clock) as bot:
        await set_hours(club)
        found = await reply(
            await driver.slash(club.ana, quiet, "findtime", member=club.ben, days=2)
        )
        assert [b["label"] for b in found.buttons] == ["Offer these"]
        refused = await reply(await driver.click(club.ana, found, "Offer these"))
        assert refused.ephemeral
        assert refused.content.startswith(f"I can't post in <#{quiet.id}>: I need View Channel")
        typed = await reply(await driver.slash(club.ana, quiet, "offer slots", slot1="Mon 9:00"))
        assert typed.content == refused.content  # the same sentence as /offer slots
        await drained(bot)
        assert await bot.services.offers.open_offers(club.guild_id) == []
        assert [b["label"] for b in found.buttons] == ["Offer these"]  # kept: nothing happened
        assert [m.id for m in quiet.history() if not m.ephemeral] == [found.id]
    assert problems(club.server, error_log) == []


async def test_findtime_for_a_pod_its_members_and_the_pods_autocompleted(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    clock = FakeClock(utc(2027, 10, 31, 12))
    async with sprintbot(club.server, database, clock=clock) as bot:
        await set_hours(club)
        await reply(
            await driver.slash(club.mod, club.general, "pods setup", channel=club.general, size=2)
        )
        for member in (club.ana, club.ben, club.kir, club.sam):
            joined = await reply(await driver.slash(member, club.general, "pods join"))
            assert joined.ephemeral
        await reply(await driver.slash(club.mod, club.general, "pods round-now"))
        await drained(bot)
        pods = await bot.services.pods.current_pods(club.guild_id)
        assert sorted(len(p.members) for p in pods) == [2, 2]
        (mine,) = [p for p in pods if club.ana.user.id in p.members]
        choices = await driver.autocomplete(club.ana, club.general, "findtime", "pod", "")
        assert choices[0]["value"] == mine.pod_id and "(yours)" in choices[0]["name"]
        assert "#general" in choices[0]["name"]
        assert {c["value"] for c in choices} == {p.pod_id for p in pods}

        found = await reply(
            await driver.slash(
                club.ana, club.general, "findtime", pod=mine.pod_id, include_me=False, days=2
            )
        )
        head = found.content.splitlines()[0]
        assert all(f"<@{uid}>" in head for uid in mine.members)
        others = {uid for p in pods if p is not mine for uid in p.members}
        assert not any(f"<@{uid}>" in head for uid in others)
        assert "everyone (2)" in found.content.splitlines()[1]
        await reply(await driver.click(club.ana, found, "Offer these"))
        await drained(bot)
        (view,) = await bot.services.offers.open_offers(club.guild_id)
        assert view.targets == ()  # a pod's offer is open, like a role's

        gone = await reply(
            await driver.slash(club.ana, club.general, "findtime", pod=10_000, days=2)
        )
        assert gone.ephemeral and "can't find that pod" in gone.content
    assert problems(club.server, error_log) == []
