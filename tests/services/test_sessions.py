"""Standing sessions at the service level: schedule, RSVP and the waitlist, reminders, the start
through the sprint service, restarts, attendance, edit/skip/cancel and bad input.

Real SQLite (and PostgreSQL when configured); the timers are real but never started, so each test
reads the armed time, moves the FakeClock there and runs what the timer would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.scheduler import Timers
from bot.services import Services
from bot.services.actor import Actor
from bot.services.context import NullWaker, ServiceContext
from bot.services.sessions import EditRequest, Rsvp, ScheduleRequest
from bot.settings import Settings
from db.engine import Database
from db.models import (
    OutboxMessage,
    Participant,
    SessionAttendance,
    SessionOccurrence,
    SessionSeries,
    Sprint,
)

GUILD, CHANNEL, VOICE = 10**17 + 1, 10**17 + 2, 10**17 + 3
HOST, ANA, BEN, CY, DEE = (10**17 + 100 + i for i in range(5))
NAMES = {HOST: "Host", ANA: "Ana", BEN: "Ben", CY: "Cy", DEE: "Dee"}
# Sunday 23 March 2031, 12:00 UTC; Europe/London changes to BST on Sunday 30 March.
T0 = datetime(2031, 3, 23, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class World:
    db: Database
    clock: FakeClock
    timers: Timers
    services: Services

    @property
    def sessions(self) -> Any:
        return self.services.sessions

    def actor(self, user_id: int, *, manager: bool = False) -> Actor:
        return Actor(user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, manage_guild=manager)

    async def schedule(self, **kw: Any) -> int:
        fields: dict[str, Any] = {
            "guild_id": GUILD,
            "channel_id": CHANNEL,
            "creator_id": HOST,
            "creator_name": "Host",
            "title": "Writing club",
            "when": "Mon 9:00",
            "repeat": "weekly",
            "zone": "Europe/London",
            "work": 25,
            "brk": 5,
            "rounds": 2,
            "intro": 0,
        }
        fields.update(kw)
        view = await self.sessions.schedule(ScheduleRequest(**fields))
        return int(view.id)

    async def rsvp(self, series_id: int, user: int, answer: Rsvp) -> Any:
        return await self.sessions.rsvp(GUILD, series_id, None, user, NAMES[user], answer)

    async def tick(self, series_id: int) -> list[str]:
        when = self.sessions.runner.when(series_id)
        assert when is not None, "the series has no timer armed"
        self.clock.set(max(when, self.clock.now()))
        return list(await self.sessions.run_due(series_id))

    async def next_phase(self, sprint_id: int) -> None:
        view = await self.services.sprints.get(sprint_id)
        assert view.state.phase_ends_at is not None
        self.clock.set(view.state.phase_ends_at)
        await self.services.sprints.advance(sprint_id)

    async def occurrences(self, series_id: int) -> list[SessionOccurrence]:
        async with self.db.transaction() as s:
            return list(
                await s.scalars(
                    select(SessionOccurrence)
                    .where(SessionOccurrence.series_id == series_id)
                    .order_by(SessionOccurrence.scheduled_at)
                )
            )

    async def sent(self, text: str) -> list[dict[str, Any]]:
        async with self.db.transaction() as s:
            rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [r.payload for r in rows if text in str(r.payload.get("content", ""))]

    async def card(self, series_id: int) -> str:
        """The series' card as the newest outbox row (its first post or an edit) draws it."""
        ref = f"session_card:{series_id}"
        async with self.db.transaction() as s:
            rows = await s.scalars(
                select(OutboxMessage)
                .where((OutboxMessage.ref == ref) | (OutboxMessage.supersede_key == ref))
                .order_by(OutboxMessage.id.desc())
            )
            newest = rows.first()
        assert newest is not None, "the card was never enqueued"
        return str(newest.payload["embeds"][0]["description"])

    async def embeds(self, text: str) -> list[dict[str, Any]]:
        """Embeds the bot posted (not card edits) whose title or text holds ``text``."""
        async with self.db.transaction() as s:
            rows = await s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "send").order_by(OutboxMessage.id)
            )
            return [
                e
                for r in rows
                for e in r.payload.get("embeds", [])
                if text in str(e.get("title", "")) + str(e.get("description", ""))
            ]


def make_world(database: Database, clock: FakeClock | None = None) -> World:
    clock = clock or FakeClock(T0)
    timers = Timers()
    ctx = ServiceContext(
        settings=Settings(), db=database, clock=clock, timers=timers, delivery=NullWaker()
    )
    return World(database, clock, timers, Services(ctx))


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


# -- schedule ----------------------------------------------------------------------------------


async def test_a_weekly_series_is_stored_as_wall_clock_zone_and_rule(world: World) -> None:
    sid = await world.schedule(repeat="weekly on mon,wed")
    async with world.db.transaction() as s:
        series = await s.get(SessionSeries, sid)
        assert series is not None
        assert series.first_local == datetime(2031, 3, 24, 9, 0)
        assert series.zone == "Europe/London"
        assert series.rrule is not None and "BYDAY=MO,WE" in series.rrule
        assert series.reminders == [15]
    (occ,) = await world.occurrences(sid)
    assert occ.starts_at == utc(2031, 3, 24, 9)
    view = await world.sessions.show(GUILD, sid)
    assert [a.user_id for a in view.next.going] == [HOST]  # the creator is going
    assert await world.sent("") or True
    async with world.db.transaction() as s:
        card = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.ref == f"session_card:{sid}"))
        ).one()
    assert "Writing club" in card.payload["embeds"][0]["title"]
    assert world.sessions.runner.when(sid) == utc(2031, 3, 24, 8, 45)  # the 15-min reminder


async def test_nine_o_clock_london_stays_nine_o_clock_across_the_spring_change(
    world: World,
) -> None:
    sid = await world.schedule(reminders="none")
    await world.tick(sid)  # Monday 24 March 09:00 GMT: starts
    occs = await world.occurrences(sid)
    assert [o.starts_at for o in occs] == [utc(2031, 3, 24, 9), utc(2031, 3, 31, 8)]  # 09:00 BST


async def test_a_member_in_kolkata_schedules_in_their_zone_and_everyone_sees_the_instant(
    world: World,
) -> None:
    await world.services.timezones.set_member_zone(HOST, "Asia/Kolkata")
    await world.services.timezones.set_server_zone(GUILD, "America/New_York")
    sid = await world.schedule(when="tomorrow 18:30", zone=None, repeat=None)
    (occ,) = await world.occurrences(sid)
    assert occ.starts_at == utc(2031, 3, 24, 13, 0)  # 18:30 IST = 13:00 UTC = 09:00 in New York
    view = await world.sessions.show(GUILD, sid)
    assert view.zone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"when": "2031-03-20 09:00"}, "already passed"),
        ({"when": "yesterday 12:00"}, "Sat 22 Mar 2031 12:00 (Europe/London) has already passed"),
        ({"when": "25:00"}, "25:00"),
        ({"when": "Funday"}, "can't read"),
        ({"when": "13pm"}, "1 to 12"),
        ({"capacity": 0}, "1 to 99"),
        ({"capacity": 10_000}, "1 to 99"),
        ({"repeat": "daily", "until": "2040-01-01"}, "more than 500"),
        ({"reminders": "1d, 2h, 1h, 15m"}, "Up to 3"),
        ({"reminders": "soon"}, "can't read the reminder"),
        ({"zone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"work": 500}, "Work"),
    ],
)
async def test_bad_input_gets_a_sentence_and_stores_nothing(
    world: World, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        await world.schedule(**fields)
    assert words in str(err.value)
    async with world.db.transaction() as s:
        assert list(await s.scalars(select(SessionSeries))) == []


async def test_a_channel_the_bot_cannot_post_in_or_a_role_it_cannot_mention_is_refused(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied, match="can't post in"):
        await world.schedule(can_post=False)
    with pytest.raises(PermissionDenied, match="can't mention"):
        await world.schedule(role_id=77, role_mentionable=False)


# -- RSVP and the waitlist ---------------------------------------------------------------------


async def test_going_beyond_capacity_waits_and_a_freed_place_is_offered_then_passes_on(
    world: World,
) -> None:
    sid = await world.schedule(capacity=2)  # the host takes one place
    assert (await world.rsvp(sid, ANA, Rsvp.GOING)).status is Rsvp.GOING
    ben = await world.rsvp(sid, BEN, Rsvp.GOING)
    assert ben.status is Rsvp.WAITLIST and ben.position == 1
    cy = await world.rsvp(sid, CY, Rsvp.GOING)
    assert cy.status is Rsvp.WAITLIST and cy.position == 2

    await world.rsvp(sid, ANA, Rsvp.CANT)  # a place frees: Ben is offered it
    offers = await world.sent("a place opened up")
    assert len(offers) == 1 and offers[0]["allowed_mentions"]["users"] == [str(BEN)]
    with pytest.raises(PermissionDenied):
        await world.sessions.accept(GUILD, sid, (await world.occurrences(sid))[0].id, CY, "Cy")
    # Ben lets it expire: it passes to Cy.
    world.clock.advance(timedelta(minutes=31))
    await world.sessions.run_due(sid)
    offers = await world.sent("a place opened up")
    assert offers[-1]["allowed_mentions"]["users"] == [str(CY)]
    occ_id = (await world.occurrences(sid))[0].id
    with pytest.raises(Conflict, match="expired"):
        await world.sessions.accept(GUILD, sid, occ_id, BEN, "Ben")
    taken = await world.sessions.accept(GUILD, sid, occ_id, CY, "Cy")
    assert taken.status is Rsvp.GOING
    view = await world.sessions.show(GUILD, sid)
    assert {a.user_id for a in view.next.going} == {HOST, CY}
    assert [a.user_id for a in view.next.waitlist] == [BEN]


async def test_two_members_pressing_the_last_place_at_once_get_one_place(world: World) -> None:
    sid = await world.schedule(capacity=2)
    results = await asyncio.gather(
        world.rsvp(sid, ANA, Rsvp.GOING), world.rsvp(sid, BEN, Rsvp.GOING)
    )
    assert sorted(r.status.value for r in results) == ["going", "waitlist"]
    view = await world.sessions.show(GUILD, sid)
    assert len(view.next.going) == 2 and len(view.next.waitlist) == 1


async def test_rsvp_to_a_cancelled_or_past_occurrence_gets_a_sentence(world: World) -> None:
    sid = await world.schedule(reminders="none")
    first = (await world.occurrences(sid))[0].id
    await world.tick(sid)  # it starts
    with pytest.raises(Conflict, match="already started"):
        await world.sessions.rsvp(GUILD, sid, first, ANA, "Ana", Rsvp.GOING)
    await world.sessions.cancel(world.actor(HOST), sid)
    with pytest.raises(Conflict, match="cancelled"):
        await world.rsvp(sid, ANA, Rsvp.GOING)


# -- reminders ---------------------------------------------------------------------------------


async def test_reminders_ping_only_going_and_maybe_who_kept_them_on_and_only_once(
    world: World,
) -> None:
    sid = await world.schedule(reminders="1d, 15m", when="Tue 9:00")
    await world.rsvp(sid, ANA, Rsvp.MAYBE)
    await world.rsvp(sid, BEN, Rsvp.CANT)
    await world.rsvp(sid, CY, Rsvp.SKIP)
    await world.rsvp(sid, DEE, Rsvp.GOING)
    await world.sessions.set_reminders(GUILD, DEE, False)
    assert await world.tick(sid) == ["reminded 2"]  # Monday 09:00, a day before
    await world.sessions.run_due(sid)  # again: nothing new
    first = await world.sent("⏰")
    assert len(first) == 1
    assert sorted(first[0]["allowed_mentions"]["users"]) == sorted([str(HOST), str(ANA)])
    assert world.sessions.runner.when(sid) == utc(2031, 3, 25, 8, 45)
    await world.tick(sid)
    assert len(await world.sent("⏰")) == 2


# -- the start ---------------------------------------------------------------------------------


async def test_at_the_start_the_sprint_starts_itself_with_the_going_members_in_it(
    world: World,
) -> None:
    sid = await world.schedule(norms="cameras optional, mute during work", reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.rsvp(sid, BEN, Rsvp.MAYBE)
    assert await world.tick(sid) == ["started"]
    assert await world.sessions.run_due(sid) == []  # never twice
    first, second = await world.occurrences(sid)
    assert first.status == "started" and first.sprint_id is not None
    async with world.db.transaction() as s:
        sprints = list(await s.scalars(select(Sprint)))
        members = set(
            await s.scalars(
                select(Participant.user_id).where(Participant.sprint_id == sprints[0].id)
            )
        )
    assert len(sprints) == 1 and sprints[0].title == "Writing club"
    assert sprints[0].channel_id == CHANNEL and sprints[0].plan["work_min"] == 25
    assert members == {HOST, ANA}
    (line,) = await world.sent("starts now")
    assert "cameras optional" in line["content"]
    assert sorted(line["allowed_mentions"]["users"]) == sorted([str(HOST), str(ANA)])
    # The standing answers rolled into next week's occurrence.
    assert second.starts_at == utc(2031, 3, 31, 8)
    view = await world.sessions.show(GUILD, sid)
    assert {a.user_id for a in view.next.going} == {HOST, ANA}
    assert [a.user_id for a in view.next.maybe] == [BEN]


async def test_skip_this_one_keeps_the_member_in_the_series(world: World) -> None:
    sid = await world.schedule(reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.rsvp(sid, ANA, Rsvp.SKIP)
    await world.tick(sid)
    async with world.db.transaction() as s:
        members = set(await s.scalars(select(Participant.user_id)))
    assert members == {HOST}
    view = await world.sessions.show(GUILD, sid)
    assert ANA in {a.user_id for a in view.next.going}


async def test_back_before_the_end_starts_once_with_the_time_left_and_says_so(
    database: Database,
) -> None:
    world = make_world(database)
    sid = await world.schedule(reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    # The bot is down at 09:00 and comes back at 09:40 (the plan lasts 55 minutes).
    clock = FakeClock(utc(2031, 3, 24, 9, 40))
    again = make_world(database, clock)
    await again.services.restore()
    armed = again.sessions.runner.when(sid)
    assert armed is not None and armed <= clock.now()  # due: runs as soon as timers start
    assert await again.sessions.run_due(sid) == ["started late"]
    assert await again.sessions.run_due(sid) == []
    (line,) = await again.sent("starts now")
    assert "40 min late" in line["content"]
    async with database.transaction() as s:
        sprint = (await s.scalars(select(Sprint))).one()
    assert sprint.phase_index == 2  # work, break, now the second work round: the time left
    assert sprint.phase_ends_at == utc(2031, 3, 24, 9, 55)


async def test_back_after_the_end_records_the_occurrence_missed(database: Database) -> None:
    world = make_world(database)
    sid = await world.schedule(reminders="none")
    again = make_world(database, FakeClock(utc(2031, 3, 24, 11)))
    await again.services.restore()
    assert await again.sessions.run_due(sid) == ["missed"]
    first, second = await again.occurrences(sid)
    assert first.status == "missed" and first.sprint_id is None
    assert second.status == "upcoming"
    async with database.transaction() as s:
        assert list(await s.scalars(select(Sprint))) == []


async def test_the_sprint_end_records_who_showed_up_and_links_the_series(world: World) -> None:
    sid = await world.schedule(reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.rsvp(sid, BEN, Rsvp.GOING)
    await world.tick(sid)
    occ = (await world.occurrences(sid))[0]
    assert occ.sprint_id is not None
    await world.sessions.here(GUILD, sid, occ.id, ANA, "Ana")  # "I'm here" on the start line
    await world.sessions.here(GUILD, sid, occ.id, HOST, "Host")
    await world.services.sprints.join(occ.sprint_id, CY, "Cy")  # Cy came without an RSVP
    for member in (BEN, ANA, HOST, CY):  # Ben was joined at the start and did nothing
        await world.services.sprints.leave(occ.sprint_id, member)  # the last one ends it
    async with world.db.transaction() as s:
        rows = {a.user_id: a for a in await s.scalars(select(SessionAttendance))}
    assert {u for u, a in rows.items() if a.showed_up} == {HOST, ANA, CY}
    assert rows[BEN].showed_up is False and rows[BEN].said == "going"
    assert rows[CY].said is None and rows[ANA].said == "going"
    (embed,) = await world.embeds("Standing session: Writing club")
    assert f"didn't join: <@{BEN}>" in embed["description"]
    (end,) = [p for p in await world.sent("") if embed in p.get("embeds", [])]
    assert "Writing club" in end["content"]  # on the one message that says the sprint ended
    view = await world.sessions.show(GUILD, sid)
    assert view.last_at == utc(2031, 3, 24, 9)
    assert set(view.last_showed) == {HOST, ANA, CY} and view.last_missed == (BEN,)
    with pytest.raises(Conflict, match="over"):
        await world.sessions.here(GUILD, sid, occ.id, BEN, "Ben")


async def test_a_sprint_that_finishes_on_schedule_brings_the_card_up_to_date(
    world: World,
) -> None:
    sid = await world.schedule(reminders="none", rounds=1)
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.tick(sid)  # the start: the card moves on to next week at once
    occ = (await world.occurrences(sid))[0]
    assert occ.sprint_id is not None
    await world.sessions.here(GUILD, sid, occ.id, ANA, "Ana")
    before = await world.card(sid)
    assert "**Next:** <t:" in before and "Last time" not in before
    while not (await world.services.sprints.get(occ.sprint_id)).is_over:
        await world.next_phase(occ.sprint_id)  # nobody clicks anything
    after = await world.card(sid)
    assert f"**Last time** (<t:{int(utc(2031, 3, 24, 9).timestamp())}:D>)" in after
    assert f"showed up: <@{ANA}>; said they'd come but didn't: <@{HOST}>" in after
    assert f"**Next:** <t:{int(utc(2031, 3, 31, 8).timestamp())}:F>" in after  # 09:00 BST


async def test_a_going_member_joined_at_the_start_who_does_nothing_did_not_show_up(
    world: World,
) -> None:
    sid = await world.schedule(reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.rsvp(sid, BEN, Rsvp.GOING)
    await world.rsvp(sid, CY, Rsvp.GOING)
    await world.tick(sid)
    occ = (await world.occurrences(sid))[0]
    assert occ.sprint_id is not None
    members = set((await world.services.sprints.get(occ.sprint_id)).active_ids)
    assert members == {HOST, ANA, BEN, CY}  # all joined at the start
    # Ana presses Join although she is already in; Ben answers the break's check-in.
    again = await world.services.sprints.join(occ.sprint_id, ANA, "Ana")
    assert again.already
    await world.next_phase(occ.sprint_id)  # the break after round 1
    await world.services.checkins.record(GUILD, occ.sprint_id, 1, BEN, "done")
    while not (await world.services.sprints.get(occ.sprint_id)).is_over:
        await world.next_phase(occ.sprint_id)
    async with world.db.transaction() as s:
        rows = {a.user_id: a.showed_up for a in await s.scalars(select(SessionAttendance))}
    assert rows == {HOST: False, ANA: True, BEN: True, CY: False}


async def test_a_going_member_who_joins_the_voice_channel_showed_up(world: World) -> None:
    sid = await world.schedule(voice_channel_id=VOICE, reminders="none")
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.tick(sid)
    occ = (await world.occurrences(sid))[0]
    assert occ.sprint_id is not None
    assert await world.sessions.voice_seen(GUILD, VOICE, ANA) is True
    assert await world.sessions.voice_seen(GUILD, VOICE + 1, ANA) is False
    await world.services.sprints.leave(occ.sprint_id, ANA)
    await world.services.sprints.leave(occ.sprint_id, HOST)
    async with world.db.transaction() as s:
        rows = {a.user_id: a.showed_up for a in await s.scalars(select(SessionAttendance))}
    assert rows == {HOST: False, ANA: True}


# -- managing ----------------------------------------------------------------------------------


async def test_edit_this_one_changes_only_the_next_occurrence(world: World) -> None:
    sid = await world.schedule(reminders="none")
    view = await world.sessions.edit(
        world.actor(HOST), sid, EditRequest(title="Special edition", when="Tue 10:00")
    )
    assert view.next.title == "Special edition" and view.next.edited
    assert view.next.starts_at == utc(2031, 3, 25, 10)
    assert view.title == "Writing club"
    await world.tick(sid)
    occs = await world.occurrences(sid)
    assert occs[1].starts_at == utc(2031, 3, 31, 8) and occs[1].title is None


async def test_edit_this_and_all_future_moves_the_series(world: World) -> None:
    sid = await world.schedule(reminders="none")
    view = await world.sessions.edit(
        world.actor(HOST, manager=False),
        sid,
        EditRequest(future=True, when="Tue 10:00", capacity=5),
    )
    assert view.next.starts_at == utc(2031, 3, 25, 10)
    assert view.capacity == 5 and view.rrule is not None and "BYDAY=TU" in view.rrule
    await world.tick(sid)
    assert (await world.occurrences(sid))[1].starts_at == utc(2031, 4, 1, 9)  # BST: 10:00 local


async def test_only_the_creator_or_a_manager_edits_skips_or_cancels(world: World) -> None:
    sid = await world.schedule()
    for call in (
        world.sessions.edit(world.actor(ANA), sid, EditRequest(title="Mine now")),
        world.sessions.skip(world.actor(ANA), sid),
        world.sessions.cancel(world.actor(ANA), sid),
    ):
        with pytest.raises(PermissionDenied, match="Manage Server"):
            await call
    skipped, view = await world.sessions.skip(world.actor(ANA, manager=True), sid)
    assert skipped == utc(2031, 3, 24, 9)
    assert view.next.starts_at == utc(2031, 3, 31, 8)
    assert view.exdates == (datetime(2031, 3, 24, 9, 0),)


async def test_cancel_stops_the_timer_and_keeps_the_history(world: World) -> None:
    sid = await world.schedule()
    await world.sessions.cancel(world.actor(HOST), sid)
    assert world.sessions.runner.when(sid) is None
    (occ,) = await world.occurrences(sid)
    assert occ.status == "cancelled"
    with pytest.raises(Conflict, match="already cancelled"):
        await world.sessions.cancel(world.actor(HOST), sid)
    assert await world.sessions.upcoming(GUILD) == []


async def test_a_member_who_leaves_gets_no_more_pings(world: World) -> None:
    sid = await world.schedule()
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.sessions.leave(GUILD, sid, ANA)
    with pytest.raises(Conflict, match="not in"):
        await world.sessions.leave(GUILD, sid, ANA)
    await world.tick(sid)
    (reminder,) = await world.sent("⏰")
    assert reminder["allowed_mentions"]["users"] == [str(HOST)]


async def test_a_deleted_voice_channel_is_left_out_of_the_start_which_says_so(
    world: World,
) -> None:
    sid = await world.schedule(voice_channel_id=VOICE, reminders="none")
    assert await world.sessions.channel_deleted(GUILD, VOICE) == [sid]
    await world.tick(sid)
    async with world.db.transaction() as s:
        sprint = (await s.scalars(select(Sprint))).one()
    assert sprint.voice_channel_id is None
    (line,) = await world.sent("starts now")
    assert "voice channel no longer exists" in line["content"]


async def test_another_servers_series_is_not_found(world: World) -> None:
    sid = await world.schedule()
    with pytest.raises(NotFound):
        await world.sessions.show(GUILD + 1, sid)


async def test_the_calendar_file_carries_the_rule_and_the_zone(world: World) -> None:
    sid = await world.schedule(repeat="weekly on mon,wed")
    cal = await world.sessions.calendar(GUILD, sid)
    text = cal.ics.decode()
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO,WE" in text
    assert "DTSTART;TZID=Europe/London:20310324T090000" in text
    assert cal.filename == "writing-club.ics"
    assert cal.google is not None and "calendar.google.com" in cal.google


async def test_restore_rearms_each_series_at_its_next_reminder_start_or_offer_expiry(
    database: Database,
) -> None:
    world = make_world(database)
    plain = await world.schedule(reminders="1d, 15m")
    full = await world.schedule(title="Full house", capacity=1, when="Tue 10:00")
    await world.rsvp(full, ANA, Rsvp.GOING)  # waits: the host holds the only place
    await world.sessions.leave(GUILD, full, HOST)  # Ana is offered it, for 30 minutes
    cancelled = await world.schedule(title="Gone")
    await world.sessions.cancel(world.actor(HOST), cancelled)

    again = make_world(database)
    await again.services.restore()
    # The day-before reminder had passed when it was scheduled (Sunday noon): not sent late.
    assert again.sessions.runner.when(plain) == utc(2031, 3, 24, 8, 45)
    assert again.sessions.runner.when(full) == T0 + timedelta(minutes=30)
    assert again.sessions.runner.when(cancelled) is None
    assert await again.tick(plain) == ["reminded 1"]
    later = make_world(database, again.clock)
    await later.services.restore()
    assert later.sessions.runner.when(plain) == utc(2031, 3, 24, 9)  # the start


async def test_a_member_who_leaves_the_server_leaves_its_series_and_frees_the_place(
    world: World,
) -> None:
    sid = await world.schedule(capacity=2)
    await world.rsvp(sid, ANA, Rsvp.GOING)
    await world.rsvp(sid, BEN, Rsvp.GOING)  # waits
    assert await world.sessions.member_left(GUILD, ANA) == [sid]
    view = await world.sessions.show(GUILD, sid)
    assert ANA not in {a.user_id for a in view.next.going}
    (offer,) = await world.sent("a place opened up")
    assert offer["allowed_mentions"]["users"] == [str(BEN)]
    assert await world.sessions.member_left(GUILD, ANA) == []


async def test_a_herd_of_series_due_at_once_waits_for_a_sprint_phase_change(world: World) -> None:
    """Series timers run in the scheduler's bulk lane: a sprint's phase change due at the same
    instant as twenty series goes first, not behind them."""
    ids = [await world.schedule(title=f"Herd {i}", reminders="none") for i in range(20)]
    order: list[str] = []
    run_due = world.sessions.runner.run_due

    all_ran = asyncio.Event()

    def ran(what: str) -> None:
        order.append(what)
        if len(order) == len(ids) + 1:
            all_ran.set()

    async def traced_run_due(series_id: int) -> list[str]:
        done: list[str] = await run_due(series_id)
        ran(f"series {series_id}")
        return done

    async def phase_change() -> None:
        ran("sprint")

    world.sessions.runner.run_due = traced_run_due  # type: ignore[method-assign]
    due = datetime.now(UTC) + timedelta(milliseconds=300)
    for series_id in ids:
        world.sessions.runner.arm(series_id, due)
    world.timers.arm("sprint:1", due, phase_change)  # the urgent lane, like a sprint's timer
    world.timers.start()
    try:
        async with asyncio.timeout(20):
            await all_ran.wait()
    finally:
        await world.timers.aclose()
    assert order.index("sprint") <= 1  # at most one series transaction overlapped it
