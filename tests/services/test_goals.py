"""GoalService on the real database (SQLite file, and PostgreSQL when configured).

Sprints are run by the real SprintService with a FakeClock, so goals meet the same rows and events
(Participant, PresenceSpan, the sprint card) the bot uses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.text import ZWSP
from bot.render.goals import debrief_ref
from bot.scheduler import Timers
from bot.services.checkins import CheckInService
from bot.services.context import ServiceContext
from bot.services.goals import (
    MAX_OPEN_PER_SPRINT,
    MAX_OPEN_PER_WEEK,
    Actor,
    ChooseGoal,
    GoalService,
    Scope,
)
from bot.services.sprints import Actor as SprintActor
from bot.services.sprints import SprintService, StartRequest
from bot.settings import Settings
from db import repositories as repo
from db.engine import Database
from db.models import (
    AccountabilityConfig,
    AccountabilityWeek,
    Goal,
    OutboxMessage,
    Participant,
    PresenceSpan,
    Sprint,
)

# Monday 3 March 2031, 09:00 UTC: far ahead, so real timers never fire.
T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
GUILD = 4_000_000_000_000_001
OTHER_GUILD = 4_000_000_000_000_002
CHANNEL = 500
OTHER_CHANNEL = 501
HOST = 100
ANN, BOB, CAT = 201, 202, 203
MANAGER_ROLE = 900


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


class Waker:
    def __init__(self) -> None:
        self.count = 0

    def wake(self) -> None:
        self.count += 1


@dataclass
class Env:
    """The services wired as in ``bot.services.Services`` (without accountability)."""

    db: Database
    clock: FakeClock
    settings: Settings = field(default_factory=Settings)
    waker: Waker = field(default_factory=Waker)
    week_changes: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ctx = ServiceContext(
            settings=self.settings,
            db=self.db,
            clock=self.clock,
            timers=Timers(),
            delivery=self.waker,
        )
        self.sprints = SprintService(self.ctx)
        self.goals = GoalService(self.ctx, self.sprints)
        self.goals.on_week_changed(self._week_changed)
        self.checkins = CheckInService(self.ctx, self.goals)
        self.sprints.observers.add(
            card_lines=(self.goals, self.checkins),
            break_add_ons=(self.checkins,),
            endings=(self.checkins.debriefs,),
        )

    async def _week_changed(self, week_id: int) -> None:
        self.week_changes.append(week_id)

    def actor(self, user_id: int = ANN, **kw: Any) -> Actor:
        names = {HOST: "Hana", ANN: "Ann", BOB: "Bob", CAT: "Cat"}
        return Actor(
            user_id=user_id,
            guild_id=kw.pop("guild_id", GUILD),
            channel_id=kw.pop("channel_id", CHANNEL),
            display_name=kw.pop("display_name", names.get(user_id, f"user{user_id}")),
            **kw,
        )

    async def start(self, **kw: Any) -> int:
        req = StartRequest(
            guild_id=kw.pop("guild_id", GUILD),
            channel_id=kw.pop("channel_id", CHANNEL),
            host_id=kw.pop("host_id", HOST),
            host_name=kw.pop("host_name", "Hana"),
            **({"work": 25, "brk": 5, "rounds": 3, "intro": 0} | kw),
        )
        return (await self.sprints.start(req)).id

    async def next_phase(self, sprint_id: int) -> None:
        view = await self.sprints.get(sprint_id)
        assert view.state.phase_ends_at is not None
        self.clock.set(view.state.phase_ends_at)
        await self.sprints.advance(sprint_id)

    async def finish(self, sprint_id: int) -> None:
        while not (await self.sprints.get(sprint_id)).is_over:
            await self.next_phase(sprint_id)

    async def stop(self, sprint_id: int) -> None:
        await self.sprints.stop(sprint_id, SprintActor(HOST))

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.db.transaction() as session:
            stmt = select(model).where(*where).order_by(model.id)
            return list((await session.execute(stmt)).scalars())

    async def outbox(self, *where: Any) -> list[OutboxMessage]:
        return await self.rows(OutboxMessage, *where)

    async def celebrations(self) -> list[OutboxMessage]:
        rows = await self.outbox(OutboxMessage.kind == "send")
        return [
            r
            for r in rows
            if "finished" in str(r.payload.get("content", ""))
            and r.payload.get("content", "").startswith("🎉")
        ]


@pytest.fixture
def env(database: Database) -> Env:
    return Env(db=database, clock=FakeClock(T0))


# -- where a goal goes -----------------------------------------------------------------------------


async def test_goal_in_a_channel_with_a_running_sprint_belongs_to_the_sprint(env: Env) -> None:
    sprint_id = await env.start()
    result = await env.goals.add(env.actor(ANN), "Write the intro")
    assert result.scope is Scope.SPRINT and result.sprint_id == sprint_id
    [goal] = await env.rows(Goal)
    assert (goal.scope, goal.sprint_id, goal.week_id, goal.status) == (
        "sprint",
        sprint_id,
        None,
        "open",
    )


async def test_a_sprint_goal_joins_the_member_with_a_presence_span(env: Env) -> None:
    sprint_id = await env.start()
    env.clock.advance(mins(3))
    result = await env.goals.add(env.actor(ANN), "Write the intro")
    assert result.joined
    [part] = await env.rows(Participant, Participant.user_id == ANN)
    assert part.active and part.display_name == "Ann" and part.sprint_id == sprint_id
    [span] = await env.rows(PresenceSpan, PresenceSpan.user_id == ANN)
    assert span.started_at == T0 + mins(3) and span.ended_at is None


async def test_a_second_goal_does_not_join_twice(env: Env) -> None:
    await env.start()
    await env.goals.add(env.actor(ANN), "One")
    second = await env.goals.add(env.actor(ANN), "Two")
    assert not second.joined
    assert len(await env.rows(PresenceSpan, PresenceSpan.user_id == ANN)) == 1


async def test_adding_a_sprint_goal_refreshes_the_sprint_card(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add(env.actor(ANN), "Write the intro")
    edits = await env.outbox(
        OutboxMessage.kind == "edit",
        OutboxMessage.status == "pending",
        OutboxMessage.target_ref == f"sprint_card:{sprint_id}",
    )
    assert len(edits) == 1
    assert "✅ 0/1" in str(edits[0].payload)


async def test_goal_without_a_sprint_belongs_to_the_current_week(env: Env) -> None:
    result = await env.goals.add(env.actor(ANN), "Ship the release")
    assert result.scope is Scope.WEEK and result.week_start == date(2031, 3, 3)
    [week] = await env.rows(AccountabilityWeek)
    assert (week.guild_id, week.week_start, week.channel_id) == (GUILD, date(2031, 3, 3), CHANNEL)
    [goal] = await env.rows(Goal)
    assert (goal.scope, goal.week_id, goal.sprint_id) == ("week", week.id, None)
    assert env.week_changes == [week.id]


async def test_the_week_is_computed_in_the_servers_time_zone(env: Env) -> None:
    # Sunday 2 March 2031 20:00 UTC is already Monday 3 March in Auckland.
    env.clock.set(datetime(2031, 3, 2, 20, 0, tzinfo=UTC))
    async with env.db.transaction() as session:
        (await repo.guild_settings(session, GUILD)).timezone = "Pacific/Auckland"
    result = await env.goals.add(env.actor(ANN), "Plan the week")
    assert result.week_start == date(2031, 3, 3)
    env.clock.set(datetime(2031, 3, 2, 20, 0, tzinfo=UTC))
    async with env.db.transaction() as session:
        (await repo.guild_settings(session, GUILD)).timezone = "UTC"
    result = await env.goals.add(env.actor(BOB), "Plan last week")
    assert result.week_start == date(2031, 2, 24)


async def test_a_new_week_row_uses_the_accountability_channel_when_configured(env: Env) -> None:
    async with env.db.transaction() as session:
        session.add(AccountabilityConfig(guild_id=GUILD, channel_id=777))
    await env.goals.add(env.actor(ANN, channel_id=OTHER_CHANNEL), "Tidy the docs")
    [week] = await env.rows(AccountabilityWeek)
    assert week.channel_id == 777


async def test_scope_week_overrides_the_running_sprint(env: Env) -> None:
    await env.start()
    result = await env.goals.add(env.actor(ANN), "Long-term thing", scope=Scope.WEEK)
    assert result.scope is Scope.WEEK
    assert not await env.rows(Participant, Participant.user_id == ANN)


async def test_scope_sprint_without_a_sprint_is_refused_and_echoes_the_text(env: Env) -> None:
    with pytest.raises(NotFound) as err:
        await env.goals.add(env.actor(ANN), "Fix the bug", scope=Scope.SPRINT)
    assert "no sprint running in this channel" in str(err.value)
    assert "Fix the bug" in str(err.value)
    assert not await env.rows(Goal)


async def test_messages_of_a_phase_change_prepared_ahead_wait_for_the_phase_end(
    env: Env,
) -> None:
    sprint_id = await env.start(rounds=1)
    await env.goals.add(env.actor(ANN), "Write the intro")
    ahead = env.sprints.prepare_ahead(1.0)
    end = T0 + mins(25)
    earlier = await env.outbox()
    assert earlier and all(r.not_before is None for r in earlier)
    env.clock.set(end - ahead / 2)
    await env.sprints.advance(sprint_id)  # the last work phase ends: the finish, held
    caused = await env.outbox(OutboxMessage.id > earlier[-1].id)
    # One message says the sprint is complete and carries the debrief (issue #18).
    [finish] = [r for r in caused if r.kind == "send"]
    assert finish.ref == debrief_ref(sprint_id)
    assert "is complete" in finish.payload["content"]
    assert "Debrief" in finish.payload["embeds"][0]["title"]
    assert all(r.not_before == end for r in caused), [(r.ref, r.not_before) for r in caused]


# -- limits and text -------------------------------------------------------------------------------


async def test_empty_goal_text_is_refused(env: Env) -> None:
    with pytest.raises(ValidationError, match="can't be empty"):
        await env.goals.add(env.actor(ANN), "   \n ")
    assert not await env.rows(Goal)


async def test_goal_text_over_200_characters_is_refused_with_the_text_to_copy(env: Env) -> None:
    text = "x" * 201
    with pytest.raises(ValidationError) as err:
        await env.goals.add(env.actor(ANN), text)
    assert "at most 200 characters; yours is 201" in str(err.value)
    assert text in str(err.value)
    await env.goals.add(env.actor(ANN), "y" * 200)
    assert [len(g.text) for g in await env.rows(Goal)] == [200]


async def test_goal_text_is_stored_as_typed_and_cleaned_of_extra_whitespace(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "  **Bold**   @everyone <@123>  ")
    [goal] = await env.rows(Goal)
    assert goal.text == "**Bold** @everyone <@123>"


async def test_at_most_ten_open_goals_per_member_per_sprint(env: Env) -> None:
    await env.start()
    for i in range(MAX_OPEN_PER_SPRINT):
        await env.goals.add(env.actor(ANN), f"goal {i}")
    with pytest.raises(Conflict) as err:
        await env.goals.add(env.actor(ANN), "one too many")
    assert "10 open goals" in str(err.value) and "one too many" in str(err.value)
    # Bob has his own ten; a done goal frees a slot.
    await env.goals.add(env.actor(BOB), "Bob's goal")
    first = (await env.rows(Goal, Goal.user_id == ANN))[0]
    await env.goals.done(env.actor(ANN), first.id)
    await env.goals.add(env.actor(ANN), "now it fits")
    assert len(await env.rows(Goal, Goal.user_id == ANN)) == MAX_OPEN_PER_SPRINT + 1


async def test_two_goals_at_once_never_exceed_the_limit(env: Env) -> None:
    await env.start()
    for i in range(MAX_OPEN_PER_SPRINT - 1):
        await env.goals.add(env.actor(ANN), f"goal {i}")
    results = await asyncio.gather(
        env.goals.add(env.actor(ANN), "racer A"),
        env.goals.add(env.actor(ANN), "racer B"),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, Conflict)) == 1
    open_ = await env.rows(Goal, Goal.user_id == ANN, Goal.status == "open")
    assert len(open_) == MAX_OPEN_PER_SPRINT


async def test_form_saves_good_lines_and_returns_bad_ones_with_their_text(env: Env) -> None:
    await env.start()
    text = "- Draft intro\n\n* " + "z" * 250 + "\n1. Reply to Sam\n   \n[ ] Fix login"
    result = await env.goals.add_many(env.actor(ANN), text)
    assert [g.text for g in result.added] == ["Draft intro", "Reply to Sam", "Fix login"]
    [bad] = result.rejected
    assert bad.line == 2 and bad.text == "z" * 250 and "at most 200" in bad.reason


async def test_form_lines_beyond_the_limit_come_back_unsaved(env: Env) -> None:
    await env.start()
    text = "\n".join(f"goal {i}" for i in range(12))
    result = await env.goals.add_many(env.actor(ANN), text)
    assert len(result.added) == MAX_OPEN_PER_SPRINT
    assert [r.text for r in result.rejected] == ["goal 10", "goal 11"]
    assert all("10 open goals" in r.reason for r in result.rejected)


async def test_form_with_no_goal_lines_is_refused(env: Env) -> None:
    with pytest.raises(ValidationError, match="no goal"):
        await env.goals.add_many(env.actor(ANN), "\n  \n\t\n")


async def test_form_submitted_after_its_sprint_ended_saves_to_the_week(env: Env) -> None:
    sprint_id = await env.start()
    await env.stop(sprint_id)
    result = await env.goals.add_many(env.actor(ANN), "Late idea\nAnother", sprint_id=sprint_id)
    assert result.moved_to_week and result.scope is Scope.WEEK
    goals = await env.rows(Goal)
    assert [(g.scope, g.sprint_id) for g in goals] == [("week", None), ("week", None)]


async def test_week_goals_are_limited_to_twenty_per_member(env: Env) -> None:
    text = "\n".join(f"w{i}" for i in range(MAX_OPEN_PER_WEEK + 2))
    result = await env.goals.add_many(env.actor(ANN), text, scope=Scope.WEEK)
    assert len(result.added) == MAX_OPEN_PER_WEEK and len(result.rejected) == 2


# -- done / undo / drop / edit ---------------------------------------------------------------------


async def test_done_marks_the_goal_and_posts_a_celebration_that_pings_nobody(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add_many(env.actor(ANN), "**bold** @everyone\nsecond")
    first = (await env.rows(Goal))[0]
    env.clock.advance(mins(5))
    result = await env.goals.done(env.actor(ANN), first.id)
    assert result.celebrated and (result.done, result.total) == (1, 2)
    [goal] = await env.rows(Goal, Goal.id == first.id)
    assert goal.status == "done" and goal.done_at == T0 + mins(5)
    [row] = await env.celebrations()
    assert row.channel_id == CHANNEL and row.sprint_id == sprint_id
    assert row.payload["allowed_mentions"] == {"parse": []}
    content = row.payload["content"]
    assert "\\*\\*bold\\*\\*" in content and f"@{ZWSP}everyone" in content
    assert f"<@{ANN}>" in content and "(1/2)" in content


async def test_done_updates_the_sprint_card_progress(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add_many(env.actor(ANN), "a\nb")
    first = (await env.rows(Goal))[0]
    await env.goals.done(env.actor(ANN), first.id)
    [edit] = await env.outbox(
        OutboxMessage.kind == "edit",
        OutboxMessage.status == "pending",
        OutboxMessage.target_ref == f"sprint_card:{sprint_id}",
    )
    assert "✅ 1/2" in str(edit.payload)


async def test_quiet_done_server_setting_skips_the_celebration(env: Env) -> None:
    await env.goals.set_quiet_done(env.actor(HOST, manage_guild=True), True)
    await env.goals.add(env.actor(ANN), "quiet one")
    [goal] = await env.rows(Goal)
    result = await env.goals.done(env.actor(ANN), goal.id)
    assert not result.celebrated
    assert not await env.celebrations()


async def test_only_managers_can_change_the_quiet_setting(env: Env) -> None:
    with pytest.raises(PermissionDenied):
        await env.goals.set_quiet_done(env.actor(ANN), True)
    async with env.db.transaction() as session:
        (await repo.guild_settings(session, GUILD)).manager_role_id = MANAGER_ROLE
    await env.goals.set_quiet_done(env.actor(ANN, role_ids=frozenset({MANAGER_ROLE})), True)
    async with env.db.transaction() as session:
        assert (await repo.guild_settings(session, GUILD)).quiet_done is True


async def test_done_without_a_goal_marks_the_only_open_one(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "the only one")
    result = await env.goals.done(env.actor(ANN))
    assert result.goal.text == "the only one" and result.goal.status == "done"


async def test_done_without_a_goal_asks_which_when_several_are_open(env: Env) -> None:
    await env.goals.add_many(env.actor(ANN), "one\ntwo")
    with pytest.raises(ChooseGoal) as err:
        await env.goals.done(env.actor(ANN))
    assert sorted(g.text for g in err.value.goals) == ["one", "two"]
    assert all(g.status == "open" for g in await env.rows(Goal))


async def test_done_with_nothing_open_says_so(env: Env) -> None:
    with pytest.raises(NotFound, match="no open goals"):
        await env.goals.done(env.actor(ANN))


async def test_done_twice_is_refused_without_a_second_celebration(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "once")
    [goal] = await env.rows(Goal)
    await env.goals.done(env.actor(ANN), goal.id)
    with pytest.raises(Conflict, match="already done"):
        await env.goals.done(env.actor(ANN), goal.id)
    assert len(await env.celebrations()) == 1


async def test_someone_elses_goal_can_not_be_ticked_off(env: Env) -> None:
    await env.goals.add(env.actor(BOB), "Bob's goal")
    [goal] = await env.rows(Goal)
    with pytest.raises(PermissionDenied, match="someone else's goal"):
        await env.goals.done(env.actor(ANN), goal.id)
    with pytest.raises(PermissionDenied):
        await env.goals.drop(env.actor(ANN), goal.id)
    with pytest.raises(PermissionDenied):
        await env.goals.edit(env.actor(ANN), goal.id, "mine now")
    [goal] = await env.rows(Goal)
    assert (goal.status, goal.text) == ("open", "Bob's goal")


async def test_managers_may_tick_off_someone_elses_goal(env: Env) -> None:
    await env.goals.add(env.actor(BOB), "Bob's goal")
    [goal] = await env.rows(Goal)
    await env.goals.done(env.actor(HOST, manage_guild=True), goal.id)
    async with env.db.transaction() as session:
        (await repo.guild_settings(session, GUILD)).manager_role_id = MANAGER_ROLE
    await env.goals.undo(env.actor(ANN, role_ids=frozenset({MANAGER_ROLE})), goal.id)
    [goal] = await env.rows(Goal)
    assert goal.status == "open"


async def test_manager_done_for_a_member_without_a_goal_uses_their_only_goal(env: Env) -> None:
    await env.goals.add(env.actor(BOB), "Bob's goal")
    with pytest.raises(PermissionDenied):
        await env.goals.done(env.actor(ANN), owner_id=BOB)
    result = await env.goals.done(env.actor(HOST, manage_guild=True), owner_id=BOB)
    assert result.goal.user_id == BOB and result.goal.status == "done"


async def test_a_goal_of_another_server_is_not_found(env: Env) -> None:
    await env.goals.add(env.actor(ANN, guild_id=OTHER_GUILD), "elsewhere")
    [goal] = await env.rows(Goal)
    with pytest.raises(NotFound):
        await env.goals.done(env.actor(ANN), goal.id)


async def test_undo_reopens_a_done_goal(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "oops")
    [goal] = await env.rows(Goal)
    await env.goals.done(env.actor(ANN), goal.id)
    info = await env.goals.undo(env.actor(ANN), goal.id)
    assert info.status == "open" and info.done_at is None
    with pytest.raises(Conflict, match="isn't done"):
        await env.goals.undo(env.actor(ANN), goal.id)


async def test_drop_removes_a_goal_from_progress(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add_many(env.actor(ANN), "keep\ndrop me")
    goals = await env.rows(Goal)
    await env.goals.drop(env.actor(ANN), goals[1].id)
    async with env.db.transaction() as session:
        assert await env.goals.card_lines(session, sprint_id) == {ANN: "✅ 0/1"}
    with pytest.raises(Conflict, match="already dropped"):
        await env.goals.drop(env.actor(ANN), goals[1].id)
    with pytest.raises(Conflict, match="dropped"):
        await env.goals.done(env.actor(ANN), goals[1].id)


async def test_edit_changes_the_text_and_checks_it(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "typo in thsi")
    [goal] = await env.rows(Goal)
    info = await env.goals.edit(env.actor(ANN), goal.id, "  typo in this ")
    assert info.text == "typo in this"
    with pytest.raises(ValidationError, match="at most 200"):
        await env.goals.edit(env.actor(ANN), goal.id, "q" * 300)
    [goal] = await env.rows(Goal)
    assert goal.text == "typo in this"


# -- autocomplete and lists ------------------------------------------------------------------------


async def test_autocomplete_lists_sprint_goals_first_then_week_goals_newest_first(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "week old", scope=Scope.WEEK)
    env.clock.advance(mins(1))
    await env.start()
    env.clock.advance(mins(1))
    await env.goals.add(env.actor(ANN), "sprint old")
    env.clock.advance(mins(1))
    await env.goals.add(env.actor(ANN), "week new", scope=Scope.WEEK)
    env.clock.advance(mins(1))
    await env.goals.add(env.actor(ANN), "sprint new")
    env.clock.advance(mins(1))
    await env.goals.add(env.actor(ANN), "done one")
    done = (await env.rows(Goal, Goal.text == "done one"))[0]
    await env.goals.done(env.actor(ANN), done.id)
    await env.goals.add(env.actor(BOB), "Bob's")
    got = await env.goals.goals_for_autocomplete(env.actor(ANN), "", statuses=("open",))
    assert [g.text for g in got] == ["sprint new", "sprint old", "week new", "week old"]


async def test_autocomplete_puts_this_channels_sprint_before_other_sprints(env: Env) -> None:
    await env.start(channel_id=CHANNEL)
    await env.goals.add(env.actor(ANN, channel_id=CHANNEL), "here")
    env.clock.advance(mins(1))
    await env.start(channel_id=OTHER_CHANNEL)
    await env.goals.add(env.actor(ANN, channel_id=OTHER_CHANNEL), "there")
    got = await env.goals.goals_for_autocomplete(env.actor(ANN), "", statuses=("open",))
    assert [g.text for g in got] == ["here", "there"]


async def test_autocomplete_filters_by_the_words_typed(env: Env) -> None:
    await env.goals.add_many(env.actor(ANN), "Write the intro\nReview Sam's PR\nwrite tests")
    got = await env.goals.goals_for_autocomplete(env.actor(ANN), "WRITE", statuses=("open",))
    assert sorted(g.text for g in got) == ["Write the intro", "write tests"]
    got = await env.goals.goals_for_autocomplete(env.actor(ANN), "write intro", statuses=("open",))
    assert [g.text for g in got] == ["Write the intro"]


async def test_autocomplete_leaves_out_goals_of_ended_sprints(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add(env.actor(ANN), "left open")
    await env.stop(sprint_id)
    assert await env.goals.goals_for_autocomplete(env.actor(ANN), "", statuses=("open",)) == []


async def test_autocomplete_shows_someone_elses_goals_only_to_managers(env: Env) -> None:
    await env.goals.add(env.actor(BOB), "Bob's goal")
    mine = await env.goals.goals_for_autocomplete(
        env.actor(ANN), "", statuses=("open",), owner_id=BOB
    )
    assert mine == []
    theirs = await env.goals.goals_for_autocomplete(
        env.actor(HOST, manage_guild=True), "", statuses=("open",), owner_id=BOB
    )
    assert [g.text for g in theirs] == ["Bob's goal"]


async def test_a_goal_typed_without_picking_is_resolved_by_its_text(env: Env) -> None:
    await env.goals.add_many(env.actor(ANN), "Write the intro\nWrite tests")
    ids = {g.text: g.id for g in await env.rows(Goal)}
    assert (
        await env.goals.resolve(env.actor(ANN), "write the intro", statuses=("open",))
        == (ids["Write the intro"])
    )
    assert (
        await env.goals.resolve(env.actor(ANN), str(ids["Write tests"]), statuses=("open",))
        == (ids["Write tests"])
    )
    with pytest.raises(ValidationError, match="matches 2 goals"):
        await env.goals.resolve(env.actor(ANN), "write", statuses=("open",))
    with pytest.raises(NotFound):
        await env.goals.resolve(env.actor(ANN), "nothing like it", statuses=("open",))


async def test_list_shows_the_sprint_here_and_the_week(env: Env) -> None:
    await env.goals.add(env.actor(ANN), "week goal")
    await env.start()
    await env.goals.add_many(env.actor(ANN), "sprint goal\ndropped")
    dropped = (await env.rows(Goal, Goal.text == "dropped"))[0]
    await env.goals.drop(env.actor(ANN), dropped.id)
    goals = await env.goals.list_goals(env.actor(BOB), ANN)
    assert [(g.text, g.scope) for g in goals] == [("sprint goal", "sprint"), ("week goal", "week")]
    only_week = await env.goals.list_goals(env.actor(BOB), ANN, Scope.WEEK)
    assert [g.text for g in only_week] == ["week goal"]


# -- carry-over ------------------------------------------------------------------------------------


async def _ended_sprint_with_goals(env: Env) -> int:
    sprint_id = await env.start()
    await env.goals.add_many(env.actor(ANN), "finished\nnot yet\nalso open")
    finished = (await env.rows(Goal, Goal.text == "finished"))[0]
    await env.goals.done(env.actor(ANN), finished.id)
    await env.stop(sprint_id)
    return sprint_id


async def test_carry_over_copies_open_goals_to_the_week(env: Env) -> None:
    old = await _ended_sprint_with_goals(env)
    result = await env.goals.carry_over(env.actor(ANN), old, Scope.WEEK)
    assert [g.text for g in result.carried] == ["not yet", "also open"]
    carried = await env.rows(Goal, Goal.carried_from_id.is_not(None))
    sources = {g.id: g.text for g in await env.rows(Goal, Goal.sprint_id == old)}
    assert [(g.scope, sources[g.carried_from_id]) for g in carried] == [
        ("week", "not yet"),
        ("week", "also open"),
    ]


async def test_carrying_twice_does_not_duplicate(env: Env) -> None:
    old = await _ended_sprint_with_goals(env)
    await env.goals.carry_over(env.actor(ANN), old, Scope.WEEK)
    again = await env.goals.carry_over(env.actor(ANN), old, Scope.WEEK)
    assert again.carried == () and len(again.already) == 2
    new_sprint = await env.start()
    elsewhere = await env.goals.carry_over(env.actor(ANN), old, Scope.SPRINT)
    assert elsewhere.carried == ()
    assert not await env.rows(Goal, Goal.sprint_id == new_sprint)
    assert len(await env.rows(Goal, Goal.carried_from_id.is_not(None))) == 2


async def test_two_carry_clicks_at_once_copy_each_goal_once(env: Env) -> None:
    old = await _ended_sprint_with_goals(env)
    await asyncio.gather(
        env.goals.carry_over(env.actor(ANN), old, Scope.WEEK),
        env.goals.carry_over(env.actor(ANN), old, Scope.WEEK),
    )
    async with env.db.transaction() as session:
        count = await session.execute(
            select(func.count(Goal.id)).where(Goal.carried_from_id.is_not(None))
        )
        assert count.scalar_one() == 2


async def test_carry_over_to_the_next_sprint_in_the_channel_joins_it(env: Env) -> None:
    old = await _ended_sprint_with_goals(env)
    with pytest.raises(NotFound, match="No sprint is running"):
        await env.goals.carry_over(env.actor(ANN), old, Scope.SPRINT)
    new_sprint = await env.start()
    result = await env.goals.carry_over(env.actor(ANN), old, Scope.SPRINT)
    assert len(result.carried) == 2
    assert [g.sprint_id for g in await env.rows(Goal, Goal.carried_from_id.is_not(None))] == [
        new_sprint,
        new_sprint,
    ]
    assert await env.rows(
        Participant, Participant.sprint_id == new_sprint, Participant.user_id == ANN
    )


async def test_carry_over_of_a_running_sprint_or_without_open_goals_is_refused(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add(env.actor(ANN), "still running")
    with pytest.raises(Conflict, match="still running"):
        await env.goals.carry_over(env.actor(ANN), sprint_id, Scope.WEEK)
    await env.stop(sprint_id)
    with pytest.raises(NotFound, match="no open goals"):
        await env.goals.carry_over(env.actor(BOB), sprint_id, Scope.WEEK)


async def test_carry_options_count_what_is_left_to_carry(env: Env) -> None:
    old = await _ended_sprint_with_goals(env)
    pending, target = await env.goals.carry_options(env.actor(ANN), old)
    assert pending == 2 and target is None
    await env.goals.carry_over(env.actor(ANN), old, Scope.WEEK)
    with pytest.raises(Conflict, match="already carried"):
        await env.goals.carry_options(env.actor(ANN), old)


async def test_carry_over_respects_the_sprint_limit_and_returns_the_rest(env: Env) -> None:
    old = await env.start()
    await env.goals.add_many(env.actor(ANN), "\n".join(f"old {i}" for i in range(4)))
    await env.stop(old)
    await env.start()
    await env.goals.add_many(env.actor(ANN), "\n".join(f"new {i}" for i in range(8)))
    result = await env.goals.carry_over(env.actor(ANN), old, Scope.SPRINT)
    assert [g.text for g in result.carried] == ["old 0", "old 1"]
    assert [g.text for g in result.left_over] == ["old 2", "old 3"]
    again = await env.goals.carry_over(env.actor(ANN), old, Scope.WEEK)
    assert [g.text for g in again.carried] == ["old 2", "old 3"]
    assert len(again.already) == 2


# -- the card --------------------------------------------------------------------------------------


async def test_card_lines_show_each_members_goal_progress(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add_many(env.actor(ANN), "a\nb\nc")
    await env.goals.add(env.actor(BOB), "only")
    ann_goals = await env.rows(Goal, Goal.user_id == ANN)
    await env.goals.done(env.actor(ANN), ann_goals[0].id)
    await env.goals.done(env.actor(ANN), ann_goals[1].id)
    async with env.db.transaction() as session:
        assert await env.goals.card_lines(session, sprint_id) == {ANN: "✅ 2/3", BOB: "✅ 0/1"}


async def test_sprint_view_row_is_not_changed_by_goal_reads(env: Env) -> None:
    sprint_id = await env.start()
    before = (await env.rows(Sprint))[0].version
    await env.goals.goals_for_autocomplete(env.actor(ANN), "", statuses=("open",))
    await env.goals.list_goals(env.actor(ANN), ANN)
    assert (await env.rows(Sprint, Sprint.id == sprint_id))[0].version == before
