"""Privacy on the real database: show, export, forget me, don't track me, server data removal."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import BigInteger, func, select, update

from bot.domain.errors import Conflict, PermissionDenied
from bot.domain.privacy import FORMER_MEMBER
from bot.services.privacy.gate import Untracked
from bot.services.privacy.service import purge_timer_key
from db.engine import Database
from db.models import Base, Goal, GuildRemoval, Participant, PresenceSpan, Sprint
from tests.db.populate import populate
from tests.services.stats_world import (
    GUILD,
    ME,
    NAMES,
    OTHER,
    World,
    make_world,
    play_history,
    traces,
)


@pytest.fixture
async def world(database: Database) -> World:
    w = make_world(database)
    await play_history(w)
    return w


async def test_history_names_me_in_many_tables_before_forgetting(world: World) -> None:
    tables = {t.split(".")[0] for t in await traces(world.db, ME, NAMES[ME])}
    assert {"goals", "checkins", "sprint_participants", "sprints", "user_settings"} <= tables


async def test_forget_me_leaves_no_trace_in_any_table_of_the_models(world: World) -> None:
    await world.services.privacy.forget(ME)

    assert await traces(world.db, ME, NAMES[ME]) == []


async def test_forget_me_keeps_other_members_figures_and_the_sprints_head_count(
    world: World,
) -> None:
    stats = world.services.stats
    other_before = await stats.member_stats(GUILD, OTHER)
    server_before = (await stats.server_report(GUILD, manage_guild=True)).stats
    async with world.db.transaction() as session:
        heads_before = list(
            await session.execute(
                select(Participant.sprint_id, func.count()).group_by(Participant.sprint_id)
            )
        )

    await world.services.privacy.forget(ME)

    assert await stats.member_stats(GUILD, OTHER) == other_before
    server_after = (await stats.server_report(GUILD, manage_guild=True)).stats
    assert server_after == server_before
    async with world.db.transaction() as session:
        heads_after = list(
            await session.execute(
                select(Participant.sprint_id, func.count()).group_by(Participant.sprint_id)
            )
        )
        names = set(await session.scalars(select(Participant.display_name)))
        other_goals = await session.scalar(select(func.count(Goal.id)).where(Goal.user_id == OTHER))
    assert heads_after == heads_before
    assert names == {NAMES[OTHER], FORMER_MEMBER}
    assert other_goals == 3


async def test_forget_me_turns_me_into_a_former_member_in_sprint_summaries(world: World) -> None:
    await world.services.privacy.forget(ME)
    async with world.db.transaction() as session:
        summaries = [s for s in await session.scalars(select(Sprint.summary)) if s]
    lines = [line for s in summaries for line in s["members"]]
    assert {line["name"] for line in lines} == {NAMES[OTHER], FORMER_MEMBER}
    assert all(line["user_id"] < 0 for line in lines if line["name"] == FORMER_MEMBER)


async def test_after_forget_me_nothing_new_is_stored_until_i_opt_back_in(world: World) -> None:
    await world.services.privacy.forget(ME)
    sprint_id = await world.sprint((OTHER,))
    with pytest.raises(Untracked):
        await world.services.sprints.join(sprint_id, ME, NAMES[ME])
    with pytest.raises(Untracked):
        await world.services.goals.add(world.actor(ME), "sneaky goal")
    with pytest.raises(Untracked):
        await world.services.stats.join_leaderboard(GUILD, ME)
    with pytest.raises(Untracked):
        await world.services.timezones.set_member_zone(ME, "Europe/Rome")
    with pytest.raises(Untracked):
        await world.services.availability.set(GUILD, ME, "weekdays 08:00-12:00")
    assert await traces(world.db, ME, NAMES[ME]) == []

    assert await world.services.privacy.set_tracking(ME, True) is True
    await world.services.sprints.join(sprint_id, ME, NAMES[ME])
    assert await traces(world.db, ME, NAMES[ME]) != []


async def test_forget_me_twice_says_it_is_already_done(world: World) -> None:
    await world.services.privacy.forget(ME)
    with pytest.raises(Conflict, match="already forgotten"):
        await world.services.privacy.forget(ME)


async def test_export_holds_exactly_my_rows_and_nobody_elses(world: World) -> None:
    export = await world.services.privacy.export(ME)
    document = json.loads(export.data)
    assert document["format"] == "sprintbot-export" and document["version"] == 1
    assert document["user_id"] == str(ME)
    tables = document["tables"]
    assert len(tables["goals"]) == 3
    assert {g["user_id"] for g in tables["goals"]} == {str(ME)}
    assert len(tables["sprint_participants"]) == 3 and len(tables["checkins"]) == 3
    assert len(tables["sprints_hosted"]) == 2  # days 0 and 2
    assert len(tables["sprint_summaries"]) == 3
    text = export.data.decode()
    assert str(OTHER) not in text and NAMES[OTHER] not in text
    assert NAMES[ME] in text


async def test_export_at_most_once_an_hour(world: World) -> None:
    await world.services.privacy.export(ME)
    world.clock.advance(timedelta(minutes=59))
    with pytest.raises(Conflict, match="once an hour"):
        await world.services.privacy.export(ME)
    world.clock.advance(timedelta(minutes=1))
    assert (await world.services.privacy.export(ME)).rows > 0


async def test_show_counts_what_is_stored(world: World) -> None:
    summary = await world.services.privacy.show(ME)
    assert summary.counts["goals"] == 3
    assert summary.counts["sprints joined"] == 3
    assert summary.timezone == "Europe/Paris"
    assert summary.leaderboards == 1 and summary.untracked_since is None


async def test_forget_me_on_a_year_of_history_is_one_transaction(database: Database) -> None:
    """A failure half-way leaves everything as it was (the whole forget is one transaction)."""
    w = make_world(database)
    await play_history(w, days=2)
    before = await traces(w.db, ME, NAMES[ME])
    from bot.services.privacy import queries

    original = queries.OWNED

    class Boom(Exception):
        pass

    class Exploding:
        label = "boom"

        @property
        def model(self) -> type[Base]:
            raise Boom

    try:
        queries.OWNED = (*original, Exploding())  # type: ignore[assignment]
        with pytest.raises(Boom):
            await w.services.privacy.forget(ME)
    finally:
        queries.OWNED = original
    assert await traces(w.db, ME, NAMES[ME]) == before


async def test_server_data_is_deleted_after_the_grace_period(database: Database) -> None:
    w = make_world(database)
    await play_history(w, days=1)
    privacy = w.services.privacy
    purge_at = await privacy.guild_removed(GUILD)
    assert purge_at == w.clock.now() + timedelta(days=30)
    assert w.services.ctx.timers.when(purge_timer_key(GUILD)) == purge_at
    await privacy._purge_due(GUILD)  # what the timer runs when it fires
    assert await traces(w.db, GUILD, "no name") == []
    async with w.db.transaction() as session:
        assert await session.scalar(select(func.count(PresenceSpan.id))) == 0


async def test_a_server_that_adds_the_bot_back_keeps_its_data(database: Database) -> None:
    w = make_world(database)
    await play_history(w, days=1)
    await w.services.privacy.guild_removed(GUILD)
    assert await w.services.privacy.guild_present(GUILD) is True
    assert w.services.ctx.timers.when(purge_timer_key(GUILD)) is None
    await w.services.privacy._purge_due(GUILD)  # a stale timer firing anyway changes nothing
    async with w.db.transaction() as session:
        assert await session.scalar(select(func.count(Goal.id))) == 2
        assert await session.get(GuildRemoval, GUILD) is None


async def test_removals_are_rearmed_at_start_up(database: Database) -> None:
    w = make_world(database)
    await w.services.privacy.guild_removed(GUILD)
    fresh = make_world(database)
    await fresh.services.restore()
    assert fresh.services.ctx.timers.when(purge_timer_key(GUILD)) is not None


async def test_only_managers_delete_a_server_at_once(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.services.privacy.delete_server_now(GUILD, manage_guild=False)
    assert await world.services.privacy.delete_server_now(GUILD, manage_guild=True) > 0
    assert await traces(world.db, GUILD, "no name") == []


USERISH = re.compile(r"user|member|host|owner|author|creator|offerer|_by$")


async def test_forget_me_covers_every_table_of_the_models(db_url: str) -> None:
    """Every table at head gets a row naming me in each column that can hold a member's id; a
    table added later without a line in bot/services/privacy/queries.py fails here."""
    await populate(db_url, "head", rows=2)
    db = Database.from_url(db_url)
    try:
        named = 0
        async with db.transaction() as session:
            for table in Base.metadata.sorted_tables:
                columns = [
                    c
                    for c in table.columns
                    if isinstance(c.type, BigInteger) and USERISH.search(c.name)
                ]
                first = (await session.execute(select(table).limit(1))).mappings().first()
                if not columns or first is None:
                    continue
                key = [pk == first[pk.name] for pk in table.primary_key.columns]
                await session.execute(
                    update(table).where(*key).values({c.name: ME for c in columns})
                )
                named += 1
        assert named >= 8  # goals, check-ins, notes, participants, spans, sprints, settings…
        assert await traces(db, ME, "\x00") != []
        w = make_world(db)
        await w.services.privacy.forget(ME)
        assert await traces(db, ME, "\x00") == []
    finally:
        await db.dispose()
