"""Standing sessions end to end: the real bot over loopback, real discord.py, the local server.

A weekly series is scheduled with /session schedule; members answer on its card; the reminder
pings only Going and Maybe; at the start the sprint starts itself with the Going members in it;
the waitlist and its offers, two members pressing the last place at once, a restart before and
after a start, edit/skip/cancel and bad input. Timers run on a FakeClock: each test checks the
armed time, moves the clock there and runs what the timer runs. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from db.models import OutboxMessage, Participant, SessionOccurrence, SessionSeries, Sprint
from tests.e2e.support import drained, sprintbot, until


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


START = utc(2027, 1, 3, 12)  # Sunday; London is on UTC in winter
MONDAY_9 = utc(2027, 1, 4, 9)


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    quiet: Channel  # the bot may not post here
    focus: Channel  # voice
    writers: Role  # not mentionable
    mod: Member  # Manage Server
    alice: Member
    bob: Member
    cat: Member
    dan: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Session Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    quiet = guild.add_text_channel("announcements")
    server.world.set_bot_permissions(quiet, deny=int(Perm.SEND_MESSAGES))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        quiet=quiet,
        focus=guild.add_voice_channel("Focus Room"),
        writers=guild.add_role("writers", 0),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        cat=guild.add_member("cat", global_name="Cat"),
        dan=guild.add_member("dan", global_name="Dan"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def reply(result: Any) -> Message:
    return await result.message()


async def settle(bot: AnyBot, clock: FakeClock) -> None:
    """Let coalesced card edits (held a few seconds) go out, and wait for delivery."""
    clock.advance(timedelta(seconds=4))
    await drained(bot)


async def series_id(database: Database, title: str) -> int:
    async with database.transaction() as s:
        return (
            await s.execute(select(SessionSeries.id).where(SessionSeries.title == title))
        ).scalar_one()


async def card(bot: AnyBot, club: Club, sid: int) -> Message:
    async with bot.db.transaction() as s:
        message_id = (
            await s.execute(
                select(OutboxMessage.result_id).where(
                    OutboxMessage.ref == f"session_card:{sid}", OutboxMessage.kind == "send"
                )
            )
        ).scalar_one()
    assert message_id is not None, "the card was not delivered"
    return club.server.world.messages[message_id]


async def tick(bot: AnyBot, clock: FakeClock, sid: int, expected: datetime) -> list[str]:
    """What the series' timer does at its time: the armed time must be ``expected``."""
    armed = bot.services.sessions.runner.when(sid)
    assert armed == expected, f"armed for {armed}, expected {expected}"
    clock.set(expected)
    done = await bot.services.sessions.run_due(sid)
    await drained(bot)
    return list(done)


def lines(channel: Channel, text: str) -> list[Message]:
    return [m for m in channel.history() if text in m.content]


def pinged(message: Message) -> set[int]:
    return {int(u) for u in (message.allowed_mentions or {}).get("users", [])}


async def schedule(club: Club, **options: Any) -> Message:
    fields: dict[str, Any] = {
        "title": "Monday writing",
        "when": "Mon 9:00",
        "repeat": "weekly",
        "zone": "Europe/London",
        "work": 25,
        "break": 5,
        "rounds": 2,
        "intro": 0,
    }
    fields.update(options)
    return await reply(
        await club.server.driver.slash(club.mod, club.general, "session schedule", **fields)
    )


async def test_schedule_answer_remind_and_the_sprint_starts_itself_with_them_in_it(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        done = await schedule(
            club, voice=club.focus, norms="cameras optional, mute during work", capacity=2
        )
        assert done.ephemeral and "Scheduled **Monday writing**" in done.content
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        shown = await card(bot, club, sid)
        assert f"<t:{int(MONDAY_9.timestamp())}:F>" in shown.embeds[0]["description"]
        assert [b["label"] for b in shown.buttons][:4] == [
            "Going",
            "Maybe",
            "Can't",
            "Skip this one",
        ]

        answer = await reply(await driver.click(club.alice, shown, "Going"))
        assert answer.ephemeral and "You're going" in answer.content
        await reply(await driver.click(club.bob, shown, "Maybe"))
        await reply(await driver.click(club.cat, shown, "Can't"))
        full = await reply(await driver.click(club.dan, shown, "Going"))
        assert "waitlist" in full.content  # two places: Mo (who scheduled it) and Alice
        await settle(bot, clock)
        text = (await card(bot, club, sid)).embeds[0]["description"]
        assert f"<@{club.alice.user.id}>" in text and "Maybe:** <@" in text

        # The reminder, 15 minutes before: Going and Maybe only.
        assert await tick(bot, clock, sid, MONDAY_9 - timedelta(minutes=15)) == ["reminded 3"]
        (reminder,) = lines(club.general, "⏰")
        assert pinged(reminder) == {club.mod.user.id, club.alice.user.id, club.bob.user.id}

        # 09:00: the sprint starts by itself, Mo and Alice in it, the voice channel linked.
        assert await tick(bot, clock, sid, MONDAY_9) == ["started"]
        (start,) = lines(club.general, "starts now")
        assert "cameras optional" in start.content
        assert pinged(start) == {club.mod.user.id, club.alice.user.id}
        sprint = await bot.services.sprints.active_in_channel(club.general.id)
        assert sprint is not None and sprint.voice_channel_id == club.focus.id
        assert set(sprint.active_ids) == {club.mod.user.id, club.alice.user.id}
        # Alice says she's here; Bob (maybe) joins by voice: both showed up. Mo did nothing.
        here = await reply(await driver.click(club.alice, start, "I'm here"))
        assert here.ephemeral and "counted as here" in here.content
        driver.voice_join(club.bob, club.focus)
        await asyncio.sleep(0.3)
        await bot.services.sprints.leave(sprint.id, club.mod.user.id)
        await bot.services.sprints.leave(sprint.id, club.alice.user.id)
        if club.bob.user.id in (await bot.services.sprints.get(sprint.id)).active_ids:
            await bot.services.sprints.leave(sprint.id, club.bob.user.id)
        await drained(bot)
        (after,) = [
            e
            for m in club.general.history()
            for e in m.embeds
            if "Standing session: Monday writing" in e.get("title", "")
        ]
        showed, _, missed = after["description"].partition("didn't join")
        assert f"<@{club.alice.user.id}>" in showed and f"<@{club.bob.user.id}>" in showed
        assert f"<@{club.mod.user.id}>" in missed
        # The card moved on to next week.
        await settle(bot, clock)
        nxt = (await card(bot, club, sid)).embeds[0]["description"]
        assert f"<t:{int((MONDAY_9 + timedelta(days=7)).timestamp())}:F>" in nxt
    assert problems(club.server, error_log) == []


async def test_the_waitlist_the_race_for_the_last_place_and_the_offer(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, capacity=2)  # Mo holds one place
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        shown = await card(bot, club, sid)
        a, b = await asyncio.gather(
            driver.click(club.alice, shown, "Going"), driver.click(club.bob, shown, "Going")
        )
        answers = sorted([(await reply(a)).content, (await reply(b)).content])
        assert sum("You're going" in t for t in answers) == 1
        assert sum("waitlist" in t for t in answers) == 1
        view = await bot.services.sessions.show(club.guild.id, sid)
        assert view.next is not None and len(view.next.going) == 2
        (waiting,) = view.next.waitlist
        holder = club.alice if waiting.user_id == club.bob.user.id else club.bob
        other = club.bob if holder is club.alice else club.alice

        await reply(await driver.click(holder, shown, "Can't"))
        await settle(bot, clock)
        (offer,) = lines(club.general, "a place opened up")
        assert pinged(offer) == {other.user.id}
        refused = await reply(await driver.click(club.cat, offer, "Accept the place"))
        assert refused.ephemeral and "someone else" in refused.content
        took = await reply(await driver.click(other, offer, "Accept the place"))
        assert "The place is yours" in took.content
        view = await bot.services.sessions.show(club.guild.id, sid)
        assert view.next is not None and other.user.id in {a.user_id for a in view.next.going}
    assert problems(club.server, error_log) == []


async def test_a_restart_before_the_end_starts_late_once_and_after_it_records_missed(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, reminders="none")
        await schedule(club, title="Early birds", when="Mon 6:00", reminders="none")
        await drained(bot)
    # Down over both starts; back at 09:30: the 09:00 one starts late, the 06:00 one is missed.
    clock.set(MONDAY_9 + timedelta(minutes=30))
    async with sprintbot(club.server, database, clock=clock) as bot:
        for title in ("Monday writing", "Early birds"):
            sid = await series_id(database, title)
            armed = bot.services.sessions.runner.when(sid)
            assert armed is not None and armed <= clock.now()
            await bot.services.sessions.run_due(sid)
        await drained(bot)
        (late,) = lines(club.general, "starts now")
        assert "30 min late" in late.content
        async with database.transaction() as s:
            statuses = [
                (o.status, o.starts_at)
                for o in await s.scalars(
                    select(SessionOccurrence).order_by(SessionOccurrence.starts_at)
                )
            ]
        assert ("missed", utc(2027, 1, 4, 6)) in statuses
        assert ("started", MONDAY_9) in statuses
    async with sprintbot(club.server, database, clock=clock) as bot:  # and again: nothing new
        for title in ("Monday writing", "Early birds"):
            assert await bot.services.sessions.run_due(await series_id(database, title)) == []
        await drained(bot)
        assert len(lines(club.general, "starts now")) == 1
        async with database.transaction() as s:
            assert len(list(await s.scalars(select(Sprint)))) == 1
    assert problems(club.server, error_log) == []


async def test_edit_skip_cancel_and_who_may(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club)
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        choices = await driver.autocomplete(
            club.alice, club.general, "session edit", "session", "mon"
        )
        assert [c["value"] for c in choices] == [sid]
        refused = await reply(
            await driver.slash(
                club.alice, club.general, "session edit", session=sid, scope="one", title="Mine"
            )
        )
        assert refused.ephemeral and "Manage Server" in refused.content
        edited = await reply(
            await driver.slash(
                club.mod,
                club.general,
                "session edit",
                session=sid,
                scope="one",
                title="Special edition",
                when="Tue 10:00",
            )
        )
        assert "Updated the next session" in edited.content
        await settle(bot, clock)
        assert "Special edition" in (await card(bot, club, sid)).embeds[0]["title"]
        skipped = await reply(
            await driver.slash(club.mod, club.general, "session skip", session=sid)
        )
        assert "Skipped" in skipped.content
        await drained(bot)
        listed = await reply(await driver.slash(club.bob, club.general, "session list"))
        week2 = int((MONDAY_9 + timedelta(days=7)).timestamp())
        assert f"<t:{week2}:F>" in listed.embeds[0]["description"]
        shown = await card(bot, club, sid)
        cal = await reply(await driver.click(club.bob, shown, "Add to calendar"))
        assert cal.ephemeral and cal.attachments[0].filename == "monday-writing.ics"
        await reply(await driver.slash(club.mod, club.general, "session cancel", session=sid))
        await drained(bot)
        gone = await card(bot, club, sid)
        assert "cancelled" in gone.embeds[0]["description"] and gone.buttons == []
        assert bot.services.sessions.runner.when(sid) is None
        off = await reply(
            await driver.slash(club.bob, club.general, "session reminders", setting="off")
        )
        assert "off for you" in off.content
    assert problems(club.server, error_log) == []


async def test_a_voice_channel_deleted_later_is_left_out_of_the_start_which_says_so(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, voice=club.focus, reminders="none")
        await drained(bot)
        sid = await series_id(database, "Monday writing")
        club.server.world.delete_channel(club.focus)

        async def dropped() -> bool:
            async with database.transaction() as s:
                series = await s.get(SessionSeries, sid)
                return series is not None and series.voice_channel_id is None

        await until(dropped)
        assert await tick(bot, clock, sid, MONDAY_9) == ["started"]
        (start,) = lines(club.general, "starts now")
        assert "voice channel no longer exists" in start.content
        sprint = await bot.services.sprints.active_in_channel(club.general.id)
        assert sprint is not None and sprint.voice_channel_id is None
    assert problems(club.server, error_log) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"when": "25:00"}, "25:00"),
        ({"when": "Funday"}, "can't read"),
        ({"when": "13pm"}, "1 to 12"),
        ({"when": "2026-01-01 09:00"}, "already passed"),
        ({"when": "yesterday 12:00"}, "has already passed"),
        ({"capacity": 0}, "1 to 99"),
        ({"capacity": 10_000}, "1 to 99"),
        ({"repeat": "daily", "until": "2040-01-01"}, "more than 500"),
        ({"channel": "announcements"}, "can't post in"),
        ({"role": "writers"}, "can't mention"),
    ],
)
async def test_bad_input_gets_an_ephemeral_sentence_and_stores_nothing(
    club: Club,
    database: Database,
    clock: FakeClock,
    error_log: DiscordErrorLog,
    options: dict[str, Any],
    words: str,
) -> None:
    if options.get("channel") == "announcements":
        options = {**options, "channel": club.quiet}
    if options.get("role") == "writers":
        options = {**options, "role": club.writers}
    async with sprintbot(club.server, database, clock=clock):
        refused = await schedule(club, **options)
        assert refused.ephemeral and words in refused.content
    async with database.transaction() as s:
        assert list(await s.scalars(select(SessionSeries))) == []
        assert list(await s.scalars(select(Participant))) == []
    assert problems(club.server, error_log) == []


async def test_a_sprint_that_finishes_on_schedule_updates_the_card_by_itself(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    """Nobody clicks: the sessions start at their time and their sprints run their course at
    test speed; each series' card then shows the last session's attendance on its own, with the
    next session (weekly) or none (a one-off)."""
    lounge = club.guild.add_text_channel("lounge")
    async with sprintbot(club.server, database, speed=60) as bot:  # 1 min of plan: 1 s
        short = {"when": "in 2 min", "work": 1, "rounds": 1, "reminders": "none"}
        await schedule(club, title="Weekly", **short)
        await schedule(club, title="Once", repeat="none", channel=lounge, **short)
        await drained(bot)
        weekly, once = await series_id(database, "Weekly"), await series_id(database, "Once")

        async def over() -> bool:
            async with database.transaction() as s:
                ended = await s.scalars(
                    select(SessionOccurrence).where(SessionOccurrence.ended_at.is_not(None))
                )
                return len(list(ended)) == 2

        await until(over, 20)
        async with database.transaction() as s:
            (sprint,) = [r for r in await s.scalars(select(Sprint)) if r.channel_id == lounge.id]
            assert sprint.end_reason == "finished"
            nxt = (
                await s.scalars(
                    select(SessionOccurrence).where(
                        SessionOccurrence.series_id == weekly,
                        SessionOccurrence.status == "upcoming",
                    )
                )
            ).one()

        async def updated() -> bool:
            for sid in (weekly, once):
                if "**Last time**" not in (await card(bot, club, sid)).embeds[0]["description"]:
                    return False
            return True

        await until(updated, 10)
        mo = f"<@{club.mod.user.id}>"
        text = (await card(bot, club, weekly)).embeds[0]["description"]
        assert f"**Next:** <t:{int(nxt.starts_at.timestamp())}:F>" in text
        assert f"showed up: nobody; said they'd come but didn't: {mo}" in text
        assert [b["label"] for b in (await card(bot, club, weekly)).buttons][:1] == ["Going"]
        shown = await card(bot, club, once)
        assert "No more sessions in this series." in shown.embeds[0]["description"]
        assert f"didn't: {mo}" in shown.embeds[0]["description"] and shown.buttons == []
    assert problems(club.server, error_log) == []


async def test_edit_all_future_moves_one_day_of_a_multi_day_series(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await schedule(club, repeat="weekly mon,wed,fri")
        await drained(bot)
        sid = await series_id(database, "Monday writing")

        async def edit(when: str) -> Message:
            return await reply(
                await driver.slash(
                    club.mod, club.general, "session edit", session=sid, scope="future", when=when
                )
            )

        refused = await edit("Thu 9:00")  # Wednesday 6 January would be left out
        assert refused.ephemeral and "Wed 6 Jan 2027" in refused.content
        assert "scope: this one only" in refused.content
        moved = await edit("Tue 9:00")
        assert moved.ephemeral
        assert "It repeats every Tuesday, Wednesday and Friday." in moved.content
        tuesday = int((MONDAY_9 + timedelta(days=1)).timestamp())
        assert f"Next: <t:{tuesday}:F>" in moved.content
        await settle(bot, clock)
        text = (await card(bot, club, sid)).embeds[0]["description"]
        assert "every Tuesday, Wednesday and Friday" in text and f"<t:{tuesday}:F>" in text
    assert problems(club.server, error_log) == []
