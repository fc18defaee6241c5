"""Pods at the service level: restarts, members leaving mid-round, deleted threads, bad input.

Real SQLite (and PostgreSQL when configured); the timers are real but never started, so each test
reads the armed time and runs what the timer would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.scheduler import Timers
from bot.services.availability import AvailabilityService
from bot.services.context import NullWaker, ServiceContext
from bot.services.pods import Answer, PodService, timer_key
from bot.services.timezones import TimezoneService
from bot.settings import Settings
from db.engine import Database
from db.models import DeliveryFailure, OutboxMessage, PodConfig, PodGroup, PodRound, PodSeat

GUILD, CHANNEL = 10**17 + 1, 10**17 + 2
ALL = {
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
}
MONDAY_9 = datetime(2027, 1, 4, 9, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class World:
    db: Database
    clock: FakeClock
    timers: Timers
    pods: PodService
    hours: AvailabilityService
    tz: TimezoneService

    async def config_id(self) -> int:
        async with self.db.transaction() as s:
            return (await s.execute(select(PodConfig.id))).scalar_one()

    async def tick(self) -> list[str]:
        cid = await self.config_id()
        when = self.timers.when(timer_key(cid))
        assert when is not None
        self.clock.set(when)
        return await self.pods.run_due(cid)

    async def rounds(self) -> list[PodRound]:
        async with self.db.transaction() as s:
            return list((await s.execute(select(PodRound).order_by(PodRound.number))).scalars())

    async def pods_now(self) -> dict[int, list[int]]:
        """pod number → members still in it, for the latest round."""
        async with self.db.transaction() as s:
            rnd = (
                await s.execute(select(PodRound).order_by(PodRound.number.desc()).limit(1))
            ).scalar_one()
            rows = await s.execute(
                select(PodGroup.number, PodSeat.user_id)
                .join(PodSeat, PodSeat.pod_id == PodGroup.id)
                .where(PodGroup.round_id == rnd.id, PodSeat.left_at.is_(None))
                .order_by(PodGroup.number, PodSeat.user_id)
            )
            out: dict[int, list[int]] = {}
            for number, user in rows.all():
                out.setdefault(number, []).append(user)
            return out

    async def all_met(self) -> None:
        async with self.db.transaction() as s:
            rnd = (
                await s.execute(select(PodRound).order_by(PodRound.number.desc()).limit(1))
            ).scalar_one()
            seats = (
                await s.execute(
                    select(PodSeat.pod_id, PodSeat.user_id)
                    .join(PodGroup, PodGroup.id == PodSeat.pod_id)
                    .where(PodGroup.round_id == rnd.id, PodSeat.left_at.is_(None))
                )
            ).all()
        for pod_id, user_id in seats:
            await self.pods.answer(GUILD, pod_id, user_id, Answer.MET)

    async def posts(self, text: str) -> list[OutboxMessage]:
        async with self.db.transaction() as s:
            rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
            return [r for r in rows if text in str(r.payload.get("content", ""))]


def make_world(database: Database, start: datetime) -> World:
    clock = FakeClock(start)
    ctx = ServiceContext(
        settings=Settings(), db=database, clock=clock, timers=Timers(), delivery=NullWaker()
    )
    tz = TimezoneService(ctx)
    return World(database, clock, ctx.timers, PodService(ctx, tz), AvailabilityService(ctx), tz)


async def started(database: Database, members: int, size: int = 2) -> World:
    w = make_world(database, utc(2027, 1, 3, 12))
    await w.pods.setup(GUILD, CHANNEL, size=size, bot_permissions=ALL)
    for user in range(1, members + 1):
        await w.pods.join(GUILD, CHANNEL, user, f"member {user}")
    assert await w.tick() == ["start"]
    return w


async def test_a_round_due_while_down_runs_once_on_return(database: Database) -> None:
    w = await started(database, 4)
    assert [r.number for r in await w.rounds()] == [1]
    # Down for three weeks and a bit: a new process (fresh timers) restores from the database.
    later = make_world(database, utc(2027, 1, 27, 12))
    await later.pods.restore()
    rounds = await later.rounds()
    assert [(r.number, r.starts_at) for r in rounds] == [(1, MONDAY_9), (2, utc(2027, 1, 25, 9))]
    assert rounds[0].closed_at is not None
    # The nudge of the late round is still ahead, in what is left of it; restoring again (a
    # second restart) starts nothing new.
    assert later.timers.when(timer_key(await later.config_id())) == rounds[1].nudge_at
    again = make_world(database, utc(2027, 1, 27, 13))
    await again.pods.restore()
    assert len(await again.rounds()) == 2
    assert len(await again.posts("Pods · round 2")) == 1


async def test_a_member_leaving_never_breaks_the_other_pods(database: Database) -> None:
    w = await started(database, 6)
    before = await w.pods_now()
    assert sorted(len(p) for p in before.values()) == [2, 2, 2]
    number, (leaver, mate) = next(iter(before.items()))
    await w.pods.leave(GUILD, CHANNEL, leaver)
    after = await w.pods_now()
    # The other two pods are as they were, plus the lone mate moved into one of them.
    assert number not in after
    assert sorted(len(p) for p in after.values()) == [2, 3]
    assert sum(mate in p for p in after.values()) == 1
    for n, members in before.items():
        if n != number:
            assert set(members) <= set(after[n])
    assert len(await w.posts("left pods")) == 1
    assert len(await w.posts("joins this pod for the rest of the round")) == 1
    # Leaving twice is a sentence, not a crash; and the next round goes on without them.
    with pytest.raises(Conflict, match="not in the pods"):
        await w.pods.leave(GUILD, CHANNEL, leaver)
    await w.tick()  # nudge
    await w.tick()  # ask
    assert await w.tick() == ["close", "start"]
    assert leaver not in {u for p in (await w.pods_now()).values() for u in p}


async def test_current_pods_and_a_pods_members_for_findtime(database: Database) -> None:
    w = await started(database, 5)
    now = await w.pods_now()
    found = await w.pods.current_pods(GUILD)
    assert {p.number: sorted(p.members) for p in found} == now
    assert {(p.round_number, p.channel_id) for p in found} == {(1, CHANNEL)}
    first = found[0]
    leaver = first.members[0]
    await w.pods.leave(GUILD, CHANNEL, leaver)
    mine = await w.pods.pod_members(GUILD, first.pod_id)
    assert leaver not in mine.members and mine.number == first.number
    assert await w.pods.current_pods(GUILD + 1) == []
    with pytest.raises(NotFound, match="can't find that pod"):
        await w.pods.pod_members(GUILD + 1, first.pod_id)


async def test_a_deleted_pod_thread_moves_its_posts_to_the_channel(database: Database) -> None:
    w = await started(database, 2)
    async with database.transaction() as s:
        pod = (await s.execute(select(PodGroup))).scalar_one()
        thread = (
            await s.execute(
                select(OutboxMessage).where(OutboxMessage.ref == f"pod_thread:{pod.id}")
            )
        ).scalar_one()
        thread.result_id = 555  # what the sender records when it created the thread
    await w.pods.thread_deleted(GUILD, 555)
    assert await w.tick() == ["nudge"]
    (nudge,) = await w.posts("halfway through the round")
    assert nudge.channel_id == CHANNEL and nudge.channel_ref is None
    assert nudge.payload["content"].startswith("**Pod 1** (its thread is gone): ")


async def test_bad_setup_and_member_input_get_sentences(database: Database) -> None:
    w = make_world(database, utc(2027, 1, 3, 12))
    with pytest.raises(NotFound, match="Pods aren't on in this server yet"):
        await w.pods.join(GUILD, CHANNEL, 1, "a")
    with pytest.raises(ValidationError, match="pick 2 \\(pairs\\), 3 or 4"):
        await w.pods.setup(GUILD, CHANNEL, size=7)
    with pytest.raises(ValidationError, match="weekly, every 2 weeks or every 4 weeks"):
        await w.pods.setup(GUILD, CHANNEL, cadence="daily")
    with pytest.raises(ValidationError, match="Unknown day"):
        await w.pods.setup(GUILD, CHANNEL, day="Funday")
    with pytest.raises(PermissionDenied) as err:
        await w.pods.setup(GUILD, CHANNEL, bot_permissions={"view_channel", "send_messages"})
    assert "Send Messages in Threads and Create Private Threads (or Create Public Threads)" in str(
        err.value
    )
    async with database.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(PodConfig))).scalar_one() == 0

    view = await w.pods.setup(
        GUILD,
        CHANNEL,
        cadence="every 2 weeks",
        day="Wed",
        time_="18:30",
        size=3,
        bot_permissions=ALL - {"create_private_threads"},
    )
    assert (view.cadence_weeks, view.day, view.size, view.private_threads) == (2, 2, 3, False)
    assert view.next_round_at == utc(2027, 1, 6, 18, 30)
    await w.pods.join(GUILD, None, 1, "a")
    with pytest.raises(Conflict, match="already in the pods"):
        await w.pods.join(GUILD, None, 1, "a")
    with pytest.raises(ValidationError, match="Snooze for 1 to 12 rounds"):
        await w.pods.snooze(GUILD, None, 1, 1000)
    with pytest.raises(ValidationError, match="That's you"):
        await w.pods.not_again(GUILD, 1, 1)
    with pytest.raises(ValidationError, match=r"keep .* or rotate"):
        await w.pods.prefer(GUILD, None, 1, "sometimes")
    status = await w.pods.snooze(GUILD, None, 1, 2)
    assert status.snooze_rounds == 2 and status.opted_in


async def test_snoozed_members_skip_rounds_then_come_back(database: Database) -> None:
    w = await started(database, 3)
    await w.pods.snooze(GUILD, CHANNEL, 3, 1)
    await w.all_met()
    for _ in range(2):
        await w.tick()
    assert await w.tick() == ["close", "start"]
    assert 3 not in {u for p in (await w.pods_now()).values() for u in p}
    await w.all_met()
    for _ in range(2):
        await w.tick()
    assert await w.tick() == ["close", "start"]
    assert 3 in {u for p in (await w.pods_now()).values() for u in p}


async def test_availability_set_show_clear_and_its_zone(database: Database) -> None:
    w = make_world(database, utc(2027, 1, 4, 9))
    await w.tz.set_member_zone(7, "Asia/Tokyo")
    view = await w.hours.set(GUILD, 7, "weekdays 8-12")
    assert (view.zone, view.zone_source, view.text) == (
        "Asia/Tokyo",
        "personal",
        "Weekdays 08:00–12:00",
    )
    assert view.weekly_minutes == 20 * 60 and view.local_now.hour == 18
    assert view.upcoming[0].start == utc(2027, 1, 4, 23)  # Tuesday 08:00 in Tokyo
    moved = await w.hours.set(GUILD, 7, "Sat 10-12", zone="europe/berlin")
    assert (moved.zone, moved.zone_source) == ("Europe/Berlin", "given")
    kept = await w.hours.set(GUILD, 7, "Sun 10-12")
    assert (kept.zone, kept.zone_source) == ("Europe/Berlin", "stored")
    with pytest.raises(ValidationError, match="Unknown time zone"):
        await w.hours.set(GUILD, 7, "Sun 10-12", zone="Mars/Olympus")
    assert (await w.hours.show(GUILD, 7)).text == "Sun 10:00–12:00"
    assert await w.hours.clear(GUILD, 7) is True
    with pytest.raises(NotFound, match="haven't set your available hours"):
        await w.hours.show(GUILD, 7)
    server = await w.hours.set(GUILD, 8, "every day 9-10")
    assert (server.zone, server.zone_source) == ("UTC", "server")


async def test_changing_the_schedule_moves_the_running_rounds_end(database: Database) -> None:
    w = await started(database, 2)
    (rnd,) = await w.rounds()
    assert rnd.ends_at == utc(2027, 1, 11, 9)
    await w.pods.setup(GUILD, CHANNEL, day="Thursday")
    (rnd,) = await w.rounds()
    assert rnd.ends_at == utc(2027, 1, 14, 9) and rnd.nudge_at < rnd.ask_at < rnd.ends_at
    assert w.timers.when(timer_key(await w.config_id())) == rnd.nudge_at


async def test_a_thread_that_could_not_be_made_sends_its_posts_to_the_channel(
    database: Database,
) -> None:
    w = await started(database, 2)
    async with database.transaction() as s:
        pod = (await s.execute(select(PodGroup))).scalar_one()
        row = (
            await s.execute(
                select(OutboxMessage).where(OutboxMessage.ref == f"pod_thread:{pod.id}")
            )
        ).scalar_one()
        row.status = "failed"  # what the sender records on Missing Permissions
        s.add(
            DeliveryFailure(
                guild_id=GUILD,
                channel_id=CHANNEL,
                outbox_id=row.id,
                reason="the bot lacks a permission in <#2> to start a thread",
            )
        )
    view = await w.pods.show(GUILD, CHANNEL)
    assert view.problems == ("the bot lacks a permission in <#2> to start a thread",)
    assert await w.tick() == ["nudge"]
    (nudge,) = await w.posts("halfway through the round")
    assert nudge.channel_id == CHANNEL and nudge.payload["content"].startswith("**Pod 1**")
    fixed = await w.pods.setup(GUILD, CHANNEL, bot_permissions=ALL)
    assert fixed.problems == ()
