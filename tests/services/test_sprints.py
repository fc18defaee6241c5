"""SprintService on the real database (SQLite file, and PostgreSQL when configured).

Time is a FakeClock; tests call ``advance`` directly instead of waiting for timers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.delivery.outbox import Priority
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.sprint import PhaseKind, Status
from bot.domain.text import ZWSP
from bot.scheduler import Timers
from bot.services.context import ServiceContext
from bot.services.events import SprintEnded, SprintObservers
from bot.services.sprints import (
    ENDED_MESSAGE,
    Actor,
    SprintService,
    StartRequest,
    timer_key,
)
from bot.settings import DiscordSettings, Settings, SprintSettings, TimingSettings
from db.engine import Database
from db.models import OutboxMessage, PresenceSpan, Sprint, UserSettings, WorkSpan

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # far enough ahead that real timers never fire
# Timers wake this long before a phase ends (Settings().timing.prepare_ahead_ms).
AHEAD = timedelta(milliseconds=Settings().timing.prepare_ahead_ms)
GUILD = 4_000_000_000_000_001
CHANNEL = 500
VOICE = 600
HOST = 100
ANN, BOB, CAT = 201, 202, 203


SpanRow = tuple[datetime, datetime | None]


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


class Waker:
    def __init__(self) -> None:
        self.count = 0

    def wake(self) -> None:
        self.count += 1


@dataclass
class Env:
    db: Database
    clock: FakeClock
    settings: Settings
    timers: Timers = field(default_factory=Timers)
    waker: Waker = field(default_factory=Waker)
    events: list[object] = field(default_factory=list)
    service: SprintService = field(init=False)

    def __post_init__(self) -> None:
        self.service = self.new_service()

    def new_service(self, timers: Timers | None = None) -> SprintService:
        ctx = ServiceContext(
            settings=self.settings,
            db=self.db,
            clock=self.clock,
            timers=self.timers if timers is None else timers,
            delivery=self.waker,
        )
        return SprintService(ctx, SprintObservers(endings=[self]))

    async def sprint_ended(self, _session: Any, event: SprintEnded) -> None:
        self.events.append(event)

    async def start(self, **kw: Any) -> Any:
        req = StartRequest(
            guild_id=kw.pop("guild_id", GUILD),
            channel_id=kw.pop("channel_id", CHANNEL),
            host_id=kw.pop("host_id", HOST),
            host_name=kw.pop("host_name", "Hana"),
            **kw,
        )
        return await self.service.start(req)

    async def outbox(self, **where: Any) -> list[OutboxMessage]:
        async with self.db.transaction() as session:
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(OutboxMessage, key) == value)
            return list((await session.execute(stmt)).scalars())

    async def announcements(self, sprint_id: int) -> list[OutboxMessage]:
        rows = await self.outbox(kind="send", channel_id=CHANNEL, sprint_id=sprint_id)
        return [r for r in rows if r.ref and r.ref.startswith(("sprint_phase:", "sprint_end:"))]

    async def work_spans(self, sprint_id: int) -> list[tuple[datetime, datetime | None]]:
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(WorkSpan.started_at, WorkSpan.ended_at)
                .where(WorkSpan.sprint_id == sprint_id)
                .order_by(WorkSpan.started_at, WorkSpan.id)
            )
            return [(a, b) for a, b in rows]

    async def presence(self, sprint_id: int, user_id: int) -> list[SpanRow]:
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(PresenceSpan.started_at, PresenceSpan.ended_at)
                .where(PresenceSpan.sprint_id == sprint_id, PresenceSpan.user_id == user_id)
                .order_by(PresenceSpan.started_at, PresenceSpan.id)
            )
            return [(a, b) for a, b in rows]

    async def run_to(self, when: datetime, sprint_id: int) -> Any:
        self.clock.set(when)
        return await self.service.advance(sprint_id)

    async def next_phase(self, sprint_id: int) -> Any:
        view = await self.service.get(sprint_id)
        assert view.state.phase_ends_at is not None
        return await self.run_to(view.state.phase_ends_at, sprint_id)


def make_settings(**sprint: Any) -> Settings:
    return Settings(sprint=replace(SprintSettings(), **sprint))


@pytest.fixture
def env(database: Database) -> Env:
    return Env(db=database, clock=FakeClock(T0), settings=make_settings())


HOST_ACTOR = Actor(HOST)
MEMBER = Actor(ANN)


# -- the full sprint ------------------------------------------------------------------------------


async def test_full_pomodoro_runs_the_exact_phase_sequence_and_times(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    seen = [
        (view.phase.kind, view.phase.round, view.state.phase_started_at, view.state.phase_ends_at)
    ]
    while True:
        change = await env.next_phase(view.id)
        assert change is not None and change.skipped == 0
        view = await env.service.get(view.id)
        if view.is_over:
            break
        seen.append(
            (
                view.phase.kind,
                view.phase.round,
                view.state.phase_started_at,
                view.state.phase_ends_at,
            )
        )
    W, B = PhaseKind.WORK, PhaseKind.BREAK
    assert seen == [
        (PhaseKind.INTRO, 0, T0, T0 + mins(2)),
        (W, 1, T0 + mins(2), T0 + mins(27)),
        (B, 1, T0 + mins(27), T0 + mins(32)),
        (W, 2, T0 + mins(32), T0 + mins(57)),
        (B, 2, T0 + mins(57), T0 + mins(62)),
        (W, 3, T0 + mins(62), T0 + mins(87)),
        (B, 3, T0 + mins(87), T0 + mins(92)),
        (W, 4, T0 + mins(92), T0 + mins(117)),
    ]
    assert view.state.status is Status.FINISHED
    assert view.state.ended_at == T0 + mins(117)
    assert view.end_reason == "finished"


async def test_long_break_comes_every_n_rounds(env: Env) -> None:
    view = await env.start(work=10, brk=2, rounds=4, long_break=9, long_break_every=2, intro=0)
    kinds = [p.kind for p in view.phases]
    assert kinds == [
        PhaseKind.WORK,
        PhaseKind.BREAK,
        PhaseKind.WORK,
        PhaseKind.LONG_BREAK,
        PhaseKind.WORK,
        PhaseKind.BREAK,
        PhaseKind.WORK,
    ]
    for _ in range(3):
        await env.next_phase(view.id)
    now = await env.service.get(view.id)
    assert now.phase.kind is PhaseKind.LONG_BREAK
    assert now.state.phase_ends_at == T0 + mins(10 + 2 + 10 + 9)


async def test_each_phase_change_is_announced_exactly_once(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    for _ in range(8):
        await env.next_phase(view.id)
        await env.service.advance(view.id)  # a second wake-up at the same moment changes nothing
    rows = await env.announcements(view.id)
    assert [r.ref for r in rows] == [f"sprint_phase:{view.id}:{i}" for i in range(1, 8)] + [
        f"sprint_end:{view.id}"
    ]
    assert all(r.priority == Priority.ANNOUNCE for r in rows)
    assert "Work — round 1/4" in rows[0].payload["content"]
    assert "Break" in rows[1].payload["content"]
    assert "final round 4/4" in rows[6].payload["content"]
    assert "is complete" in rows[7].payload["content"]


async def test_advance_before_the_phase_ends_changes_nothing(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(24.9))
    assert await env.service.advance(view.id) is None
    after = await env.service.get(view.id)
    assert after.state == view.state
    assert after.version == view.version


async def test_a_phase_ending_within_prepare_ahead_is_changed_as_of_its_end(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    end = T0 + mins(25)
    env.clock.set(end - AHEAD - timedelta(milliseconds=1))
    assert await env.service.advance(view.id) is None  # not yet within the window
    env.clock.set(end - AHEAD / 2)
    change = await env.service.advance(view.id)
    assert change is not None and change.at == end and change.to_index == 1
    after = await env.service.get(view.id)
    assert after.state.phase_started_at == end and after.state.phase_ends_at == end + mins(5)
    assert await env.work_spans(view.id) == [(T0, end)]
    [announcement] = await env.announcements(view.id)
    assert announcement.not_before == end  # written now, sent when the work phase ends
    assert env.timers.when(timer_key(view.id)) == end + mins(5) - AHEAD


async def test_prepare_ahead_is_sprint_time_so_a_fast_sprint_is_prepared_closer(
    database: Database,
) -> None:
    env = Env(db=database, clock=FakeClock(T0), settings=Settings(timing=TimingSettings(speed=60)))
    view = await env.start(intro=0, work=25)  # 25 s of real time
    end = T0 + timedelta(seconds=25)
    env.clock.set(end - AHEAD / 2)  # within the lead of a speed-1 sprint, not of this one
    assert await env.service.advance(view.id) is None
    env.clock.set(end - AHEAD / 120)
    change = await env.service.advance(view.id)
    assert change is not None and change.at == end


async def test_a_late_phase_change_is_not_held(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    env.clock.set(T0 + mins(25) + timedelta(seconds=2))
    assert await env.service.advance(view.id) is not None
    [announcement] = await env.announcements(view.id)
    assert announcement.not_before is None


async def test_work_spans_cover_exactly_the_work_phases(env: Env) -> None:
    view = await env.start(work=20, brk=5, rounds=2, intro=1, long_break_every=2, long_break=5)
    for _ in range(4):
        await env.next_phase(view.id)
    assert await env.work_spans(view.id) == [
        (T0 + mins(1), T0 + mins(21)),
        (T0 + mins(26), T0 + mins(46)),
    ]


async def test_speed_scales_every_duration_and_is_stored(database: Database) -> None:
    env = Env(db=database, clock=FakeClock(T0), settings=Settings(timing=TimingSettings(speed=60)))
    view = await env.start(work=25, brk=5, rounds=2, intro=0)
    assert view.speed == 60
    assert view.state.phase_ends_at == T0 + timedelta(seconds=25)
    await env.next_phase(view.id)
    after = await env.service.get(view.id)
    assert after.state.phase_ends_at == T0 + timedelta(seconds=30)


# -- pause, resume, skip, extend ------------------------------------------------------------------


async def test_pause_keeps_the_time_left_and_resume_continues_from_it(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    env.clock.set(T0 + mins(10))
    paused = await env.service.pause(view.id, HOST_ACTOR)
    assert paused.state.status is Status.PAUSED
    assert paused.state.paused_remaining == mins(15)
    assert paused.state.phase_ends_at is None
    env.clock.set(T0 + mins(40))
    assert await env.service.advance(view.id) is None  # a paused sprint never advances
    resumed = await env.service.resume(view.id, HOST_ACTOR)
    assert resumed.state.status is Status.RUNNING
    assert resumed.state.phase_ends_at == T0 + mins(55)


async def test_pause_closes_the_work_span_and_resume_opens_a_new_one(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    env.clock.set(T0 + mins(10))
    await env.service.pause(view.id, HOST_ACTOR)
    env.clock.set(T0 + mins(13))
    await env.service.resume(view.id, HOST_ACTOR)
    assert await env.work_spans(view.id) == [(T0, T0 + mins(10)), (T0 + mins(13), None)]


async def test_pause_cancels_the_timer_and_resume_rearms_it(env: Env) -> None:
    env.timers.start()
    try:
        view = await env.start(intro=0, work=25)
        assert env.timers.when(timer_key(view.id)) == T0 + mins(25) - AHEAD
        env.clock.set(T0 + mins(5))
        await env.service.pause(view.id, HOST_ACTOR)
        assert env.timers.when(timer_key(view.id)) is None
        env.clock.set(T0 + mins(8))
        await env.service.resume(view.id, HOST_ACTOR)
        assert env.timers.when(timer_key(view.id)) == T0 + mins(28) - AHEAD
    finally:
        env.timers.shutdown()


async def test_second_pause_is_told_already_paused_and_state_is_unchanged(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(3))
    first = await env.service.pause(view.id, HOST_ACTOR)
    env.clock.set(T0 + mins(4))
    with pytest.raises(Conflict, match="already paused"):
        await env.service.pause(view.id, Actor(ANN, manage_guild=True))
    after = await env.service.get(view.id)
    assert after.state == first.state and after.version == first.version


async def test_two_simultaneous_pauses_pause_once(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(3))
    results = await asyncio.gather(
        env.service.pause(view.id, HOST_ACTOR),
        env.service.pause(view.id, Actor(ANN, manage_guild=True)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert "already paused" in str(errors[0])
    after = await env.service.get(view.id)
    assert after.state.paused_remaining == mins(22)
    assert await env.work_spans(view.id) == [(T0, T0 + mins(3))]


async def test_resume_when_running_says_not_paused(env: Env) -> None:
    view = await env.start(intro=0)
    with pytest.raises(Conflict, match="not paused"):
        await env.service.resume(view.id, HOST_ACTOR)


async def test_skip_ends_the_current_phase_now(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    env.clock.set(T0 + mins(7))
    after = await env.service.skip(view.id, HOST_ACTOR)
    assert after.phase.kind is PhaseKind.BREAK
    assert after.state.phase_started_at == T0 + mins(7)
    assert after.state.phase_ends_at == T0 + mins(12)
    assert await env.work_spans(view.id) == [(T0, T0 + mins(7))]
    [row] = await env.announcements(view.id)
    assert "Break" in row.payload["content"] and f"<@{HOST}>" in row.payload["content"]


async def test_skip_while_paused_starts_the_next_phase_running(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    env.clock.set(T0 + mins(4))
    await env.service.pause(view.id, HOST_ACTOR)
    env.clock.set(T0 + mins(9))
    after = await env.service.skip(view.id, HOST_ACTOR)
    assert after.state.status is Status.RUNNING and after.phase.kind is PhaseKind.BREAK
    assert after.state.phase_ends_at == T0 + mins(14)
    assert await env.work_spans(view.id) == [(T0, T0 + mins(4))]


async def test_skip_on_the_last_phase_finishes_the_sprint(env: Env) -> None:
    view = await env.start(intro=0, work=25, rounds=1)
    env.clock.set(T0 + mins(20))
    after = await env.service.skip(view.id, HOST_ACTOR)
    assert after.is_over and after.state.status is Status.FINISHED
    assert after.state.ended_at == T0 + mins(20)
    ended = [e for e in env.events if isinstance(e, SprintEnded)]
    assert [e.reason for e in ended] == ["finished"]


async def test_extend_adds_minutes_to_the_running_phase(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    env.clock.set(T0 + mins(20))
    after = await env.service.extend(view.id, HOST_ACTOR, 10)
    assert after.state.phase_ends_at == T0 + mins(35)
    assert await env.run_to(T0 + mins(34), view.id) is None
    assert await env.run_to(T0 + mins(35), view.id) is not None


async def test_extend_while_paused_adds_to_the_time_left(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    env.clock.set(T0 + mins(20))
    await env.service.pause(view.id, HOST_ACTOR)
    after = await env.service.extend(view.id, HOST_ACTOR, 5)
    assert after.state.paused_remaining == mins(10)


@pytest.mark.parametrize("minutes", [0, 61, -5])
async def test_extend_out_of_range_states_the_bounds(env: Env, minutes: int) -> None:
    view = await env.start(intro=0)
    with pytest.raises(ValidationError, match="1 to 60 minutes"):
        await env.service.extend(view.id, HOST_ACTOR, minutes)


async def test_stop_ends_the_sprint_and_says_who_stopped_it(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(5))
    after = await env.service.stop(view.id, HOST_ACTOR)
    assert after.state.status is Status.CANCELLED and after.end_reason == "stopped"
    [row] = await env.outbox(ref=f"sprint_end:{view.id}")
    assert "stopped" in row.payload["content"] and row.payload["allowed_mentions"] == {"parse": []}
    assert await env.work_spans(view.id) == [(T0, T0 + mins(5))]
    assert await env.presence(view.id, HOST) == [(T0, T0 + mins(5))]
    assert [e.reason for e in env.events if isinstance(e, SprintEnded)] == ["stopped"]


async def test_controls_on_an_ended_sprint_say_it_has_ended(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.stop(view.id, HOST_ACTOR)
    for call in (
        env.service.pause(view.id, HOST_ACTOR),
        env.service.skip(view.id, HOST_ACTOR),
        env.service.join(view.id, ANN, "Ann"),
        env.service.leave(view.id, HOST),
    ):
        with pytest.raises(Conflict, match=ENDED_MESSAGE):
            await call


# -- join and leave -------------------------------------------------------------------------------


async def test_join_opens_a_presence_span_and_leave_closes_it(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(3))
    result = await env.service.join(view.id, ANN, "Ann")
    assert not result.already and ANN in result.sprint.active_ids
    env.clock.set(T0 + mins(9))
    left = await env.service.leave(view.id, ANN)
    assert not left.ended and ANN not in left.sprint.active_ids
    assert await env.presence(view.id, ANN) == [(T0 + mins(3), T0 + mins(9))]


async def test_joining_twice_reports_already_in_without_a_second_span(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.join(view.id, ANN, "Ann")
    again = await env.service.join(view.id, ANN, "Ann")
    assert again.already
    assert len(await env.presence(view.id, ANN)) == 1


async def test_rejoining_after_leaving_opens_a_new_presence_span(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.join(view.id, ANN, "Ann")
    env.clock.set(T0 + mins(2))
    await env.service.leave(view.id, ANN)
    env.clock.set(T0 + mins(4))
    await env.service.join(view.id, ANN, "Ann")
    assert await env.presence(view.id, ANN) == [(T0, T0 + mins(2)), (T0 + mins(4), None)]


async def test_leaving_a_sprint_you_are_not_in_is_refused(env: Env) -> None:
    view = await env.start(intro=0)
    with pytest.raises(Conflict, match="not in this sprint"):
        await env.service.leave(view.id, ANN)


async def test_join_during_intro_is_not_late_but_during_work_is(env: Env) -> None:
    view = await env.start(intro=2)
    early = await env.service.join(view.id, ANN, "Ann")
    await env.next_phase(view.id)
    late = await env.service.join(view.id, BOB, "Bob")
    assert not early.late and late.late


async def test_join_and_leave_edit_the_card_with_supersede_key(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.join(view.id, ANN, "Ann")
    await env.service.join(view.id, BOB, "Bob")
    edits = await env.outbox(kind="edit", sprint_id=view.id)
    assert [e.status for e in edits] == ["superseded", "pending"]
    last = edits[-1]
    assert last.supersede_key == f"sprint_card:{view.id}" and last.target_ref == last.supersede_key
    assert last.priority == Priority.CARD
    people = last.payload["embeds"][0]["fields"][-1]["value"]
    assert f"<@{ANN}>" in people and f"<@{BOB}>" in people


async def test_last_member_leaving_ends_the_sprint_with_a_note(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(3))
    result = await env.service.leave(view.id, HOST)
    assert result.ended and result.sprint.end_reason == "empty"
    assert result.sprint.state.status is Status.CANCELLED
    [note] = await env.outbox(ref=f"sprint_end:{view.id}")
    assert "Everyone left" in note.payload["content"]
    assert [e.reason for e in env.events if isinstance(e, SprintEnded)] == ["empty"]
    assert await env.work_spans(view.id) == [(T0, T0 + mins(3))]


async def test_card_lines_from_other_areas_appear_on_the_card(env: Env) -> None:
    class Goals:
        async def card_lines(self, _session: Any, sprint_id: int) -> dict[int, str]:
            return {HOST: "✅ 2/3"}

    env.service.observers.add(card_lines=[Goals()])
    view = await env.start(intro=0)
    [card] = await env.outbox(ref=f"sprint_card:{view.id}")
    assert f"<@{HOST}> ✅ 2/3" in card.payload["embeds"][0]["fields"][-1]["value"]


# -- permissions ----------------------------------------------------------------------------------


async def test_host_may_pause(env: Env) -> None:
    view = await env.start(intro=0)
    assert (await env.service.pause(view.id, HOST_ACTOR)).state.status is Status.PAUSED


async def test_member_with_manage_server_may_skip(env: Env) -> None:
    view = await env.start(intro=0)
    after = await env.service.skip(view.id, Actor(ANN, manage_guild=True))
    assert after.phase.kind is PhaseKind.BREAK


async def test_member_with_the_manager_role_may_stop(env: Env) -> None:
    await env.service.update_settings(GUILD, Actor(HOST, manage_guild=True), manager_role_id=77)
    view = await env.start(intro=0)
    after = await env.service.stop(view.id, Actor(ANN, role_ids=frozenset({77})))
    assert after.end_reason == "stopped"


async def test_other_members_are_refused_and_told_who_may(env: Env) -> None:
    await env.service.update_settings(GUILD, Actor(HOST, manage_guild=True), manager_role_id=77)
    view = await env.start(intro=0)
    for call in (
        env.service.pause(view.id, MEMBER),
        env.service.skip(view.id, MEMBER),
        env.service.extend(view.id, MEMBER, 5),
        env.service.stop(view.id, MEMBER),
    ):
        with pytest.raises(PermissionDenied) as err:
            await call
        assert f"<@{HOST}>" in str(err.value) and "<@&77>" in str(err.value)
        assert "Manage Server" in str(err.value)
    after = await env.service.get(view.id)
    assert after.state == view.state


async def test_anyone_may_join_and_leave(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.join(view.id, CAT, "Cat")
    assert (await env.service.leave(view.id, CAT)).sprint.id == view.id


async def test_settings_need_manage_server_or_the_manager_role(env: Env) -> None:
    with pytest.raises(PermissionDenied, match="Manage Server"):
        await env.service.update_settings(GUILD, MEMBER, work=30)
    await env.service.update_settings(GUILD, Actor(HOST, manage_guild=True), manager_role_id=9)
    changed = await env.service.update_settings(GUILD, Actor(ANN, role_ids=frozenset({9})), work=30)
    assert changed.work == 30


# -- start: defaults, presets, bounds, titles, one per channel ------------------------------------


async def test_server_defaults_are_used_then_bot_defaults(env: Env) -> None:
    admin = Actor(HOST, manage_guild=True)
    await env.service.update_settings(GUILD, admin, work=40, rounds=2)
    view = await env.start()
    assert (view.plan.work_min, view.plan.rounds, view.plan.break_min) == (40, 2, 5)
    assert view.plan.intro_min == env.settings.sprint.intro


async def test_explicit_options_override_the_preset(env: Env) -> None:
    view = await env.start(preset="50/10", work=40)
    assert (view.plan.work_min, view.plan.break_min, view.plan.rounds) == (40, 10, 3)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("work", 181, "Work must be between 1 and 180 minutes (you asked for 181)"),
        ("work", 0, "Work must be between 1 and 180 minutes"),
        ("brk", 61, "Break must be between 1 and 60 minutes"),
        ("long_break", 90, "Long break must be between 1 and 60 minutes"),
        ("rounds", 13, "Rounds must be between 1 and 12"),
        ("intro", 16, "Intro must be between 0 and 15 minutes"),
    ],
)
async def test_out_of_range_options_are_refused_with_the_bounds(
    env: Env, option: str, value: int, message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await env.start(**{option: value})
    assert await env.service.active_in_channel(CHANNEL) is None


async def test_configured_maximums_tighten_the_bounds(database: Database) -> None:
    env = Env(db=database, clock=FakeClock(T0), settings=make_settings(max_work=90, work=25))
    with pytest.raises(ValidationError, match="between 1 and 90 minutes"):
        await env.start(work=120)


async def test_title_mentions_are_neutralised_on_the_card(env: Env) -> None:
    view = await env.start(title="@everyone **party**")
    [card] = await env.outbox(ref=f"sprint_card:{view.id}")
    title = card.payload["embeds"][0]["title"]
    assert f"@{ZWSP}everyone" in title and "\\*\\*party\\*\\*" in title
    assert card.payload["allowed_mentions"] == {"parse": []}


async def test_a_500_character_title_is_refused_with_the_limit(env: Env) -> None:
    with pytest.raises(ValidationError, match="at most 100 characters; yours is 500"):
        await env.start(title="x" * 500)


async def test_second_start_in_a_channel_points_at_the_running_sprint(env: Env) -> None:
    first = await env.start(title="Morning")
    async with env.db.transaction() as session:  # the sender delivered the card
        card = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.ref == f"sprint_card:{first.id}")
            )
        ).scalar_one()
        card.status, card.result_id = "sent", 987654
    with pytest.raises(Conflict) as err:
        await env.start(host_id=ANN, host_name="Ann")
    assert "Morning" in str(err.value)
    assert f"https://discord.com/channels/{GUILD}/{CHANNEL}/987654" in str(err.value)


async def test_simultaneous_starts_in_one_channel_make_one_sprint(env: Env) -> None:
    results = await asyncio.gather(
        env.start(host_id=ANN, host_name="Ann"),
        env.start(host_id=BOB, host_name="Bob"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    async with env.db.transaction() as session:
        rows = (await session.execute(select(Sprint))).scalars().all()
    assert len(rows) == 1


async def test_a_new_sprint_may_start_once_the_last_one_ended(env: Env) -> None:
    first = await env.start(intro=0)
    await env.service.stop(first.id, HOST_ACTOR)
    second = await env.start(intro=0)
    assert second.id != first.id


async def test_a_voice_channel_links_to_one_sprint_at_a_time(env: Env) -> None:
    await env.start(voice_channel_id=VOICE)
    with pytest.raises(Conflict, match="already linked"):
        await env.start(channel_id=CHANNEL + 1, voice_channel_id=VOICE)


# -- announcements, pings, voice ------------------------------------------------------------------


async def test_announcements_ping_exactly_the_members_who_want_it(env: Env) -> None:
    view = await env.start(intro=1)
    await env.service.join(view.id, ANN, "Ann")
    await env.service.join(view.id, BOB, "Bob", ping=False)
    await env.service.join(view.id, CAT, "Cat")
    async with env.db.transaction() as session:
        session.add(UserSettings(user_id=CAT, ping_on_phase=False))
    await env.next_phase(view.id)
    [row] = await env.announcements(view.id)
    assert row.payload["allowed_mentions"] == {"parse": [], "users": [str(HOST), str(ANN)]}
    assert f"<@{BOB}>" not in row.payload["content"] and f"<@{CAT}>" not in row.payload["content"]


async def test_server_switch_turns_phase_pings_off(env: Env) -> None:
    await env.service.update_settings(GUILD, Actor(HOST, manage_guild=True), ping_on_phase=False)
    view = await env.start(intro=1)
    await env.next_phase(view.id)
    [row] = await env.announcements(view.id)
    assert row.payload["allowed_mentions"] == {"parse": [], "users": []}
    assert "<@" not in row.payload["content"]


async def test_phase_change_sets_the_voice_status_without_a_voice_chat_copy(env: Env) -> None:
    view = await env.start(intro=1, voice_channel_id=VOICE)
    await env.next_phase(view.id)
    assert await env.outbox(kind="send", channel_id=VOICE) == []  # the status says it
    statuses = await env.outbox(kind="voice_status", channel_id=VOICE)
    assert [s.status for s in statuses] == ["superseded", "pending"]
    assert statuses[-1].supersede_key == f"voice_status:{VOICE}"
    assert statuses[-1].payload["status"].startswith("🍅 Work 1/4 · until 09:26")


async def test_the_voice_chat_setting_copies_announcements_into_the_voice_chat(env: Env) -> None:
    manager = Actor(HOST, manage_guild=True)
    defaults = await env.service.update_settings(GUILD, manager, voice_chat=True)
    assert defaults.voice_chat
    view = await env.start(intro=1, rounds=1, voice_channel_id=VOICE)
    await env.next_phase(view.id)
    voice_lines = await env.outbox(kind="send", channel_id=VOICE)
    assert len(voice_lines) == 1 and "Work" in voice_lines[0].payload["content"]
    assert voice_lines[0].payload["allowed_mentions"] == {"parse": []}
    await env.service.stop(view.id, HOST_ACTOR)
    voice_lines = await env.outbox(kind="send", channel_id=VOICE)
    assert len(voice_lines) == 2 and "stopped" in voice_lines[1].payload["content"]
    assert not (await env.service.update_settings(GUILD, manager, voice_chat=False)).voice_chat


async def test_voice_members_join_automatically_when_the_setting_is_on(env: Env) -> None:
    view = await env.start(voice_channel_id=VOICE, voice_members=((ANN, "Ann"),))
    assert set(view.active_ids) == {HOST, ANN}
    assert await env.service.voice_joined(VOICE, BOB, "Bob") == [view.id]
    assert await env.service.voice_left(VOICE, ANN) == [view.id]
    after = await env.service.get(view.id)
    assert set(after.active_ids) == {HOST, BOB}


async def test_after_a_restart_voice_members_still_join_linked_sprints(env: Env) -> None:
    view = await env.start(voice_channel_id=VOICE)
    fresh = env.new_service(Timers())
    await fresh.restore()
    assert await fresh.voice_joined(VOICE + 1, ANN, "Ann") == []
    assert await fresh.voice_joined(VOICE, ANN, "Ann") == [view.id]
    second = await fresh.start(
        StartRequest(GUILD, CHANNEL + 1, BOB, "Bob", voice_channel_id=VOICE + 1)
    )
    assert await fresh.voice_joined(VOICE + 1, CAT, "Cat") == [second.id]


async def test_voice_members_are_not_joined_when_the_setting_is_off(env: Env) -> None:
    await env.service.update_settings(GUILD, Actor(HOST, manage_guild=True), auto_join_voice=False)
    view = await env.start(voice_channel_id=VOICE, voice_members=((ANN, "Ann"),))
    assert await env.service.voice_joined(VOICE, BOB, "Bob") == []
    assert (await env.service.get(view.id)).active_ids == (HOST,)


async def test_phase_listeners_hear_committed_phase_changes(env: Env) -> None:
    heard: list[Any] = []

    async def listener(notice: Any) -> None:
        heard.append(notice)

    env.service.add_phase_listener(listener)
    view = await env.start(intro=1, voice_channel_id=VOICE)
    await env.next_phase(view.id)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [(n.kind, n.voice_channel_id, n.chime) for n in heard] == [("work", VOICE, True)]


async def test_a_sprint_finished_on_schedule_leaves_its_card_as_it_was(env: Env) -> None:
    # Issue #18: the card already shows every phase with its time and the finish message sums
    # the sprint up, so the end costs no card edit; a click on the card redraws it (ended_card).
    view = await env.start(intro=0, rounds=1)
    [card] = await env.outbox(ref=f"sprint_card:{view.id}")
    ids = [c["custom_id"] for c in card.payload["components"][0]["components"]]
    assert ids == [
        f"sprint:{view.id}:join",
        f"sprint:{view.id}:leave",
        f"sprint:{view.id}:pause:0",
        f"sprint:{view.id}:skip:0",
    ]
    assert await env.service.ended_card(view.id) is None  # still running
    await env.next_phase(view.id)
    assert (await env.service.get(view.id)).is_over
    assert await env.outbox(kind="edit", sprint_id=view.id) == []
    final = await env.service.ended_card(view.id)
    assert final is not None and final["components"] == []
    assert "ended" in final["embeds"][0]["footer"]["text"]


async def test_an_early_end_redraws_the_card_without_buttons(env: Env) -> None:
    view = await env.start(intro=0, rounds=2)
    await env.service.stop(view.id, HOST_ACTOR)
    final = (await env.outbox(kind="edit", sprint_id=view.id))[-1]
    assert final.payload["components"] == []
    assert "ended" in final.payload["embeds"][0]["footer"]["text"]


async def test_skipping_the_last_phase_redraws_the_card(env: Env) -> None:
    view = await env.start(intro=0, rounds=1)
    await env.service.skip(view.id, HOST_ACTOR)  # the schedule on the card moved
    assert (await env.service.get(view.id)).is_over
    final = (await env.outbox(kind="edit", sprint_id=view.id))[-1]
    assert final.payload["components"] == []


async def test_a_paused_card_offers_resume(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.pause(view.id, HOST_ACTOR)
    card = (await env.outbox(kind="edit", sprint_id=view.id))[-1]
    ids = [c["custom_id"] for c in card.payload["components"][0]["components"]]
    assert f"sprint:{view.id}:resume:1" in ids
    assert not any(i.startswith(f"sprint:{view.id}:pause") for i in ids)


async def test_bot_requests_for_a_pomodoro_stay_within_budget(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    await env.service.join(view.id, ANN, "Ann")

    async def deliver() -> None:  # the sender drains between steps, so nothing coalesces later
        async with env.db.transaction() as session:
            for row in (await session.execute(select(OutboxMessage))).scalars():
                if row.status == "pending":
                    row.status = "sent"

    await deliver()
    while not (await env.service.get(view.id)).is_over:
        await env.next_phase(view.id)
        await deliver()
    rows = [r for r in await env.outbox(sprint_id=view.id) if r.status != "superseded"]
    # card, Ann's join edit, 7 phase announcements, the finish, the final card edit: 11 in
    # 1.95 h (the debrief is the check-in service's, counted in its own test).
    hours = 117 / 60
    assert len(rows) / hours <= 6, [(r.kind, r.ref or r.target_ref) for r in rows]


async def test_a_phase_change_on_time_does_not_edit_the_card(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    for _ in range(7):
        await env.next_phase(view.id)
    assert await env.outbox(kind="edit", sprint_id=view.id) == []


async def test_a_skip_edits_the_card_because_the_schedule_moved(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    await env.service.skip(view.id, HOST_ACTOR)
    [edit] = await env.outbox(kind="edit", sprint_id=view.id)
    assert edit.target_ref == f"sprint_card:{view.id}"
    end = int((T0 + mins(25)).timestamp())  # work 1 now runs 09:00–09:25
    assert f"<t:{end}:R>" in edit.payload["embeds"][0]["description"]


# -- restart and downtime -------------------------------------------------------------------------


async def test_a_fresh_service_continues_mid_work_with_the_right_time_left(env: Env) -> None:
    view = await env.start(intro=2, work=25)
    await env.next_phase(view.id)  # work round 1 runs 09:02–09:27
    env.clock.set(T0 + mins(12))
    timers = Timers()
    fresh = env.new_service(timers)
    await fresh.restore()
    timers.start()
    try:
        assert timers.when(timer_key(view.id)) == T0 + mins(27) - AHEAD
    finally:
        timers.shutdown()
    status = await fresh.get(view.id)
    from bot.domain.sprint import time_left

    assert time_left(status.state, env.clock.now()) == mins(15)
    env.clock.set(T0 + mins(27))
    change = await fresh.advance(view.id)
    assert change is not None and change.to_index == 2 and change.skipped == 0
    assert len(await env.announcements(view.id)) == 2


async def test_restore_arms_only_running_sprints_of_this_process(database: Database) -> None:
    mine, theirs = 0 << 22, 1 << 22  # shard 0 and shard 1 of 2
    settings = Settings(discord=DiscordSettings(shard_count=2, shard_ids=(0,)))
    env = Env(db=database, clock=FakeClock(T0), settings=settings)
    running = await env.start(guild_id=mine, channel_id=1, intro=0)
    paused = await env.start(guild_id=mine, channel_id=2, intro=0)
    await env.service.pause(paused.id, HOST_ACTOR)
    other = await env.start(guild_id=theirs, channel_id=3, intro=0)
    timers = Timers()
    await env.new_service(timers).restore()
    timers.start()
    try:
        assert timers.when(timer_key(running.id)) == T0 + mins(25) - AHEAD
        assert timers.when(timer_key(paused.id)) is None
        assert timers.when(timer_key(other.id)) is None
        assert len(timers) == 1
    finally:
        timers.shutdown()


async def test_phases_missed_during_downtime_make_one_catch_up_announcement(env: Env) -> None:
    view = await env.start(preset="pomodoro")  # intro 2, then 25/5
    env.clock.set(T0 + mins(70))  # intro, W1, B1, W2, B2 passed; W3 runs 09:62–09:87
    change = await env.service.advance(view.id)
    assert change is not None and change.skipped == 4 and change.to_index == 5
    rows = await env.announcements(view.id)
    assert len(rows) == 1
    assert "Catching up: we're now in work round 3/4" in rows[0].payload["content"]
    after = await env.service.get(view.id)
    assert after.state.phase_started_at == T0 + mins(62)
    assert after.state.phase_ends_at == T0 + mins(87)
    assert await env.work_spans(view.id) == [
        (T0 + mins(2), T0 + mins(27)),
        (T0 + mins(32), T0 + mins(57)),
        (T0 + mins(62), None),
    ]


async def test_a_catch_up_after_downtime_edits_the_card_once(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    env.clock.set(T0 + mins(70))
    await env.service.advance(view.id)
    [edit] = await env.outbox(kind="edit", sprint_id=view.id)
    assert "✓ 🍅 Work 2/4" in edit.payload["embeds"][0]["description"]


async def test_a_sprint_that_ended_during_downtime_finishes_with_one_message(env: Env) -> None:
    view = await env.start(preset="pomodoro")
    env.clock.set(T0 + mins(500))
    change = await env.service.advance(view.id)
    assert change is not None and change.finished
    rows = await env.announcements(view.id)
    assert len(rows) == 1 and "Catching up" in rows[0].payload["content"]
    after = await env.service.get(view.id)
    assert after.state.ended_at == T0 + mins(117)
    assert await env.presence(view.id, HOST) == [(T0, T0 + mins(117))]


async def test_a_command_after_a_missed_phase_end_catches_up_first(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    env.clock.set(T0 + mins(26))  # the break started at 25 but the timer has not fired yet
    paused = await env.service.pause(view.id, HOST_ACTOR)
    assert paused.phase.kind is PhaseKind.BREAK
    assert paused.state.paused_remaining == mins(4)
    assert len(await env.announcements(view.id)) == 1


# -- channels going away --------------------------------------------------------------------------


async def test_deleting_the_text_channel_ends_the_sprint_cleanly(env: Env) -> None:
    view = await env.start(intro=0, voice_channel_id=VOICE)
    before = len(await env.outbox(channel_id=CHANNEL))
    env.clock.set(T0 + mins(5))
    assert await env.service.channel_deleted(CHANNEL) == [view.id]
    after = await env.service.get(view.id)
    assert after.end_reason == "channel" and after.is_over
    assert len(await env.outbox(channel_id=CHANNEL)) == before  # nothing more sent there
    assert [e.reason for e in env.events if isinstance(e, SprintEnded)] == ["channel"]
    assert await env.work_spans(view.id) == [(T0, T0 + mins(5))]
    statuses = await env.outbox(kind="voice_status", channel_id=VOICE)
    assert statuses[-1].payload == {"status": ""}


async def test_deleting_the_voice_channel_unlinks_it_and_the_sprint_goes_on(env: Env) -> None:
    view = await env.start(intro=0, voice_channel_id=VOICE)
    assert await env.service.channel_deleted(VOICE) == []
    after = await env.service.get(view.id)
    assert after.voice_channel_id is None and not after.is_over


async def deliver_card(env: Env, sprint_id: int, message_id: int) -> None:
    """What the sender does with the newest card row: marks it sent with Discord's id."""
    async with env.db.transaction() as session:
        card = (
            await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.ref == f"sprint_card:{sprint_id}", OutboxMessage.kind == "send"
                )
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).one()
        card.status, card.result_id = "sent", message_id


async def test_a_deleted_card_is_posted_again_once_and_later_edits_go_to_the_new_one(
    env: Env,
) -> None:
    view = await env.start(intro=0)
    await deliver_card(env, view.id, 9001)
    await env.service.join(view.id, ANN, "Ann")
    [first_edit] = await env.outbox(kind="edit", sprint_id=view.id)
    assert first_edit.target_message_id == 9001

    # The edit found the card gone (Unknown Message): a fresh card, drawn from the state now.
    assert await env.service.message_gone(CHANNEL, 9001) is True
    cards = await env.outbox(kind="send", ref=f"sprint_card:{view.id}")
    assert [c.status for c in cards] == ["sent", "pending"]
    assert f"<@{ANN}>" in cards[-1].payload["embeds"][0]["fields"][-1]["value"]
    assert cards[-1].payload["components"] == cards[0].payload["components"]  # the buttons
    # Other edits of the deleted card failing too: still one new card.
    assert await env.service.message_gone(CHANNEL, 9001) is False
    assert len(await env.outbox(kind="send", ref=f"sprint_card:{view.id}")) == 2
    assert (await env.service.get(view.id)).card_message_id is None  # not delivered yet

    # Until it is delivered, an edit waits for the new card's ref, not the old id ...
    await env.service.join(view.id, BOB, "Bob")
    edit = (await env.outbox(kind="edit", sprint_id=view.id))[-1]
    assert edit.target_message_id is None and edit.target_ref == f"sprint_card:{view.id}"
    # ... and once it is, edits go to it.
    await deliver_card(env, view.id, 9002)
    assert (await env.service.get(view.id)).card_message_id == 9002
    await env.service.join(view.id, CAT, "Cat")
    assert (await env.outbox(kind="edit", sprint_id=view.id))[-1].target_message_id == 9002


async def test_a_card_deleted_again_within_the_cooldown_is_not_posted_in_a_loop(
    env: Env,
) -> None:
    view = await env.start(intro=0)
    await deliver_card(env, view.id, 9001)
    assert await env.service.message_gone(CHANNEL, 9001) is True
    await deliver_card(env, view.id, 9002)
    env.clock.set(T0 + timedelta(seconds=30))
    assert await env.service.message_gone(CHANNEL, 9002) is False  # deleted again at once
    env.clock.set(T0 + timedelta(seconds=61))
    assert await env.service.message_gone(CHANNEL, 9002) is True  # the next edit, later
    assert len(await env.outbox(kind="send", ref=f"sprint_card:{view.id}")) == 3


async def test_a_gone_message_that_is_not_a_running_card_posts_nothing(env: Env) -> None:
    view = await env.start(intro=0)
    await deliver_card(env, view.id, 9001)
    assert await env.service.message_gone(CHANNEL, 4242) is False  # another message
    assert await env.service.message_gone(CHANNEL + 1, 9001) is False  # another channel
    await env.service.stop(view.id, HOST_ACTOR)
    assert await env.service.message_gone(CHANNEL, 9001) is False  # the sprint ended
    assert len(await env.outbox(kind="send", ref=f"sprint_card:{view.id}")) == 1


# -- queries --------------------------------------------------------------------------------------


async def test_status_finds_the_sprint_from_its_voice_channel_too(env: Env) -> None:
    view = await env.start(voice_channel_id=VOICE)
    assert (await env.service.require_active(VOICE)).id == view.id
    with pytest.raises(NotFound, match="no sprint running"):
        await env.service.require_active(999)


async def test_history_lists_recent_sprints_with_their_summaries(env: Env) -> None:
    first = await env.start(title="Early", intro=0)
    await env.service.join(first.id, ANN, "Ann")
    await env.service.stop(first.id, HOST_ACTOR)
    async with env.db.transaction() as session:
        row = await session.get(Sprint, first.id)
        assert row is not None
        row.summary = {
            "members": [
                {
                    "user_id": ANN,
                    "name": "Ann",
                    "goals_done": 2,
                    "goals_total": 3,
                    "focus_minutes": 25,
                }
            ]
        }
    env.clock.set(T0 + mins(60))
    second = await env.start(title="Later", intro=0)
    entries = await env.service.history(GUILD)
    assert [e.id for e in entries] == [second.id, first.id]
    assert entries[1].participant_ids == (HOST, ANN)
    assert entries[1].summary is not None and entries[1].end_reason == "stopped"
    assert await env.service.history(GUILD + 1) == []


async def test_wrong_guild_cannot_touch_a_sprint(env: Env) -> None:
    view = await env.start(intro=0)
    with pytest.raises(NotFound):
        await env.service.join(view.id, ANN, "Ann", guild_id=GUILD + 1)
