"""Slot offers at the service level: both confirmation modes, direct offers, expiry, the race
for one slot, stale presses, withdraw, restarts, /findtime drafts and bad input.

Real SQLite (and PostgreSQL when configured); the timers are real but never started, so a test
reads the armed time, moves the FakeClock there and runs what the timer would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.domain.errors import Conflict, NotFound, PermissionDenied, UserError, ValidationError
from bot.scheduler import Timers
from bot.services import Services
from bot.services.actor import Actor
from bot.services.context import NullWaker, ServiceContext
from bot.services.offers import OfferMode, OfferRequest, OfferStatus, OfferView, timer_key
from bot.services.sessions import Rsvp
from bot.settings import Settings
from db.engine import Database
from db.models import OutboxMessage, SessionSeries, SlotOffer, SlotOfferSlot, SlotOfferTaker
from tests.services.stats_world import traces

GUILD, CHANNEL = 10**17 + 1, 10**17 + 2
HOST, ANA, BEN, CY, DEE, BOT = (10**17 + 100 + i for i in range(6))
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
    def offers(self) -> Any:
        return self.services.offers

    async def offer(self, *slots: str, **kw: Any) -> OfferView:
        fields: dict[str, Any] = {
            "guild_id": GUILD,
            "channel_id": CHANNEL,
            "offerer_id": HOST,
            "offerer_name": "Host",
            "slots": slots or ("Mon 9:00", "Tue 9:00"),
            "zone": "Europe/London",
            "work": 25,
            "brk": 5,
            "rounds": 2,
        }
        fields.update(kw)
        view: OfferView = await self.offers.offer(OfferRequest(**fields))
        return view

    async def take(self, offer_id: int, position: int, user: int) -> Any:
        return await self.offers.take(GUILD, offer_id, position, user, NAMES[user])

    async def expire_now(self, offer_id: int) -> OfferView | None:
        when = self.timers.when(timer_key(offer_id))
        assert when is not None, "the offer has no timer armed"
        self.clock.set(max(when, self.clock.now()))
        view: OfferView | None = await self.offers.expire(offer_id)
        return view

    async def payloads(self, offer_id: int, kind: str) -> list[dict[str, Any]]:
        async with self.db.transaction() as s:
            rows = await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == f"offer:{offer_id}", OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
            return [r.payload for r in rows]

    async def count(self, model: Any) -> int:
        async with self.db.transaction() as s:
            return int(await s.scalar(select(func.count()).select_from(model)) or 0)


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


# -- first taker confirms ----------------------------------------------------------------------


async def test_an_offer_posts_its_card_with_slots_in_time_order_and_arms_the_expiry(
    world: World,
) -> None:
    view = await world.offer("Tue 9:00", "Mon 9:00")
    assert view.mode is OfferMode.FIRST and view.max_people == 2 and view.min_people is None
    assert [s.starts_at for s in view.slots] == [utc(2031, 3, 24, 9), utc(2031, 3, 25, 9)]
    assert view.expires_at == utc(2031, 3, 24, 9)  # the first slot's start
    assert view.title == "Coworking" and "2 rounds of 25 min work" in view.plan_text
    assert world.timers.when(timer_key(view.id)) == view.expires_at
    (card,) = await world.payloads(view.id, "send")
    labels = [b["label"] for row in card["components"] for b in row["components"]]
    assert labels == ["Take slot 1", "Take slot 2", "Withdraw"]


async def test_the_first_taker_confirms_a_session_at_that_instant_with_both_going(
    world: World,
) -> None:
    view = await world.offer("Mon 9:00", "Tue 9:00")
    result = await world.take(view.id, 2, ANA)
    assert result.confirmed and result.ticked and result.position == 2
    assert result.view.status is OfferStatus.CONFIRMED and result.view.confirmed_position == 2
    series = await world.services.sessions.show(GUILD, result.series_id)
    assert series.next.starts_at == utc(2031, 3, 25, 9)
    assert series.rrule is None and series.capacity == 2 and series.creator_id == HOST
    assert {a.user_id for a in series.next.going} == {HOST, ANA}
    # The card closed (no buttons) and the channel heard who goes, with the time.
    edit = (await world.payloads(view.id, "edit"))[-1]
    assert edit["components"] == []
    assert "Confirmed: slot 2" in edit["embeds"][0]["description"]
    line = (await world.payloads(view.id, "send"))[-1]
    stamp = int(utc(2031, 3, 25, 9).timestamp())
    assert f"<t:{stamp}:F>" in line["content"]
    assert line["allowed_mentions"]["users"] == [str(HOST), str(ANA)]
    # The expiry is disarmed; the session's own timer (its reminder) is armed.
    assert world.timers.when(timer_key(view.id)) is None
    assert world.services.sessions.runner.when(result.series_id) == utc(2031, 3, 25, 8, 45)


async def test_the_session_keeps_the_plan_repeat_and_zone_of_the_offer(world: World) -> None:
    view = await world.offer("Mon 9:00", "Wed 9:00", repeat="weekly", title="Thesis")
    assert view.repeat_text == "every week"
    result = await world.take(view.id, 2, BEN)
    async with world.db.transaction() as s:
        series = await s.get(SessionSeries, result.series_id)
        assert series is not None
        assert series.title == "Thesis" and series.zone == "Europe/London"
        assert series.rrule is not None and "BYDAY=WE" in series.rrule
        assert series.first_local == datetime(2031, 3, 26, 9, 0)
        assert series.plan["work_min"] == 25 and series.plan["rounds"] == 2


async def test_slots_are_typed_in_the_offerers_own_zone(world: World) -> None:
    await world.services.timezones.set_member_zone(HOST, "Asia/Kolkata")
    view = await world.offer("tomorrow 18:30", "in 90 min", zone=None)
    assert [s.starts_at for s in view.slots] == [
        utc(2031, 3, 23, 13, 31),  # in 90 min, to the next minute
        utc(2031, 3, 24, 13, 0),  # 18:30 IST
    ]


async def test_the_offerer_never_takes_their_own_offer(world: World) -> None:
    view = await world.offer()
    with pytest.raises(Conflict, match="your offer"):
        await world.offers.take(GUILD, view.id, 1, HOST, "Host")
    assert await world.count(SlotOfferTaker) == 0


# -- enough people confirm ---------------------------------------------------------------------


async def test_ticks_toggle_and_a_slot_reaching_the_minimum_confirms_with_its_takers(
    world: World,
) -> None:
    view = await world.offer(min_people=3, max_people=4)
    assert view.mode is OfferMode.ENOUGH
    first = await world.take(view.id, 1, ANA)
    assert first.ticked and not first.confirmed
    assert [t.user_id for t in first.view.slot(1).takers] == [ANA]
    undo = await world.take(view.id, 1, ANA)
    assert not undo.ticked and undo.view.slot(1).takers == ()
    await world.take(view.id, 2, ANA)
    await world.take(view.id, 1, CY)
    done = await world.take(view.id, 2, BEN)  # slot 2: Host, Ana, Ben = 3
    assert done.confirmed and done.view.confirmed_position == 2
    series = await world.services.sessions.show(GUILD, done.series_id)
    assert {a.user_id for a in series.next.going} == {HOST, ANA, BEN}
    assert series.capacity == 4
    line = (await world.payloads(view.id, "send"))[-1]
    assert f"<@{CY}>: slot 2 won" in line["content"]  # Cy ticked slot 1 only: told which won
    with pytest.raises(Conflict, match="Too late"):
        await world.take(view.id, 1, DEE)


async def test_a_full_slot_refuses_another_tick(world: World) -> None:
    view = await world.offer(max_people=3)
    await world.take(view.id, 1, ANA)
    await world.take(view.id, 1, BEN)
    with pytest.raises(Conflict, match=r"Slot 1 is full \(3 people counting"):
        await world.take(view.id, 1, CY)
    await world.take(view.id, 2, CY)  # another slot still has room


async def test_at_the_expiry_the_slot_with_most_people_wins_and_a_tie_goes_earlier(
    world: World,
) -> None:
    view = await world.offer("Mon 9:00", "Tue 9:00", "Wed 9:00", max_people=5, expires="Sun 20:00")
    await world.take(view.id, 2, ANA)
    await world.take(view.id, 3, BEN)
    closed = await world.expire_now(view.id)
    assert closed is not None and closed.status is OfferStatus.CONFIRMED
    assert closed.confirmed_position == 2  # one each: the earlier slot
    series = await world.services.sessions.show(GUILD, closed.series_id)
    assert {a.user_id for a in series.next.going} == {HOST, ANA}


async def test_a_started_slot_cannot_win_at_the_expiry(world: World) -> None:
    view = await world.offer("Mon 9:00", "Tue 9:00", max_people=5)  # expires Mon 9:00
    await world.take(view.id, 1, ANA)
    await world.take(view.id, 1, BEN)
    await world.take(view.id, 2, CY)
    closed = await world.expire_now(view.id)
    assert closed is not None and closed.confirmed_position == 2


async def test_with_no_taker_or_a_minimum_not_reached_the_offer_expires(world: World) -> None:
    nobody = await world.offer(max_people=5)
    short = await world.offer(min_people=4, expires="Sun 20:00")
    await world.take(short.id, 1, ANA)
    pair = await world.offer()
    for view in (nobody, short, pair):
        closed = await world.expire_now(view.id)
        assert closed is not None and closed.status is OfferStatus.EXPIRED
        edit = (await world.payloads(view.id, "edit"))[-1]
        assert edit["components"] == [] and "expired" in edit["embeds"][0]["description"]
    assert await world.count(SessionSeries) == 0
    with pytest.raises(Conflict, match="expired"):
        await world.take(pair.id, 2, ANA)


# -- direct offers, stale presses, withdraw ----------------------------------------------------


async def test_a_direct_offer_only_takes_its_targets(world: World) -> None:
    view = await world.offer(targets=(ANA, BEN), max_people=3)
    with pytest.raises(PermissionDenied, match=rf"for <@{ANA}> and <@{BEN}> only\."):
        await world.take(view.id, 1, CY)
    assert (await world.take(view.id, 1, BEN)).ticked


async def test_a_slot_that_started_cannot_be_taken(world: World) -> None:
    view = await world.offer("Mon 9:00", "Tue 9:00", expires="Mon 12:00")
    world.clock.set(utc(2031, 3, 24, 10))
    with pytest.raises(Conflict, match=r"Slot 1 started <t:\d+:R>; pick a later one\."):
        await world.take(view.id, 1, ANA)
    assert (await world.take(view.id, 2, ANA)).confirmed


async def test_withdraw_is_for_the_offerer_or_a_manager_and_closes_the_card(
    world: World,
) -> None:
    view = await world.offer()
    with pytest.raises(PermissionDenied, match="Only <@"):
        await world.offers.withdraw(Actor(ANA, GUILD), view.id)
    closed = await world.offers.withdraw(Actor(ANA, GUILD, manage_guild=True), view.id)
    assert closed.status is OfferStatus.WITHDRAWN
    assert world.timers.when(timer_key(view.id)) is None
    edit = (await world.payloads(view.id, "edit"))[-1]
    assert edit["components"] == [] and "withdrawn" in edit["embeds"][0]["description"]
    with pytest.raises(Conflict, match="withdrawn"):
        await world.take(view.id, 1, BEN)
    with pytest.raises(Conflict, match="withdrawn"):
        await world.offers.withdraw(Actor(HOST, GUILD), view.id)


async def test_presses_on_unknown_offers_or_another_servers_get_a_sentence(
    world: World,
) -> None:
    view = await world.offer()
    with pytest.raises(NotFound, match="can't find that offer"):
        await world.take(view.id + 99, 1, ANA)
    with pytest.raises(NotFound):
        await world.offers.take(GUILD + 1, view.id, 1, ANA, "Ana")
    with pytest.raises(Conflict, match="no slot 5"):
        await world.take(view.id, 5, ANA)


async def test_a_press_after_the_expiry_before_its_timer_ran_decides_first(
    world: World,
) -> None:
    view = await world.offer(max_people=5, expires="Sun 20:00")
    await world.take(view.id, 2, ANA)
    world.clock.set(utc(2031, 3, 23, 20, 1))  # the timer is late
    with pytest.raises(Conflict, match="Too late: slot 2 was confirmed a moment ago"):
        await world.take(view.id, 1, BEN)
    with pytest.raises(Conflict, match="confirmed: slot 2, and you're going"):
        await world.take(view.id, 2, ANA)  # a winner pressing again is told so, not "too late"
    shown = await world.offers.show(GUILD, view.id)
    assert shown.status is OfferStatus.CONFIRMED and shown.series_id is not None


# -- the race ----------------------------------------------------------------------------------


async def test_two_members_pressing_the_same_slot_at_once_get_one_confirmation(
    world: World,
) -> None:
    view = await world.offer()
    results = await asyncio.gather(
        world.take(view.id, 1, ANA), world.take(view.id, 1, BEN), return_exceptions=True
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and won[0].confirmed and len(lost) == 1
    winner = won[0].view.slot(1).takers[0].user_id
    assert isinstance(lost[0], Conflict)
    assert str(lost[0]).startswith(f"Too late: <@{winner}> took slot 1 a moment ago")
    assert await world.count(SessionSeries) == 1
    assert await world.count(SlotOfferTaker) == 1


async def test_the_race_for_the_last_place_of_an_enough_offer_confirms_once(
    world: World,
) -> None:
    view = await world.offer(min_people=3, max_people=3)
    await world.take(view.id, 1, ANA)
    results = await asyncio.gather(
        world.take(view.id, 1, BEN), world.take(view.id, 1, CY), return_exceptions=True
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and won[0].confirmed
    assert [type(r) for r in results if isinstance(r, BaseException)] == [Conflict]
    series = await world.services.sessions.show(GUILD, won[0].series_id)
    assert len(series.next.going) == 3


# -- restarts ----------------------------------------------------------------------------------


async def test_restore_rearms_open_offers_and_decides_the_ones_that_expired_while_down(
    database: Database,
) -> None:
    world = make_world(database)
    later = await world.offer("Tue 9:00", expires="Mon 20:00", max_people=4)
    missed = await world.offer("Mon 9:00", "Tue 9:00", expires="Sun 20:00", max_people=4)
    await world.take(missed.id, 2, ANA)
    gone = await world.offer()
    await world.offers.withdraw(Actor(HOST, GUILD), gone.id)
    # The bot was down from here until Sunday 21:00.
    again = make_world(database, FakeClock(utc(2031, 3, 23, 21)))
    await again.services.restore()
    assert again.timers.when(timer_key(later.id)) == utc(2031, 3, 24, 20)
    assert again.timers.when(timer_key(missed.id)) is None
    assert again.timers.when(timer_key(gone.id)) is None
    decided = await again.offers.show(GUILD, missed.id)
    assert decided.status is OfferStatus.CONFIRMED and decided.confirmed_position == 2
    assert decided.series_id is not None
    assert again.services.sessions.runner.when(decided.series_id) is not None


# -- reading -----------------------------------------------------------------------------------


async def test_list_choices_and_show(world: World) -> None:
    mine = await world.offer(title="Deep work")
    other = await world.offer(offerer_id=ANA, offerer_name="Ana", title="Reading")
    closed = await world.offer()
    await world.offers.withdraw(Actor(HOST, GUILD), closed.id)
    assert [v.id for v in await world.offers.open_offers(GUILD)] == [mine.id, other.id]
    assert await world.offers.choices(GUILD, HOST, "deep") == [(f"Deep work (#{mine.id})", mine.id)]
    assert await world.offers.choices(GUILD, HOST, "read") == []
    assert (await world.offers.show(GUILD, other.id)).offerer_name == "Ana"


# -- drafts from /findtime ---------------------------------------------------------------------


async def test_a_findtime_draft_is_offered_once_by_the_one_who_ran_it(world: World) -> None:
    slots = [utc(2031, 3, 25, 9), utc(2031, 3, 24, 17)]
    did = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", slots, [HOST, ANA], 60)
    assert await world.count(OutboxMessage) == 0  # nothing posted yet
    with pytest.raises(Conflict, match="haven't been offered"):
        await world.take(did, 1, ANA)
    with pytest.raises(PermissionDenied, match="who ran `/findtime`"):
        await world.offers.offer_draft(GUILD, did, ANA, "Ana")
    view = await world.offers.offer_draft(GUILD, did, HOST, "Host")
    assert view.status is OfferStatus.OPEN and view.targets == (ANA,)
    assert view.mode is OfferMode.FIRST and view.title == "Coworking"
    assert [s.starts_at for s in view.slots] == [utc(2031, 3, 24, 17), utc(2031, 3, 25, 9)]
    assert world.timers.when(timer_key(did)) == utc(2031, 3, 24, 17)
    with pytest.raises(Conflict, match="Already offered"):
        await world.offers.offer_draft(GUILD, did, HOST, "Host")
    assert (await world.take(did, 1, ANA)).confirmed


async def test_a_group_draft_needs_everyone_and_old_drafts_get_a_sentence(world: World) -> None:
    slots = [utc(2031, 3, 24, 17)]
    group = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", slots, [ANA, BEN, CY], 45)
    stale = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", slots, [ANA], 45)
    view = await world.offers.offer_draft(GUILD, group, HOST, "Host")
    assert view.mode is OfferMode.ENOUGH and view.min_people == 4 and view.max_people is None
    world.clock.set(T0 + timedelta(hours=25))
    with pytest.raises(Conflict, match="more than a day old"):
        await world.offers.offer_draft(GUILD, stale, HOST, "Host")
    late = await world.offers.draft(
        GUILD, CHANNEL, HOST, "Host", [T0 + timedelta(hours=26)], [ANA], 45
    )
    world.clock.set(T0 + timedelta(hours=27))
    with pytest.raises(Conflict, match="already started"):
        await world.offers.offer_draft(GUILD, late, HOST, "Host")


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"slots": ()}, "at least one slot"),
        ({"slots": ("Mon 9:00",) * 6}, "up to 5 slots"),
        ({"slots": ("2031-03-20 09:00",)}, "Slot 1: .*passed"),
        ({"slots": ("Mon 9:00", "yesterday 12:00")}, "Slot 2: Sat 22 Mar 2031 12:00 .*passed"),
        ({"expires": "yesterday 18:00"}, "The expiry: Sat 22 Mar 2031 18:00 .*passed"),
        ({"slots": ("Mon 9:00", "Tue 9:00", "24 Mar 09:00")}, "Slots 1 and 3 are the same time"),
        ({"slots": ("Mon 9:00", "Funday")}, "Slot 2: .*can't read"),
        ({"slots": ("25:00",)}, "Slot 1: .*25:00"),
        ({"expires": "whenever"}, "The expiry: "),
        ({"expires": "in 0 min"}, "The expiry: "),
        ({"expires": "Wed 9:00"}, "after the last slot"),
        ({"min_people": 1}, "2 to 99"),
        ({"min_people": 100}, "2 to 99"),
        ({"max_people": 1}, "2 to 99"),
        ({"max_people": 100}, "2 to 99"),
        ({"min_people": 5, "max_people": 3}, "more than the maximum"),
        ({"title": "x" * 101}, "100"),
        ({"targets": (BOT,), "bots": (BOT,)}, "is a bot"),
        ({"targets": (DEE,), "strangers": (DEE,)}, "isn't in this server"),
        ({"targets": (HOST,)}, "to yourself"),
        ({"targets": tuple(range(1, 7))}, "up to 5 members"),
        ({"repeat": "fortnightly-ish"}, "repeat"),
        ({"repeat": "weekly on wed"}, "Slot 1: .*not one of the repeat days"),
        ({"zone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"work": 500}, "Work"),
        ({"can_post": False}, "I can't post in"),
    ],
)
async def test_bad_input_gets_a_sentence_and_stores_nothing(
    world: World, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(UserError, match=words) as caught:
        await world.offer(**fields)
    assert isinstance(caught.value, ValidationError | PermissionDenied)
    assert "\n" not in str(caught.value)
    for model in (SlotOffer, SlotOfferSlot, OutboxMessage):
        assert await world.count(model) == 0


async def test_a_member_who_asked_not_to_be_tracked_can_neither_offer_nor_take(
    world: World,
) -> None:
    view = await world.offer()
    await world.services.privacy.set_tracking(ANA, False)
    with pytest.raises(Conflict, match="not to keep anything"):
        await world.take(view.id, 1, ANA)
    with pytest.raises(Conflict, match="not to keep anything"):
        await world.offer(offerer_id=ANA)


async def test_an_rsvp_on_the_confirmed_sessions_card_works_as_for_any_session(
    world: World,
) -> None:
    view = await world.offer(max_people=3, expires="Sun 20:00")
    await world.take(view.id, 1, ANA)
    closed = await world.expire_now(view.id)
    assert closed is not None and closed.series_id is not None
    result = await world.services.sessions.rsvp(
        GUILD, closed.series_id, None, BEN, "Ben", Rsvp.GOING
    )
    assert result.status is Rsvp.GOING  # the third place (capacity = the offer's maximum)
    late = await world.services.sessions.rsvp(GUILD, closed.series_id, None, CY, "Cy", Rsvp.GOING)
    assert late.status is Rsvp.WAITLIST


# -- privacy -----------------------------------------------------------------------------------


async def test_forget_me_leaves_no_trace_of_a_taker_or_a_target(world: World) -> None:
    direct = await world.offer(targets=(ANA, BEN), max_people=4, title="With Ana")
    await world.take(direct.id, 1, ANA)
    exported = await world.services.privacy.export(ANA)
    assert "slot_offer_takers" in exported.data.decode()
    await world.services.privacy.forget(ANA)
    assert await traces(world.db, ANA, "Ana") == []
    shown = await world.offers.show(GUILD, direct.id)
    assert ANA not in shown.targets and BEN in shown.targets and len(shown.targets) == 2
    assert shown.slot(1).takers == ()


async def test_forget_me_withdraws_my_open_offers_and_keeps_confirmed_ones_anonymous(
    world: World,
) -> None:
    open_one = await world.offer()
    confirmed = await world.offer()
    await world.take(confirmed.id, 1, BEN)
    counted = await world.services.privacy.show(HOST)
    assert counted.counts["slot offers made"] == 2
    await world.services.privacy.forget(HOST)
    assert await traces(world.db, HOST, "\x00") == []
    gone = await world.offers.show(GUILD, open_one.id)
    assert gone.status is OfferStatus.WITHDRAWN and gone.offerer_id < 0
    with pytest.raises(Conflict, match="withdrawn"):
        await world.take(open_one.id, 1, CY)
    kept = await world.offers.show(GUILD, confirmed.id)
    assert kept.status is OfferStatus.CONFIRMED and kept.offerer_name == "a former member"


async def test_a_draft_drops_suggestions_already_started_and_refuses_when_none_is_left(
    world: World,
) -> None:
    did = await world.offers.draft(
        GUILD, CHANNEL, HOST, "Host", [T0, utc(2031, 3, 24, 9)], [ANA], 30
    )
    view = await world.offers.offer_draft(GUILD, did, HOST, "Host")
    assert [s.starts_at for s in view.slots] == [utc(2031, 3, 24, 9)]
    with pytest.raises(ValidationError, match="at least one slot"):
        await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [T0], [ANA], 30)


async def test_slots_across_the_spring_change_are_the_wall_times_typed(world: World) -> None:
    view = await world.offer("Sat 9:00", "30 Mar 9:00", "30 Mar 01:30")
    assert [s.starts_at for s in view.slots] == [
        utc(2031, 3, 29, 9),  # 09:00 GMT
        utc(2031, 3, 30, 1, 30),  # 01:30 doesn't exist that night: 02:30 BST
        utc(2031, 3, 30, 8),  # 09:00 BST
    ]
    result = await world.take(view.id, 3, ANA)
    series = await world.services.sessions.show(GUILD, result.series_id)
    assert series.next.starts_at == utc(2031, 3, 30, 8)
    assert series.first_local == datetime(2031, 3, 30, 9, 0)
