"""Slot offers end to end: the real bot over loopback, real discord.py, the local server.

Alice offers times with /offer slots; members press the card's buttons. First taker confirms
(two slots, Bob takes one: a session with both Going, the card closed, the channel told), enough
people confirm (a minimum of three; no minimum: the most people at the expiry, a tie to the
earlier slot), a direct offer, an offer nobody takes, two members pressing the last place at
once, a restart with offers open, withdrawing, and bad input. Timers run on a FakeClock: a test
checks what the expiry timer was armed for, moves the clock there and runs what it runs.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.ids import offer_take_id, offer_withdraw_id
from bot.localdiscord import LocalDiscord
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.offers import timer_key as offer_timer_key
from bot.services.offers.types import OfferStatus
from db.engine import Database
from db.models import SessionSeries
from tests.e2e.offer_support import (
    MONDAY_9,
    START,
    TUESDAY_9,
    Club,
    card,
    going,
    lines,
    make_club,
    offer,
    only_offer,
    pinged,
    press_stale,
    reply,
    stamp,
)
from tests.e2e.support import drained, sprintbot


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    return make_club(server)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def test_first_taker_confirms_a_session_with_both_going_and_the_others_told(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        done = await offer(club, slot1="Mon 9:00", slot2="Tue 9:00", title="Pair writing")
        assert done.ephemeral and "Offered 2 slots" in done.content
        assert stamp(MONDAY_9, "R") in done.content  # it closes at the first slot's start
        await drained(bot)
        view = await only_offer(bot, club)
        shown = card(club, view.id)
        text = shown.embeds[0]["description"]
        assert stamp(MONDAY_9, "F") in text and stamp(TUESDAY_9, "F") in text
        assert [b["label"] for b in shown.buttons] == ["Take slot 1", "Take slot 2", "Withdraw"]

        before = copy.deepcopy(shown)  # as a client that hasn't seen the card close yet
        own = await reply(await driver.click(club.alice, shown, offer_take_id(view.id, 1)))
        assert own.ephemeral and "This is your offer" in own.content
        took = await reply(await driver.click(club.bob, shown, offer_take_id(view.id, 2)))
        assert took.ephemeral and "Confirmed: **Pair writing**" in took.content
        assert stamp(TUESDAY_9, "F") in took.content
        assert f"You and <@{club.alice.user.id}> are going." in took.content
        assert took.attachments and took.attachments[0].filename.endswith(".ics")
        assert "Google Calendar" in took.content
        await drained(bot)

        closed = card(club, view.id)
        assert closed.buttons == []
        assert "Confirmed: slot 2" in closed.embeds[0]["description"]
        (told,) = lines(club, "is on, slot 2")
        assert pinged(told) == {club.alice.user.id, club.bob.user.id}
        assert stamp(TUESDAY_9, "F") in told.content
        after = await bot.services.offers.show(club.guild.id, view.id)
        assert after.status is OfferStatus.CONFIRMED and after.series_id is not None
        assert await going(bot, club, after.series_id) == {club.alice.user.id, club.bob.user.id}

        late = await reply(press_stale(club, club.cat, before, offer_take_id(view.id, 1)))
        assert late.ephemeral and "slot 2" in late.content  # what happened to it
        listed = await reply(await driver.slash(club.cat, club.general, "offer list"))
        assert listed.ephemeral and "No open offers" in listed.content
    assert problems(club.server, error_log) == []


async def test_enough_people_a_slot_reaching_the_minimum_is_confirmed_at_once(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        done = await offer(club, slot1="Mon 9:00", slot2="Tue 9:00", min=3, max=4)
        assert "Offered 2 slots" in done.content and "tick" in done.content
        await drained(bot)
        view = await only_offer(bot, club)
        shown = card(club, view.id)
        slot1, slot2 = offer_take_id(view.id, 1), offer_take_id(view.id, 2)

        ticked = await reply(await driver.click(club.bob, shown, slot1))
        assert ticked.ephemeral and "You can make slot 1 (2 of 3)" in ticked.content
        off = await reply(await driver.click(club.bob, shown, slot1))
        assert "Un-ticked" in off.content and "(1 of 3)" in off.content
        await reply(await driver.click(club.bob, shown, slot1))
        other = await reply(await driver.click(club.dan, shown, slot2))
        assert "You can make slot 2 (2 of 3)" in other.content
        await drained(bot)
        assert "Slot 1 · 2/4" in [b["label"] for b in card(club, view.id).buttons]

        third = await reply(await driver.click(club.cat, shown, slot1))
        assert "Confirmed:" in third.content and stamp(MONDAY_9, "F") in third.content
        assert third.attachments and third.attachments[0].filename.endswith(".ics")
        await drained(bot)
        assert card(club, view.id).buttons == []
        (told,) = lines(club, "is on, slot 1")
        trio = {club.alice.user.id, club.bob.user.id, club.cat.user.id}
        assert trio <= pinged(told)
        assert f"<@{club.dan.user.id}>" in told.content  # ticked slot 2 only: told which won
        after = await bot.services.offers.show(club.guild.id, view.id)
        assert after.series_id is not None
        assert await going(bot, club, after.series_id) == trio
    assert problems(club.server, error_log) == []


async def test_enough_people_without_a_minimum_the_most_wins_at_expiry_a_tie_the_earlier(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(
            club, slot1="Mon 9:00", slot2="Tue 9:00", max=5, title="Most", expires="Mon 8:00"
        )
        await offer(
            club, slot1="Mon 9:00", slot2="Tue 9:00", max=5, title="Tie", expires="Mon 8:00"
        )
        await drained(bot)
        views = {v.title: v for v in await bot.services.offers.open_offers(club.guild.id)}
        most, tie = views["Most"], views["Tie"]
        for member, slot in ((club.bob, 1), (club.bob, 2), (club.cat, 2), (club.dan, 2)):
            await reply(
                await driver.click(member, card(club, most.id), offer_take_id(most.id, slot))
            )
        for member, slot in ((club.cat, 2), (club.bob, 1)):
            ticked = await reply(
                await driver.click(member, card(club, tie.id), offer_take_id(tie.id, slot))
            )
            assert "so far" in ticked.content  # no minimum: nothing confirms early
        expiry = MONDAY_9 - timedelta(hours=1)
        assert (await bot.services.offers.show(club.guild.id, most.id)).expires_at == expiry
        clock.set(expiry)
        for view in (most, tie):
            await bot.services.offers.expire(view.id)
        await drained(bot)
        won = await bot.services.offers.show(club.guild.id, most.id)
        assert won.status is OfferStatus.CONFIRMED and won.confirmed_position == 2
        assert won.series_id is not None
        assert await going(bot, club, won.series_id) == {
            club.alice.user.id,
            club.bob.user.id,
            club.cat.user.id,
            club.dan.user.id,
        }
        tied = await bot.services.offers.show(club.guild.id, tie.id)
        assert tied.confirmed_position == 1  # one each: the earlier slot
        assert card(club, most.id).buttons == [] and card(club, tie.id).buttons == []
        assert "Confirmed: slot 2" in card(club, most.id).embeds[0]["description"]
    assert problems(club.server, error_log) == []


async def test_a_direct_offer_refuses_others_and_its_target_takes_it(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        done = await offer(club, slot1="Mon 9:00", to=club.bob, repeat="weekly")
        assert f"to <@{club.bob.user.id}> only" in done.content
        await drained(bot)
        view = await only_offer(bot, club)
        shown = card(club, view.id)
        assert f"<@{club.bob.user.id}>" in shown.embeds[0]["description"]
        refused = await reply(await driver.click(club.cat, shown, offer_take_id(view.id, 1)))
        assert refused.ephemeral and f"for <@{club.bob.user.id}> only" in refused.content
        took = await reply(await driver.click(club.bob, shown, offer_take_id(view.id, 1)))
        assert "Confirmed:" in took.content
        # repeat:weekly — the confirmed slot starts a weekly series with both of them in it.
        after = await bot.services.offers.show(club.guild.id, view.id)
        assert after.series_id is not None
        series = await bot.services.sessions.show(club.guild.id, after.series_id)
        assert series.next is not None and series.next.starts_at == MONDAY_9
        assert "week" in series.repeat_text.lower() or "monday" in series.repeat_text.lower()
        assert await going(bot, club, after.series_id) == {club.alice.user.id, club.bob.user.id}
    assert problems(club.server, error_log) == []


async def test_an_offer_nobody_takes_expires_its_card_says_so_and_loses_its_buttons(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(club, slot1="Mon 9:00", slot2="Tue 9:00")
        await drained(bot)
        view = await only_offer(bot, club)
        before = copy.deepcopy(card(club, view.id))
        clock.set(MONDAY_9)
        assert await bot.services.offers.expire(view.id) is not None
        await drained(bot)
        shown = card(club, view.id)
        assert shown.buttons == [] and "expired" in shown.embeds[0]["description"]
        assert (await bot.services.offers.show(club.guild.id, view.id)).status is (
            OfferStatus.EXPIRED
        )
        # A press on the card as it was before the edit reached the client gets a sentence.
        stale = await reply(press_stale(club, club.bob, before, offer_take_id(view.id, 2)))
        assert stale.ephemeral and "expired" in stale.content
    async with database.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(SessionSeries)) == 0
    assert problems(club.server, error_log) == []


async def test_two_members_pressing_the_same_slot_at_once_get_one_confirmation(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(club, slot1="Mon 9:00", slot2="Tue 9:00")
        await drained(bot)
        view = await only_offer(bot, club)
        shown = card(club, view.id)
        a, b = await asyncio.gather(
            driver.click(club.bob, shown, offer_take_id(view.id, 2)),
            driver.click(club.cat, shown, offer_take_id(view.id, 2)),
        )
        answers = [(await reply(a)).content, (await reply(b)).content]
        assert sum("Confirmed:" in t for t in answers) == 1
        assert sum("Too late" in t for t in answers) == 1
        await drained(bot)
        assert len(lines(club, "is on, slot 2")) == 1
        async with database.transaction() as s:
            assert await s.scalar(select(func.count()).select_from(SessionSeries)) == 1

        # Enough people, one place left (three with Alice): Cat and Dan press it at once.
        await offer(club, slot1="Mon 9:00", min=3, max=3, title="Trio")
        await drained(bot)
        trio = await only_offer(bot, club)
        take = offer_take_id(trio.id, 1)
        await reply(await driver.click(club.bob, card(club, trio.id), take))
        shown = card(club, trio.id)
        a, b = await asyncio.gather(
            driver.click(club.cat, shown, take), driver.click(club.dan, shown, take)
        )
        answers = [(await reply(a)).content, (await reply(b)).content]
        assert sum("Confirmed:" in t for t in answers) == 1, answers
        assert sum("Too late" in t for t in answers) == 1, answers
        after = await bot.services.offers.show(club.guild.id, trio.id)
        assert after.series_id is not None
        assert len(await going(bot, club, after.series_id)) == 3
    assert problems(club.server, error_log) == []


async def test_offers_survive_a_restart_a_take_works_and_the_expiry_still_fires(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(club, slot1="Mon 9:00", title="Take me")
        await offer(club, slot1="Tue 9:00", title="Let me expire", expires="Mon 12:00")
        await offer(club, slot1="Mon 10:00", title="Down over it", expires="Sun 13:00")
        await drained(bot)
        views = {v.title: v for v in await bot.services.offers.open_offers(club.guild.id)}
    clock.set(START + timedelta(hours=2))  # down past "Down over it"'s expiry
    async with sprintbot(club.server, database, clock=clock) as bot:
        await drained(bot)
        gone = card(club, views["Down over it"].id)
        assert gone.buttons == [] and "expired" in gone.embeds[0]["description"]
        took = await reply(
            await club.server.driver.click(
                club.bob, card(club, views["Take me"].id), offer_take_id(views["Take me"].id, 1)
            )
        )
        assert "Confirmed:" in took.content
        expiring = views["Let me expire"]
        armed = await bot.services.offers.show(club.guild.id, expiring.id)
        assert armed.expires_at == MONDAY_9 + timedelta(hours=3)
        assert bot.timers.when(offer_timer_key(expiring.id)) == armed.expires_at
        clock.set(armed.expires_at)
        await bot.services.offers.expire(expiring.id)
        await drained(bot)
        assert "expired" in card(club, expiring.id).embeds[0]["description"]
    assert problems(club.server, error_log) == []


async def test_withdraw_by_button_and_command_only_the_offerer_or_a_manager(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(club, slot1="Mon 9:00", title="By button")
        await offer(club, slot1="Tue 9:00", title="By command")
        await drained(bot)
        views = {v.title: v for v in await bot.services.offers.open_offers(club.guild.id)}
        listed = await reply(await driver.slash(club.bob, club.general, "offer list"))
        assert "By button" in listed.content and "By command" in listed.content
        by_button = views["By button"]
        shown = card(club, by_button.id)
        refused = await reply(await driver.click(club.bob, shown, offer_withdraw_id(by_button.id)))
        assert refused.ephemeral and "Manage Server" in refused.content
        done = await reply(await driver.click(club.alice, shown, offer_withdraw_id(by_button.id)))
        assert done.ephemeral and "Withdrawn" in done.content
        choices = await driver.autocomplete(
            club.alice, club.general, "offer withdraw", "offer", "command"
        )
        assert [c["value"] for c in choices] == [views["By command"].id]
        cmd = await reply(
            await driver.slash(
                club.mod, club.general, "offer withdraw", offer=views["By command"].id
            )
        )
        assert "Withdrawn" in cmd.content
        await drained(bot)
        for view in views.values():
            closed = card(club, view.id)
            assert closed.buttons == [] and "withdrawn" in closed.embeds[0]["description"]
    assert problems(club.server, error_log) == []


async def test_stop_tracking_withdraws_my_open_offer_and_takes_back_my_tick_on_the_cards(
    club: Club, database: Database, clock: FakeClock, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, clock=clock) as bot:
        await offer(club, slot1="Mon 9:00", title="Mine")
        await offer(club, club.cat, slot1="Mon 9:00", slot2="Tue 9:00", title="Cat's", min=3)
        await drained(bot)
        views = {v.title: v for v in await bot.services.offers.open_offers(club.guild.id)}
        mine, cats = views["Mine"], views["Cat's"]
        ticked = await reply(
            await driver.click(club.alice, card(club, cats.id), offer_take_id(cats.id, 1))
        )
        assert "You can make slot 1" in ticked.content

        stopped = await reply(await driver.slash(club.alice, club.general, "privacy stop-tracking"))
        assert stopped.ephemeral and "your open slot offers are withdrawn" in stopped.content
        await drained(bot)
        closed = card(club, mine.id)  # the channel sees it on the card
        assert closed.buttons == [] and "withdrawn" in closed.embeds[0]["description"]
        assert bot.timers.when(offer_timer_key(mine.id)) is None
        redrawn = card(club, cats.id)
        assert f"<@{club.alice.user.id}>" not in redrawn.embeds[0]["description"]
        assert redrawn.buttons  # still open for the others
        again = await reply(await driver.click(club.alice, redrawn, offer_take_id(cats.id, 1)))
        assert again.ephemeral and "not to keep anything" in again.content
        (left,) = await bot.services.offers.open_offers(club.guild.id)
        assert left.id == cats.id and left.slot(1).takers == ()
    assert problems(club.server, error_log) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"slot1": "2026-01-01 09:00"}, "passed"),
        ({"slot1": "yesterday 12:00"}, "Slot 1: Sat 2 Jan 2027 12:00 (Europe/London) has already"),
        ({"slot1": "Funday"}, "can't read"),
        ({"slot1": "Mon 9:00", "slot2": "Mon 09:00"}, "same time"),
        ({"min": 4, "max": 3}, "more than the maximum"),
        ({"min": 1}, "2 to 99"),
        ({"to": "robo"}, "is a bot"),
        ({"to": "stranger"}, "isn't in this server"),
        ({"to": "alice"}, "yourself"),
        ({"expires": "Wed 9:00"}, "after the last slot"),
        ({"expires": "whenever"}, "can't read"),
        ({"where": "quiet"}, "I can't post in"),
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
    people = {"robo": club.robot, "stranger": club.stranger, "alice": club.alice}
    options = {k: people.get(v, v) if k == "to" else v for k, v in options.items()}
    if options.get("where") == "quiet":
        options["where"] = club.quiet
    async with sprintbot(club.server, database, clock=clock) as bot:
        refused = await offer(club, **{"slot1": "Mon 9:00", **options})
        assert refused.ephemeral and words in refused.content, refused.content
        assert await bot.services.offers.open_offers(club.guild.id) == []
    for channel in (club.general, club.quiet):
        assert [m for m in channel.history() if not m.ephemeral] == []
    assert problems(club.server, error_log) == []
