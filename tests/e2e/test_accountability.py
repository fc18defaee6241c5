"""Weekly accountability end to end: the real bot over loopback, real discord.py, local server.

The bot runs on a FakeClock set in 2027, so its real scheduler never fires a weekly post by itself
during a test; each test moves the clock to the armed post time (checked against the bot's own
timer) and runs the guild's due posts, exactly what the timer callback does. Members act through
the server's driver (slash commands, buttons, selects, forms). Runs on SQLite and, when
SPRINTBOT_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.accountability import timer_key
from db.engine import Database
from db.models import (
    AccountabilityConfig,
    Goal,
    Participant,
    PresenceSpan,
    Sprint,
    WorkSpan,
)
from tests.e2e.support import drained, sprintbot, until


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Sunday 7 March 2027, 07:00 in New York. The week of 8 March is the last one on EST: kickoff
# Monday 09:00 EST = 14:00 UTC, check-in Wednesday 12:00 = 17:00 UTC, review Friday 17:00 =
# 22:00 UTC; after the change on Sunday 14 March, next Monday's 09:00 EDT is 13:00 UTC.
START = utc(2027, 3, 7, 12)
KICKOFF, CHECKIN, REVIEW = utc(2027, 3, 8, 14), utc(2027, 3, 10, 17), utc(2027, 3, 12, 22)
NEXT_KICKOFF = utc(2027, 3, 15, 13)


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    weekly: Channel
    forum: Channel
    general: Channel
    crew: Role  # the role pinged at kickoff
    mod: Member  # Manage Server
    alice: Member
    bob: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Accountability Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    crew = guild.add_role("crew", mentionable=True)
    return Club(
        server=server,
        guild=guild,
        weekly=guild.add_text_channel("weekly"),
        forum=guild.add_forum_channel("weekly-goals"),
        general=guild.add_text_channel("general"),
        crew=crew,
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        alice=guild.add_member("alice", global_name="Alice", roles=[crew]),
        bob=guild.add_member("bob", global_name="Bob", roles=[crew]),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def post_due(bot: AnyBot, club: Club, clock: FakeClock, expected: datetime) -> list[str]:
    """What the guild's timer does at its time: the armed time must be ``expected``."""
    armed = bot.timers.when(timer_key(club.guild.id))
    assert armed == expected, f"armed for {armed}, expected {expected}"
    clock.set(expected)
    posted = await bot.services.accountability.run_due(club.guild.id)
    await drained(bot)
    return posted


async def reply(result: Any) -> Message:
    return await result.message()


def text_of(message: Message) -> str:
    parts = [message.content] + [
        f"{e.get('title', '')}\n{e.get('description', '')}" for e in message.embeds
    ]
    return "\n".join(parts)


def the_thread(club: Club, parent: Channel) -> Channel:
    threads = club.guild.threads(parent)
    assert len(threads) == 1, [t.name for t in threads]
    return threads[0]


async def setup_weekly(bot: AnyBot, club: Club, channel: Channel, **options: Any) -> Message:
    driver = club.server.driver
    await reply(
        await driver.slash(club.mod, club.general, "timezone server", zone="America/New_York")
    )
    return await reply(
        await driver.slash(
            club.mod, club.general, "accountability setup", channel=channel, **options
        )
    )


async def add_goals(club: Club, member: Member, message: Message, lines: str) -> Message:
    driver = club.server.driver
    opened = await driver.click(member, message, "Add my goals")
    return await reply(await driver.submit_modal(member, opened, {"goals": lines}))


async def mark_done(club: Club, member: Member, message: Message, *texts: str) -> Message:
    driver = club.server.driver
    menu = await reply(await driver.click(member, message, "Mark done"))
    options = {o["label"]: o["value"] for c in menu.walk_components() for o in c.get("options", [])}
    picked = await driver.select(
        member, menu, "Pick the goals you finished", [options[t] for t in texts]
    )
    return await reply(picked)


async def add_sprint(
    database: Database,
    club: Club,
    start: datetime,
    minutes: int,
    members: dict[int, tuple[int, int]],
) -> None:
    """A finished sprint in the guild: one work span; members: id -> (join, leave) minutes."""
    async with database.transaction() as s:
        sprint = Sprint(
            guild_id=club.guild.id,
            channel_id=club.general.id,
            host_id=next(iter(members)),
            title="Deep work",
            plan={},
            status="finished",
            phase_started_at=start,
            created_at=start,
            ended_at=start + timedelta(minutes=minutes),
        )
        s.add(sprint)
        await s.flush()
        s.add(
            WorkSpan(
                sprint_id=sprint.id, started_at=start, ended_at=start + timedelta(minutes=minutes)
            )
        )
        for uid, (join, leave) in members.items():
            s.add(
                Participant(
                    sprint_id=sprint.id,
                    user_id=uid,
                    display_name=str(uid),
                    joined_at=start + timedelta(minutes=join),
                )
            )
            s.add(
                PresenceSpan(
                    sprint_id=sprint.id,
                    user_id=uid,
                    started_at=start + timedelta(minutes=join),
                    ended_at=start + timedelta(minutes=leave),
                )
            )


# -- the whole week -------------------------------------------------------------------------------


async def test_text_channel_week_runs_kickoff_goals_checkin_review_with_correct_figures(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    server, driver = club.server, club.server.driver
    async with sprintbot(server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.weekly, role=club.crew)

        # Kickoff: a message pinging only the crew role, and the week's thread from it.
        assert await post_due(bot, club, clock, KICKOFF) == ["kickoff"]
        starter = club.weekly.history()[-1]
        assert starter.content.startswith(f"<@&{club.crew.id}>")
        assert starter.mention_role_ids == [club.crew.id] and starter.mention_ids == []
        thread = the_thread(club, club.weekly)
        assert thread.name == "Week of 8 Mar"
        summary = thread.history()[0]
        assert "No goals yet" in text_of(summary)

        # Goals: Alice through the thread's form, Bob through /goal (outside a sprint → week).
        added = await add_goals(club, club.alice, starter, "Write chapter 3\n- Email the editor")
        assert added.ephemeral and "Added 2 goals to the week of 8 Mar" in added.content
        said = await reply(
            await driver.slash(club.bob, club.general, "goal", text="Ship the release")
        )
        assert "week of 8 mar" in said.content.lower()
        done = await mark_done(club, club.bob, summary, "Ship the release")
        assert "Ticked off 1" in done.content

        # Check-in: lists open goals and pings only members who still have some (Alice).
        assert await post_due(bot, club, clock, CHECKIN) == ["checkin:2"]
        checkin = thread.history()[-1]
        assert checkin.mention_ids == [club.alice.id]
        assert "Write chapter 3" in text_of(checkin) and "Ship the release" not in text_of(checkin)
        await mark_done(club, club.alice, checkin, "Write chapter 3")
        opened = await driver.click(club.alice, checkin, "Progress")
        note = await reply(
            await driver.submit_modal(club.alice, opened, {"note": "Chapter done, editor next"})
        )
        assert note.channel_id == thread.id and note.mention_ids == []

        # Sprints that week (and one the week before, which must not count).
        await add_sprint(
            database,
            club,
            utc(2027, 3, 11, 15),
            50,
            {club.alice.id: (0, 50), club.bob.id: (30, 50)},
        )
        await add_sprint(database, club, utc(2027, 3, 12, 15), 25, {club.alice.id: (0, 25)})
        await add_sprint(database, club, utc(2027, 3, 5, 15), 25, {club.alice.id: (0, 25)})

        # Review: per member goals, sprints, focus minutes, streak; then the thread is archived.
        assert await post_due(bot, club, clock, REVIEW) == ["review"]
        review = next(m for m in reversed(thread.history()) if m.content.startswith("🏁"))
        body = text_of(review)
        assert f"<@{club.alice.id}> — ✅ 1/2 done · 🏃 2 sprints · ⏱ 75 min focus" in body
        assert f"<@{club.bob.id}> — ✅ 1/1 done · 🏃 1 sprint · ⏱ 20 min focus" in body
        assert "Chapter done, editor next" in body
        assert review.mention_ids == []
        assert thread.archived
        assert "Final" in text_of(thread.history()[0])

        # Carrying Alice's open goal into next week, twice: copied once.
        first = await reply(await driver.click(club.alice, review, "Carry my open goals"))
        again = await reply(await driver.click(club.alice, review, "Carry my open goals"))
        assert "Carried 1 open goal into the week of 15 Mar" in first.content
        assert "Already carried over" in again.content
        async with database.transaction() as s:
            carried = await s.execute(select(Goal).where(Goal.carried_from_id.is_not(None)))
            assert [g.text for g in carried.scalars()] == ["Email the editor"]

        # Next week's kickoff is at 09:00 EDT, an hour earlier in UTC.
        assert bot.timers.when(timer_key(club.guild.id)) == NEXT_KICKOFF
        await drained(bot)
    assert problems(server, error_log) == []


async def test_forum_week_is_one_post_whose_first_message_pings_the_role(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.forum, role=club.crew)
        await post_due(bot, club, clock, KICKOFF)
        post = the_thread(club, club.forum)
        assert post.name == "Week of 8 Mar"
        first, summary = post.history()
        assert first.content.startswith(f"<@&{club.crew.id}>")
        assert first.mention_role_ids == [club.crew.id]
        assert first.button("Add my goals") is not None
        assert "Goals · Week of 8 Mar" in text_of(summary)
        assert club.forum.history() == []  # a forum holds posts, not messages
        added = await add_goals(club, club.alice, first, "Run 10k")
        assert "Added 1 goal" in added.content
        await post_due(bot, club, clock, CHECKIN)
        assert post.history()[-1].mention_ids == [club.alice.id]
    assert problems(club.server, error_log) == []


async def test_week_buttons_still_work_after_a_restart(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.weekly)
        await post_due(bot, club, clock, KICKOFF)
    starter = club.weekly.history()[-1]
    async with sprintbot(club.server, database, clock=clock) as bot:
        added = await add_goals(club, club.bob, starter, "Fix the login bug")
        assert "Added 1 goal" in added.content
        # Restarting re-armed the guild's timer for the next post, not a repeat of the kickoff.
        assert bot.timers.when(timer_key(club.guild.id)) == CHECKIN
        await drained(bot)
    assert len(club.guild.threads(club.weekly)) == 1
    assert problems(club.server, error_log) == []


async def test_downtime_over_the_kickoff_posts_it_once_on_restart(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.weekly)
    clock.set(KICKOFF + timedelta(hours=5))  # the bot was down at 09:00
    for _ in range(2):
        async with sprintbot(club.server, database, clock=clock) as bot:
            await drained(bot)
    assert len(club.guild.threads(club.weekly)) == 1
    assert len(club.weekly.history()) == 1
    assert problems(club.server, error_log) == []


# -- refusals and faults --------------------------------------------------------------------------


async def test_setup_in_a_channel_without_thread_permission_is_refused_by_name(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    club.server.world.set_bot_permissions(club.weekly, deny=Perm.CREATE_PUBLIC_THREADS)
    club.server.world.set_bot_permissions(club.forum, deny=Perm.SEND_MESSAGES)
    async with sprintbot(club.server, database, clock=clock) as bot:
        refused = await setup_weekly(bot, club, club.weekly)
        assert refused.ephemeral
        assert "missing the Create Public Threads permission" in refused.content
        refused = await setup_weekly(bot, club, club.forum)
        assert "missing the Send Messages permission in that forum" in refused.content
        shown = await reply(
            await club.server.driver.slash(club.mod, club.general, "accountability show")
        )
        assert "isn't set up here yet" in shown.content
    async with database.transaction() as s:
        assert (await s.execute(select(AccountabilityConfig))).first() is None
    assert problems(club.server, error_log) == []


async def test_bad_day_time_and_zone_get_clear_answers(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        bad_time = await setup_weekly(bot, club, club.weekly, time="25:00")
        assert bad_time.content.startswith("Kickoff time: '25:00' is not a time of day")
        bad_day = await setup_weekly(bot, club, club.weekly, review_day="Funday")
        assert bad_day.content.startswith("Review day: Unknown day 'Funday'")
        zone = await reply(
            await driver.slash(club.mod, club.general, "timezone server", zone="America/New_Yrok")
        )
        assert "Unknown time zone 'America/New_Yrok'. Did you mean: America/New_York" in (
            zone.content
        )
        choices = await driver.autocomplete(club.mod, club.general, "timezone me", "zone", "new yo")
        assert choices[0]["value"] == "America/New_York"
        times = await driver.autocomplete(
            club.mod, club.general, "accountability setup", "time", "5pm", channel=club.weekly
        )
        assert times[0]["value"] == "17:00"
    assert problems(club.server, error_log) == []


async def test_deleting_the_channel_turns_weekly_posts_off_and_show_says_why(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.weekly)
        club.server.world.delete_channel(club.weekly)

        async def disabled() -> bool:
            async with database.transaction() as s:
                cfg = await s.get(AccountabilityConfig, club.guild.id)
                return cfg is not None and not cfg.enabled

        await until(disabled)
        assert bot.timers.when(timer_key(club.guild.id)) is None
        shown = await reply(await driver.slash(club.mod, club.general, "accountability show"))
        assert "accountability channel was deleted" in text_of(shown)
    assert problems(club.server, error_log) == []


async def test_member_who_left_keeps_goals_and_is_not_pinged(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await setup_weekly(bot, club, club.weekly)
        await post_due(bot, club, clock, KICKOFF)
        starter = club.weekly.history()[-1]
        await add_goals(club, club.alice, starter, "Stay on track")
        await add_goals(club, club.bob, starter, "Finish the deck")
        # Discord only tells a bot with the members intent; the service hook is what it calls.
        await bot.services.accountability.member_left(club.guild.id, club.bob.id)
        await post_due(bot, club, clock, CHECKIN)
        checkin = the_thread(club, club.weekly).history()[-1]
        assert checkin.mention_ids == [club.alice.id]
        assert "Bob (left the server)" in text_of(checkin) and "Finish the deck" in text_of(checkin)
    assert problems(club.server, error_log) == []


async def test_zone_change_across_the_date_line_keeps_one_thread_for_this_week(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    # Issue #12, item 6. Monday 8 March, 05:00 UTC is Monday evening on Kiritimati (UTC+14) but
    # still Sunday of the week of 1 March in Pago Pago (UTC-11), with that week's review ahead.
    driver = club.server.driver
    clock.set(utc(2027, 3, 8, 5))
    async with sprintbot(club.server, database, clock=clock) as bot:
        await reply(
            await driver.slash(club.mod, club.general, "timezone server", zone="Pacific/Kiritimati")
        )
        await reply(
            await driver.slash(
                club.mod,
                club.general,
                "accountability setup",
                channel=club.weekly,
                review_day="Sunday",
                review_time="20:00",
            )
        )
        await reply(await driver.slash(club.mod, club.general, "accountability post-now"))
        await drained(bot)
        await reply(
            await driver.slash(club.mod, club.general, "timezone server", zone="Pacific/Pago_Pago")
        )
        again = await reply(await driver.slash(club.mod, club.general, "accountability post-now"))
        assert again.ephemeral and "already up" in again.content
        await drained(bot)
    assert [t.name for t in club.guild.threads(club.weekly)] == ["Week of 8 Mar"]
    assert problems(club.server, error_log) == []
