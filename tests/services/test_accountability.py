"""Weekly accountability service: the week's posts on time, once, in the right place.

Driven by a FakeClock and a recording timer table (the scheduler is the lead's; here we only need to
see what got armed and fire it by hand), against the real database (SQLite file, and PostgreSQL when
SPRINTBOT_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.errors import Conflict
from bot.services.accountability import AccountabilityService, timer_key
from bot.services.context import ServiceContext
from bot.services.goals import GoalService
from bot.services.sprints import SprintService
from bot.services.timezones import TimezoneService
from bot.settings import Settings
from db import repositories as repo
from db.engine import Database
from db.models import (
    AccountabilityConfig,
    AccountabilityPost,
    AccountabilityWeek,
    DeliveryFailure,
    Goal,
    OutboxMessage,
    Participant,
    PresenceSpan,
    Sprint,
    WorkSpan,
)

GUILD = 4242
CHANNEL = 777
ROLE = 55
ALICE, BOB, CARA = 1001, 1002, 1003


# -- test doubles for the two things a service gets from the outside ------------------------------


@dataclass
class RecordingTimers:
    """What the service armed, by key; tests fire a job by hand at its time."""

    jobs: dict[str, tuple[datetime, Callable[..., Awaitable[Any]], tuple[Any, ...]]] = field(
        default_factory=dict
    )

    def arm(self, key: str, when: datetime, callback: Callable[..., Awaitable[Any]], *args: Any):
        assert when.tzinfo is not None
        self.jobs[key] = (when, callback, args)

    def cancel(self, key: str) -> None:
        self.jobs.pop(key, None)

    def when(self, key: str) -> datetime | None:
        job = self.jobs.get(key)
        return job[0] if job else None

    async def fire(self, key: str) -> None:
        _, callback, args = self.jobs.pop(key)
        await callback(*args)


@dataclass
class CountingWaker:
    wakes: int = 0

    def wake(self) -> None:
        self.wakes += 1


@dataclass
class World:
    db: Database
    clock: FakeClock
    timers: RecordingTimers
    waker: CountingWaker
    acc: AccountabilityService
    tz: TimezoneService

    async def fire_next(self, guild_id: int = GUILD) -> datetime:
        """Move the clock to the guild's armed post time and fire it."""
        when = self.timers.when(timer_key(guild_id))
        assert when is not None, "no post armed"
        self.clock.set(when)
        await self.timers.fire(timer_key(guild_id))
        return when

    async def outbox(self) -> list[OutboxMessage]:
        async with self.db.transaction() as s:
            rows = await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))
            return list(rows.scalars())

    async def week(self, start: date, guild_id: int = GUILD) -> AccountabilityWeek:
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(AccountabilityWeek).where(
                        AccountabilityWeek.guild_id == guild_id,
                        AccountabilityWeek.week_start == start,
                    )
                )
            ).scalar_one()
            return row


def make_world(database: Database, start: datetime, **settings: Any) -> World:
    clock = FakeClock(start)
    timers = RecordingTimers()
    waker = CountingWaker()
    ctx = ServiceContext(
        settings=Settings(**settings),
        db=database,
        clock=clock,
        timers=timers,  # type: ignore[arg-type]
        delivery=waker,
    )
    tz = TimezoneService(ctx)
    acc = AccountabilityService(ctx, tz, goals=GoalService(ctx, SprintService(ctx)))
    return World(database, clock, timers, waker, acc, tz)


async def by_ref(session: Any, ref: str) -> OutboxMessage:
    return (
        await session.execute(select(OutboxMessage).where(OutboxMessage.ref == ref))
    ).scalar_one()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def add_sprint(
    db: Database,
    guild_id: int,
    start: datetime,
    minutes: int,
    members: dict[int, tuple[int, int]],
) -> int:
    """A finished sprint with one work span of ``minutes``; members: id -> (join, leave) offsets
    in minutes from the start."""
    async with db.transaction() as s:
        sprint = Sprint(
            guild_id=guild_id,
            channel_id=CHANNEL + 1,
            host_id=next(iter(members)),
            title="Focus",
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
                    display_name=f"u{uid}",
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
        return sprint.id


# -- the whole week in America/New_York across the March DST change ------------------------------


async def test_week_runs_kickoff_goals_checkins_review_across_march_dst(database: Database):
    # Week of Mon 8 Mar 2027; New York springs forward on Sun 14 Mar at 02:00 (EST → EDT).
    w = make_world(database, utc(2027, 3, 7, 12))
    await w.tz.set_server_zone(GUILD, "America/New_York")
    await w.acc.setup(
        GUILD,
        CHANNEL,
        channel_is_forum=False,
        day="Mon",
        time_="09:00",
        checkin_days="Wed, Sun",
        checkin_time="12:00",
        review_day="Sunday",
        review_time="17:00",
        role_id=ROLE,
    )

    # Kickoff Monday 09:00 EST = 14:00 UTC.
    assert await w.fire_next() == utc(2027, 3, 8, 14)
    week = await w.week(date(2027, 3, 8))
    kickoff = await w.outbox()
    assert [r.kind for r in kickoff] == ["send", "thread", "send"]
    assert kickoff[0].payload["allowed_mentions"] == {"parse": [], "roles": [str(ROLE)]}
    assert kickoff[1].payload["name"] == "Week of 8 Mar"

    await w.acc.add_goals(GUILD, week.id, ALICE, "Alice", "Write chapter 3\nEmail editor")
    await w.acc.add_goals(GUILD, week.id, BOB, "Bob", "Ship the release")
    bob_goal = (await w.acc.open_goals(GUILD, week.id, BOB))[0]
    assert await w.acc.mark_done(GUILD, week.id, BOB, [bob_goal.id]) == ["Ship the release"]

    # Wednesday 12:00 EST = 17:00 UTC: only Alice has open goals, so only she is pinged.
    assert await w.fire_next() == utc(2027, 3, 10, 17)
    checkin = [r for r in await w.outbox() if r.kind == "send"][-1]
    assert checkin.channel_ref == f"acc_thread:{week.id}"
    assert checkin.payload["allowed_mentions"] == {"parse": [], "users": [str(ALICE)]}

    alice_goals = await w.acc.open_goals(GUILD, week.id, ALICE)
    await w.acc.mark_done(GUILD, week.id, ALICE, [alice_goals[0].id])

    # Sunday 12:00 is now EDT = 16:00 UTC (an hour earlier in UTC than before the change).
    assert await w.fire_next() == utc(2027, 3, 14, 16)

    # Sprints that week: Alice 50 min present of a 50-min work span, Bob 20 of it.
    await add_sprint(database, GUILD, utc(2027, 3, 11, 15), 50, {ALICE: (0, 50), BOB: (30, 50)})
    await add_sprint(database, GUILD, utc(2027, 3, 12, 15), 25, {ALICE: (0, 25)})
    # A sprint of the week before does not count.
    await add_sprint(database, GUILD, utc(2027, 3, 5, 15), 25, {ALICE: (0, 25)})

    # Review Sunday 17:00 EDT = 21:00 UTC.
    assert await w.fire_next() == utc(2027, 3, 14, 21)
    figures = {line.member.user_id: line.figures() for line in await w.acc.review_lines(week.id)}
    assert figures[ALICE] == {
        "user_id": ALICE,
        "done": 1,
        "open": 1,
        "sprints": 2,
        "focus_minutes": 75,
        "streak": 1,
    }
    assert figures[BOB] == {
        "user_id": BOB,
        "done": 1,
        "open": 0,
        "sprints": 1,
        "focus_minutes": 20,
        "streak": 1,
    }
    rows = await w.outbox()
    review = next(r for r in rows if r.payload.get("content", "").startswith("🏁"))
    assert review.channel_ref == f"acc_thread:{week.id}"
    assert review.payload["allowed_mentions"] == {"parse": []}
    archive = rows[-1]
    assert archive.kind == "channel_edit"
    assert archive.payload == {"archived": True}
    assert archive.channel_ref == f"acc_thread:{week.id}"

    # Next week's kickoff: Monday 09:00 EDT = 13:00 UTC.
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 15, 13)


async def test_streak_counts_consecutive_weeks_with_a_goal_done(database: Database):
    w = make_world(database, utc(2027, 1, 3, 12))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    for monday in (date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)):
        await w.fire_next()  # kickoff
        week_id = (await w.week(monday)).id
        finishers = (ALICE, BOB) if monday == date(2027, 1, 18) else (ALICE,)
        for uid in finishers:
            await w.acc.add_goals(GUILD, week_id, uid, f"u{uid}", "Weekly goal")
            goal = (await w.acc.open_goals(GUILD, week_id, uid))[0]
            await w.acc.mark_done(GUILD, week_id, uid, [goal.id])
        await w.fire_next()  # check-in
        await w.fire_next()  # review
    lines = {line.member.user_id: line for line in await w.acc.review_lines(week_id)}
    assert (lines[ALICE].streak, lines[BOB].streak) == (3, 1)


async def test_week_summary_refresh_is_throttled_to_the_card_refresh_window(database: Database):
    w = make_world(database, utc(2027, 1, 4, 9))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, time_="10:00")
    await w.fire_next()
    week = await w.week(date(2027, 1, 4))
    before = len(await w.outbox())

    w.clock.advance(timedelta(minutes=20))  # past the window since kickoff's summary
    await w.acc.add_goals(GUILD, week.id, ALICE, "Alice", "One")
    edits = [r for r in (await w.outbox())[before:] if r.kind == "edit"]
    assert len(edits) == 1 and edits[0].supersede_key == f"week_summary:{week.id}"

    w.clock.advance(timedelta(minutes=1))
    await w.acc.add_goals(GUILD, week.id, ALICE, "Alice", "Two")
    await w.acc.add_goals(GUILD, week.id, BOB, "Bob", "Three")
    assert len([r for r in (await w.outbox())[before:] if r.kind == "edit"]) == 1
    refresh_at = w.timers.when(f"accountability_summary:{week.id}")
    assert refresh_at == w.clock.now() - timedelta(minutes=1) + timedelta(seconds=600)

    w.clock.set(refresh_at)
    await w.timers.fire(f"accountability_summary:{week.id}")
    edits = [r for r in (await w.outbox())[before:] if r.kind == "edit"]
    assert len(edits) == 2
    assert edits[0].status == "superseded"  # never sent: the newer edit replaces it
    assert "Three" in edits[-1].payload["embeds"][0]["description"]


# -- at most once: catch-up after downtime, repeated and concurrent runs --------------------------


async def _setup_then_go_down(database: Database) -> World:
    w = make_world(database, utc(2027, 2, 28, 12))  # Sunday
    await w.tz.set_server_zone(GUILD, "Europe/Berlin")
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    # The bot is down from Sunday until Wednesday 14:00 Berlin: Monday's kickoff and Wednesday's
    # 12:00 check-in were missed.
    w.clock.set(utc(2027, 3, 3, 13))
    w.timers.jobs.clear()
    return w


async def test_catch_up_after_downtime_posts_missed_posts_once(database: Database):
    w = await _setup_then_go_down(database)
    await w.acc.restore()
    first = await w.outbox()
    assert [r.kind for r in first] == ["send", "thread", "send", "send", "edit"]
    assert first[3].payload["content"].startswith("👋 Check-in")
    await w.acc.restore()
    await w.acc.run_due(GUILD)
    assert len(await w.outbox()) == len(first)
    async with database.transaction() as s:
        keys = sorted((await s.execute(select(AccountabilityPost.key))).scalars())
    assert keys == ["checkin:2", "kickoff"]
    # Armed for Friday's review, 17:00 Berlin = 16:00 UTC.
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 5, 16)


async def test_concurrent_due_runs_produce_one_set_of_outbox_rows(database: Database):
    w = await _setup_then_go_down(database)
    results = await asyncio.gather(*(w.acc.run_due(GUILD) for _ in range(4)))
    assert sorted(key for posted in results for key in posted) == ["checkin:2", "kickoff"]
    rows = await w.outbox()
    assert [r.kind for r in rows] == ["send", "thread", "send", "send", "edit"]


async def test_posts_of_a_week_that_is_over_are_not_sent_late(database: Database):
    w = make_world(database, utc(2027, 2, 28, 12))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    w.clock.set(utc(2027, 3, 8, 8))  # down all week; back Monday 08:00 UTC, before kickoff
    await w.acc.restore()
    assert await w.outbox() == []
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 8, 9)


async def test_checkins_missed_during_downtime_coalesce_into_the_review(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, checkin_days="Tue, Wed, Thu")
    await w.fire_next()  # kickoff Monday 09:00
    w.clock.set(utc(2027, 3, 5, 18))  # back on Friday after the review time
    await w.acc.run_due(GUILD)
    sends = [r for r in await w.outbox() if r.kind == "send"]
    assert len(sends) == 3  # starter, summary, review — no pile of stale check-ins
    assert sends[-1].payload["content"].startswith("🏁")


# -- text and forum channels ----------------------------------------------------------------------


async def test_text_channel_kickoff_is_a_message_with_a_thread_from_it(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, role_id=ROLE)
    await w.fire_next()
    week = await w.week(date(2027, 3, 1))
    starter, thread, summary = await w.outbox()
    assert (starter.kind, starter.channel_id, starter.ref) == (
        "send",
        CHANNEL,
        f"acc_kickoff:{week.id}",
    )
    assert starter.payload["content"].startswith(f"<@&{ROLE}>")
    assert starter.payload["components"][0]["components"][0]["custom_id"] == f"acc:goals:{week.id}"
    assert (thread.kind, thread.channel_id, thread.target_ref, thread.ref) == (
        "thread",
        CHANNEL,
        f"acc_kickoff:{week.id}",
        f"acc_thread:{week.id}",
    )
    assert thread.payload == {"name": "Week of 1 Mar", "auto_archive_duration": 10080}
    assert (summary.kind, summary.channel_ref, summary.ref) == (
        "send",
        f"acc_thread:{week.id}",
        f"acc_summary:{week.id}",
    )


async def test_forum_kickoff_is_one_post_whose_first_message_pings_the_role(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=True, role_id=ROLE)
    await w.fire_next()
    week = await w.week(date(2027, 3, 1))
    post, summary = await w.outbox()
    assert (post.kind, post.channel_id, post.target_ref, post.ref) == (
        "thread",
        CHANNEL,
        None,
        f"acc_thread:{week.id}",
    )
    assert post.payload["name"] == "Week of 1 Mar"
    first = post.payload["message"]
    assert first["content"].startswith(f"<@&{ROLE}>")
    assert first["allowed_mentions"] == {"parse": [], "roles": [str(ROLE)]}
    assert first["components"][0]["components"][0]["custom_id"] == f"acc:goals:{week.id}"
    assert summary.channel_ref == f"acc_thread:{week.id}"


async def test_kickoff_without_a_role_pings_nobody(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    await w.fire_next()
    assert all(r.payload.get("allowed_mentions") in ({"parse": []}, None) for r in await w.outbox())


async def test_review_keeps_the_thread_open_when_archiving_is_off(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=True, archive_after_review=False)
    for _ in range(3):
        await w.fire_next()
    assert all(r.kind != "channel_edit" for r in await w.outbox())


# -- setup in the middle of a week, and post-now --------------------------------------------------


async def test_setup_mid_week_does_not_fire_the_past_kickoff(database: Database):
    w = make_world(database, utc(2027, 3, 3, 10))  # Wednesday
    view = await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    assert await w.outbox() == []
    assert view.kickoff_missed
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 8, 9)  # next Monday


async def test_post_now_starts_this_week_once_and_skips_its_past_checkins(database: Database):
    w = make_world(database, utc(2027, 3, 4, 10))  # Thursday, after Wednesday's check-in
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    started = await w.acc.post_now(GUILD)
    assert started.label == "Week of 1 Mar"
    assert [r.kind for r in await w.outbox()] == ["send", "thread", "send"]
    with pytest.raises(Conflict, match="already up"):
        await w.acc.post_now(GUILD)
    # Next: this Friday's review, not the missed Wednesday check-in.
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 5, 17)


async def test_post_now_after_the_review_time_is_refused(database: Database):
    w = make_world(database, utc(2027, 3, 5, 18))  # Friday after 17:00
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    with pytest.raises(Conflict, match="review time has passed"):
        await w.acc.post_now(GUILD)


async def test_server_zone_change_moves_the_armed_post(database: Database):
    w = make_world(database, utc(2027, 3, 7, 12))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 8, 9)
    await w.tz.set_server_zone(GUILD, "Asia/Tokyo")
    await w.fire_next()  # the zone change asks for a run now; it re-arms in the new zone
    assert await w.outbox() == []
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 8, 0)  # 09:00 JST


# -- goals from the thread ------------------------------------------------------------------------


async def _started_week(database: Database) -> tuple[World, int]:
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    await w.fire_next()
    return w, (await w.week(date(2027, 3, 1))).id


async def test_add_goals_keeps_good_lines_and_hands_back_the_rest(database: Database):
    w, week_id = await _started_week(database)
    text = "- Draft intro\n\n" + "x" * 250 + "\n* draft intro\n2. Review PR"
    result = await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", text)
    assert result.added == ("Draft intro", "Review PR")
    assert result.duplicates == ("draft intro",)
    assert result.refused[0][0] == "x" * 250
    assert "at most 200" in result.refused[0][1]


async def test_marking_a_goal_done_twice_counts_once(database: Database):
    w, week_id = await _started_week(database)
    await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "One")
    goal = (await w.acc.open_goals(GUILD, week_id, ALICE))[0]
    first, second = await asyncio.gather(
        w.acc.mark_done(GUILD, week_id, ALICE, [goal.id]),
        w.acc.mark_done(GUILD, week_id, ALICE, [goal.id]),
    )
    assert sorted([len(first), len(second)]) == [0, 1]


async def test_a_member_cannot_tick_off_someone_elses_goal(database: Database):
    w, week_id = await _started_week(database)
    await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "One")
    goal = (await w.acc.open_goals(GUILD, week_id, ALICE))[0]
    assert await w.acc.mark_done(GUILD, week_id, BOB, [goal.id]) == []


async def test_carrying_open_goals_into_next_week_is_idempotent(database: Database):
    w, week_id = await _started_week(database)
    await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "One\nTwo")
    for _ in range(2):
        await w.fire_next()  # check-in, review
    first, second = await asyncio.gather(
        w.acc.carry_over(GUILD, week_id, ALICE), w.acc.carry_over(GUILD, week_id, ALICE)
    )
    assert sorted([first.carried, second.carried]) == [(), ("One", "Two")]
    assert first.next_week == date(2027, 3, 8)
    async with database.transaction() as s:
        nxt = (await s.execute(select(Goal).where(Goal.week_id != week_id))).scalars().all()
    assert sorted(g.text for g in nxt) == ["One", "Two"]
    assert all(g.carried_from_id is not None for g in nxt)


async def test_adding_goals_to_a_reviewed_week_is_refused(database: Database):
    w, week_id = await _started_week(database)
    for _ in range(2):
        await w.fire_next()
    with pytest.raises(Conflict, match="has been reviewed"):
        await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "Late goal")


async def test_checkin_lists_but_never_pings_a_member_who_left(database: Database):
    w, week_id = await _started_week(database)
    await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "Stay")
    await w.acc.add_goals(GUILD, week_id, CARA, "Cara Jones", "Leave")
    await w.acc.member_left(GUILD, CARA)
    await w.fire_next()
    checkin = [r for r in await w.outbox() if r.kind == "send"][-1]
    assert checkin.payload["allowed_mentions"] == {"parse": [], "users": [str(ALICE)]}
    body = checkin.payload["embeds"][0]["description"]
    assert "Cara Jones (left the server)" in body and "Leave" in body
    assert f"<@{CARA}>" not in checkin.payload["content"]


# -- channels going away and delivery failures ----------------------------------------------------


async def test_deleted_channel_disables_posts_with_a_note_for_managers(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    assert await w.acc.channel_deleted(GUILD, CHANNEL)
    assert w.timers.when(timer_key(GUILD)) is None
    view = await w.acc.show(GUILD)
    assert not view.enabled
    assert "was deleted" in (view.disabled_reason or "")
    assert any("was deleted" in p for p in view.problems)
    w.clock.set(utc(2027, 3, 1, 10))
    assert await w.acc.run_due(GUILD) == []


async def test_permanent_delivery_failure_in_the_channel_disables_posts(database: Database):
    w, week_id = await _started_week(database)
    async with database.transaction() as s:
        starter = await by_ref(s, f"acc_kickoff:{week_id}")
        starter.status = "failed"
        s.add(
            DeliveryFailure(
                guild_id=GUILD,
                channel_id=CHANNEL,
                outbox_id=starter.id,
                reason="Missing Access",
                created_at=w.clock.now(),
            )
        )
    assert await w.acc.run_due(GUILD) == []
    view = await w.acc.show(GUILD)
    assert not view.enabled and "Missing Access" in (view.disabled_reason or "")
    assert view.problems == ("Missing Access",)
    # Setting up again clears the note and turns posting back on.
    view = await w.acc.setup(GUILD, CHANNEL + 5, channel_is_forum=False)
    assert view.enabled and view.problems == ()


async def test_deleting_a_week_thread_skips_the_rest_of_that_week(database: Database):
    w, week_id = await _started_week(database)
    thread_id = 999_001
    async with database.transaction() as s:
        row = await by_ref(s, f"acc_thread:{week_id}")
        row.status, row.result_id = "sent", thread_id
    assert not await w.acc.channel_deleted(GUILD, thread_id)  # the schedule itself stays on
    before = len(await w.outbox())
    await w.fire_next()  # Wednesday's check-in: nowhere to post
    assert len(await w.outbox()) == before
    async with database.transaction() as s:
        cfg = await s.get(AccountabilityConfig, GUILD)
        assert cfg is not None and cfg.enabled


# -- the current week across a zone change (issue #12, item 6) ------------------------------------


async def test_zone_change_across_the_date_line_never_starts_a_week_that_is_over(
    database: Database,
):
    # Monday 8 March 2027, 05:00 UTC: Monday evening on Kiritimati (UTC+14), but still Sunday
    # evening of the week of 1 March in Pago Pago (UTC-11), whose review (Sunday 20:00) is ahead.
    w = make_world(database, utc(2027, 3, 8, 5))
    await w.tz.set_server_zone(GUILD, "Pacific/Kiritimati")
    await w.acc.setup(
        GUILD, CHANNEL, channel_is_forum=False, review_day="Sunday", review_time="20:00"
    )
    started = await w.acc.post_now(GUILD)
    assert started.week_start == date(2027, 3, 8)

    await w.tz.set_server_zone(GUILD, "Pacific/Pago_Pago")
    with pytest.raises(Conflict, match="already up"):
        await w.acc.post_now(GUILD)
    await w.fire_next()  # the zone change re-armed the timer right away
    w.clock.set(utc(2027, 3, 8, 8))  # past last week's review time in Pago Pago
    assert await w.acc.run_due(GUILD) == []
    assert (await w.acc.show(GUILD)).this_week == date(2027, 3, 8)

    async with database.transaction() as s:
        posts = (
            await s.execute(
                select(AccountabilityWeek.week_start, AccountabilityPost.key).join(
                    AccountabilityPost, AccountabilityPost.week_id == AccountabilityWeek.id
                )
            )
        ).all()
    assert posts == [(date(2027, 3, 8), "kickoff")]


async def test_mark_done_in_the_thread_follows_the_done_rules_celebration_and_quiet_mode(
    database: Database,
):
    w, week_id = await _started_week(database)
    await w.acc.add_goals(GUILD, week_id, ALICE, "Alice", "One\nTwo")
    one, two = await w.acc.open_goals(GUILD, week_id, ALICE)
    assert await w.acc.mark_done(GUILD, week_id, ALICE, [one.id]) == ["One"]
    [cheer] = [r for r in await w.outbox() if "finished" in r.payload.get("content", "")]
    assert cheer.payload["content"] == f"🎉 <@{ALICE}> finished **One** (1/2)"
    assert cheer.channel_ref == f"acc_thread:{week_id}" and cheer.topic is None
    async with database.transaction() as s:
        (await repo.guild_settings(s, GUILD)).quiet_done = True
    assert await w.acc.mark_done(GUILD, week_id, ALICE, [two.id]) == ["Two"]
    assert len([r for r in await w.outbox() if "finished" in r.payload.get("content", "")]) == 1
