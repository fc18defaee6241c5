"""Weekly accountability inside pods (issue #15): the cycle in each pod's thread when a pods
channel chooses it, the server-wide thread otherwise.

Both services are wired as ``Services`` wires them; their timers are recorded and fired by hand
at their times, against the real database (SQLite file, and PostgreSQL when
SPRINTBOT_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.errors import Conflict, ValidationError
from bot.services.accountability import AccountabilityService
from bot.services.accountability import timer_key as week_timer
from bot.services.context import ServiceContext
from bot.services.goals import GoalService
from bot.services.pods import PodService
from bot.services.sprints import SprintService
from bot.services.timezones import TimezoneService
from bot.settings import Settings
from db.engine import Database
from db.models import (
    AccountabilityPodWeek,
    AccountabilityWeek,
    OutboxMessage,
    PodConfig,
    PodGroup,
    PodRound,
    PodSeat,
)

GUILD = 4242
WEEKLY = 777  # the accountability channel
PODS = 888  # the pods channel
MEMBERS = (1001, 1002, 1003, 1004)
ALL = {
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SUNDAY = utc(2027, 1, 3, 12)
MONDAY_9 = utc(2027, 1, 4, 9)


@dataclass
class RecordingTimers:
    jobs: dict[str, tuple[datetime, Callable[..., Awaitable[Any]], tuple[Any, ...]]] = field(
        default_factory=dict
    )

    def arm(self, key: str, when: datetime, callback: Callable[..., Awaitable[Any]], *args: Any):
        self.jobs[key] = (when, callback, args)

    def cancel(self, key: str) -> None:
        self.jobs.pop(key, None)

    def when(self, key: str) -> datetime | None:
        job = self.jobs.get(key)
        return job[0] if job else None

    async def fire(self, key: str) -> None:
        _, callback, args = self.jobs.pop(key)
        await callback(*args)


class Waker:
    def wake(self) -> None:
        pass


@dataclass
class World:
    db: Database
    clock: FakeClock
    timers: RecordingTimers
    acc: AccountabilityService
    pods: PodService

    async def fire_week(self) -> datetime:
        """The weekly posts' timer, at its time (the pods' timer is not fired first)."""
        when = self.timers.when(week_timer(GUILD))
        assert when is not None
        self.clock.set(when)
        await self.timers.fire(week_timer(GUILD))
        return when

    async def week(self, start: datetime) -> AccountabilityWeek:
        async with self.db.transaction() as s:
            stmt = select(AccountabilityWeek).where(AccountabilityWeek.week_start == start.date())
            return (await s.scalars(stmt)).one()

    async def pod_weeks(self, week_id: int) -> dict[int, set[int]]:
        """pod id → its members, for each pod thread the week runs in (not archived)."""
        async with self.db.transaction() as s:
            rows = await s.execute(
                select(AccountabilityPodWeek.pod_id, PodSeat.user_id)
                .join(PodSeat, PodSeat.pod_id == AccountabilityPodWeek.pod_id)
                .where(
                    AccountabilityPodWeek.week_id == week_id,
                    AccountabilityPodWeek.archived_at.is_(None),
                    PodSeat.left_at.is_(None),
                )
            )
            out: dict[int, set[int]] = {}
            for pod_id, user_id in rows.tuples():
                out.setdefault(pod_id, set()).add(user_id)
            return out

    async def latest_pods(self) -> dict[int, set[int]]:
        async with self.db.transaction() as s:
            rnd = (
                await s.scalars(select(PodRound).order_by(PodRound.number.desc()).limit(1))
            ).one()
            rows = await s.execute(
                select(PodGroup.id, PodSeat.user_id)
                .join(PodSeat, PodSeat.pod_id == PodGroup.id)
                .where(PodGroup.round_id == rnd.id, PodSeat.left_at.is_(None))
            )
            out: dict[int, set[int]] = {}
            for pod_id, user_id in rows.tuples():
                out.setdefault(pod_id, set()).add(user_id)
            return out

    async def outbox(self, after: int = 0) -> list[OutboxMessage]:
        async with self.db.transaction() as s:
            stmt = select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)
            return list(await s.scalars(stmt))

    async def last_id(self) -> int:
        rows = await self.outbox()
        return rows[-1].id if rows else 0


def make_world(database: Database, start: datetime = SUNDAY) -> World:
    clock = FakeClock(start)
    timers = RecordingTimers()
    ctx = ServiceContext(
        settings=Settings(),
        db=database,
        clock=clock,
        timers=timers,  # type: ignore[arg-type]
        delivery=Waker(),
    )
    tz = TimezoneService(ctx)
    acc = AccountabilityService(ctx, tz, goals=GoalService(ctx, SprintService(ctx)))
    pods = PodService(ctx, tz)
    acc.follow_pod_rounds(pods)  # as Services wires them
    return World(database, clock, timers, acc, pods)


async def set_up(database: Database, *, per_pod: bool = True) -> World:
    w = make_world(database)
    await w.acc.setup(GUILD, WEEKLY, channel_is_forum=False, bot_permissions=ALL | {"embed_links"})
    await w.pods.setup(
        GUILD,
        PODS,
        size=2,
        accountability="per_pod" if per_pod else None,
        bot_permissions=ALL,
    )
    for user in MEMBERS:
        await w.pods.join(GUILD, PODS, user, f"member {user}")
    return w


def pod_thread(pod_id: int) -> str:
    return f"pod_thread:{pod_id}"


def pinged(row: OutboxMessage) -> set[int]:
    return {int(u) for u in row.payload.get("allowed_mentions", {}).get("users", [])}


async def test_the_kickoff_goes_to_each_pod_thread_not_the_server_wide_one(
    database: Database,
) -> None:
    w = await set_up(database)
    assert w.timers.when(week_timer(GUILD)) == MONDAY_9
    await w.fire_week()  # the pods' round is due at the same moment: it starts first

    week = await w.week(MONDAY_9)
    assert week.in_pods
    pods = await w.latest_pods()
    assert sorted(len(m) for m in pods.values()) == [2, 2]
    assert await w.pod_weeks(week.id) == pods
    rows = await w.outbox()
    assert not [r for r in rows if r.channel_id == WEEKLY]  # no server-wide kickoff or thread
    kickoffs = [
        r for r in rows if "what will you get done this week" in r.payload.get("content", "")
    ]
    assert sorted(r.channel_ref or "" for r in kickoffs) == sorted(pod_thread(p) for p in pods)
    assert all(r.payload["allowed_mentions"] == {"parse": []} for r in kickoffs)
    summaries = [r for r in rows if (r.ref or "").startswith("acc_pod_summary:")]
    assert sorted(r.channel_ref or "" for r in summaries) == sorted(pod_thread(p) for p in pods)
    shown = await w.acc.show(GUILD)
    assert shown.pods_channel_ids == (PODS,) and shown.this_week_started
    with pytest.raises(Conflict, match="already up, in each pod's thread"):
        await w.acc.post_now(GUILD)


async def test_each_pod_sees_and_is_pinged_for_its_own_week_only(database: Database) -> None:
    w = await set_up(database)
    await w.fire_week()
    week = await w.week(MONDAY_9)
    pods = await w.latest_pods()
    (first, first_members), (second, second_members) = sorted(pods.items())
    alice, partner = sorted(first_members)
    carol = min(second_members)
    w.clock.set(utc(2027, 1, 4, 12))
    await w.acc.add_goals(GUILD, week.id, alice, "Alice", "Draft the chapter\nGym twice")
    await w.acc.add_goals(GUILD, week.id, carol, "Carol", "Ship the release")
    (ship,) = await w.acc.open_goals(GUILD, week.id, carol)
    assert await w.acc.mark_done(GUILD, week.id, carol, [ship.id]) == ["Ship the release"]

    # The summaries are refreshed per pod (the later changes in one coalesced refresh), each with
    # its own members' goals.
    refresh = f"accountability_summary:{week.id}"
    when = w.timers.when(refresh)
    assert when is not None
    w.clock.set(when)
    await w.timers.fire(refresh)
    edits = [r for r in await w.outbox() if (r.supersede_key or "").startswith("pod_week_summary")]
    latest = {r.channel_ref: r for r in edits}
    first_text = str(latest[pod_thread(first)].payload)
    second_text = str(latest[pod_thread(second)].payload)
    assert "Draft the chapter" in first_text and "Ship the release" not in first_text
    assert "Ship the release" in second_text and "Draft the chapter" not in second_text

    before = await w.last_id()
    assert await w.fire_week() == utc(2027, 1, 6, 12)  # Wednesday's check-in
    checkins = [r for r in await w.outbox(before) if "Check-in for" in r.payload.get("content", "")]
    by_thread = {r.channel_ref: r for r in checkins}
    assert set(by_thread) == {pod_thread(first), pod_thread(second)}
    assert pinged(by_thread[pod_thread(first)]) == {alice}  # open goals; not the partner
    assert pinged(by_thread[pod_thread(second)]) == set()  # Carol is done
    assert partner not in pinged(by_thread[pod_thread(second)])

    before = await w.last_id()
    assert await w.fire_week() == utc(2027, 1, 8, 17)  # Friday's review
    reviews = [r for r in await w.outbox(before) if (r.ref or "").startswith("acc_pod_review:")]
    texts = {r.channel_ref: str(r.payload) for r in reviews}
    assert set(texts) == {pod_thread(first), pod_thread(second)}
    assert f"<@{alice}>" in texts[pod_thread(first)]
    assert f"<@{carol}>" not in texts[pod_thread(first)]
    assert f"<@{carol}>" in texts[pod_thread(second)]
    # A pod's thread belongs to the pod: the review does not archive it.
    assert not [r for r in await w.outbox(before) if r.kind == "channel_edit"]
    with pytest.raises(Conflict, match="has been reviewed"):
        await w.acc.add_goals(GUILD, week.id, alice, "Alice", "One more")


async def test_a_deleted_pod_thread_skips_that_pod_and_the_others_carry_on(
    database: Database,
) -> None:
    w = await set_up(database)
    await w.fire_week()
    week = await w.week(MONDAY_9)
    pods = await w.latest_pods()
    gone, kept = sorted(pods)
    async with database.transaction() as s:
        row = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.ref == pod_thread(gone)))
        ).one()
        row.result_id = 5550  # the sender created the thread; then a moderator deleted it
    await w.acc.channel_deleted(GUILD, 5550)
    await w.pods.thread_deleted(GUILD, 5550)

    before = await w.last_id()
    await w.fire_week()  # check-in
    await w.fire_week()  # review
    everything = await w.outbox(before)
    # (The pods' own posts for the pod whose thread is gone go to the pods channel: #15's rule.)
    assert {r.channel_id for r in everything if r.topic != "accountability"} <= {PODS, None}
    rows = [r for r in everything if r.topic == "accountability"]
    assert rows and all(r.channel_ref == pod_thread(kept) for r in rows)
    assert len([r for r in rows if (r.ref or "").startswith("acc_pod_review:")]) == 1
    assert set(await w.pod_weeks(week.id)) == {kept}
    assert (await w.acc.show(GUILD)).enabled  # the schedule is not turned off


async def test_a_rematch_moves_the_members_weeks_to_their_new_pods_at_the_next_week(
    database: Database,
) -> None:
    w = await set_up(database)
    await w.fire_week()
    first_week = await w.week(MONDAY_9)
    first_pods = await w.pod_weeks(first_week.id)
    await w.fire_week()  # check-in
    await w.fire_week()  # review
    # Next Monday 09:00: the weekly posts run before the pods' timer; the new round starts first.
    assert await w.fire_week() == utc(2027, 1, 11, 9)
    next_week = await w.week(utc(2027, 1, 11, 9))
    now_pods = await w.latest_pods()
    assert await w.pod_weeks(next_week.id) == now_pods
    assert set(now_pods).isdisjoint(first_pods)  # new pods (round 2)
    pairs = {frozenset(m) for m in now_pods.values()}
    assert pairs.isdisjoint({frozenset(m) for m in first_pods.values()})  # rotated
    # Last week's pod threads keep last week (nothing moved mid-week).
    assert await w.pod_weeks(first_week.id) == first_pods


async def test_servers_that_do_not_choose_it_keep_the_server_wide_thread(
    database: Database,
) -> None:
    w = await set_up(database, per_pod=False)
    await w.fire_week()
    week = await w.week(MONDAY_9)
    assert not week.in_pods and await w.pod_weeks(week.id) == {}
    rows = await w.outbox()
    starter = [r for r in rows if r.ref == f"acc_kickoff:{week.id}"]
    assert [r.channel_id for r in starter] == [WEEKLY]
    assert not [r for r in rows if (r.ref or "").startswith("acc_pod_")]
    assert (await w.acc.show(GUILD)).pods_channel_ids == ()


async def test_going_back_to_server_wide_takes_effect_at_the_next_kickoff(
    database: Database,
) -> None:
    w = await set_up(database)
    await w.fire_week()
    view = await w.pods.setup(GUILD, PODS, accountability="server")
    assert not view.accountability_per_pod
    before = await w.last_id()
    await w.fire_week()  # this week's check-in still goes to the pods (the week started there)
    assert {r.channel_ref for r in await w.outbox(before) if r.channel_ref} <= {
        pod_thread(p) for p in await w.latest_pods()
    }
    await w.fire_week()  # review
    await w.fire_week()  # next Monday: server-wide again
    next_week = await w.week(utc(2027, 1, 11, 9))
    assert not next_week.in_pods
    starter = [r for r in await w.outbox() if r.ref == f"acc_kickoff:{next_week.id}"]
    assert [r.channel_id for r in starter] == [WEEKLY]


async def test_bad_accountability_choices_get_sentences(database: Database) -> None:
    w = make_world(database)
    with pytest.raises(Conflict, match="`/accountability setup` first"):
        await w.pods.setup(GUILD, PODS, accountability="per_pod", bot_permissions=ALL)
    async with database.transaction() as s:
        assert list(await s.scalars(select(PodConfig))) == []
    with pytest.raises(ValidationError, match=r"per_pod .* or server"):
        await w.pods.setup(GUILD, PODS, accountability="sometimes", bot_permissions=ALL)
    view = await w.pods.setup(GUILD, PODS, accountability="server", bot_permissions=ALL)
    assert not view.accountability_per_pod
    await w.acc.setup(GUILD, WEEKLY, channel_is_forum=False, bot_permissions=ALL | {"embed_links"})
    view = await w.pods.setup(GUILD, PODS, accountability="Per-Pod")
    assert view.accountability_per_pod
    assert (await w.pods.show(GUILD, PODS)).accountability_per_pod


async def test_post_now_starts_the_week_in_the_pods_of_a_running_round(database: Database) -> None:
    w = make_world(database, utc(2027, 1, 5, 10))  # Tuesday: Monday's kickoff came before setup
    await w.acc.setup(GUILD, WEEKLY, channel_is_forum=False, bot_permissions=ALL | {"embed_links"})
    await w.pods.setup(GUILD, PODS, size=2, accountability="per_pod", bot_permissions=ALL)
    for user in MEMBERS:
        await w.pods.join(GUILD, PODS, user, f"member {user}")
    with pytest.raises(Conflict, match="No pods round is running"):
        await w.acc.post_now(GUILD)
    assert not (await w.acc.show(GUILD)).this_week_started  # nothing was kept
    await w.pods.round_now(GUILD, PODS)
    started = await w.acc.post_now(GUILD)
    assert len(await w.pod_weeks(started.week_id)) == 2
    assert (await w.acc.show(GUILD)).this_week_started
