"""Slot offers at the service level, continued: /findtime drafts that can no longer be offered
are deleted, "Offer these" in a channel the bot can't post in, and a member who turns tracking
off (their open offers withdrawn, their ticks taken back). Same world as test_offers.py: real
SQLite (and PostgreSQL when configured), timers armed but never started.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.errors import Conflict, NotFound, PermissionDenied
from bot.services.offers import OfferStatus, timer_key
from db.engine import Database
from db.models import OutboxMessage, SlotOffer, SlotOfferSlot
from tests.services.test_offers import (
    ANA,
    BEN,
    CHANNEL,
    CY,
    GUILD,
    HOST,
    T0,
    World,
    make_world,
    utc,
)


@pytest.fixture
def world(database: Database) -> World:
    return make_world(database)


async def offer_ids(world: World) -> set[int]:
    async with world.db.transaction() as s:
        return set(await s.scalars(select(SlotOffer.id)))


async def slots_of(world: World, offer_id: int) -> int:
    async with world.db.transaction() as s:
        stmt = select(func.count()).where(SlotOfferSlot.offer_id == offer_id)
        return int(await s.scalar(stmt) or 0)


# -- drafts that can no longer be offered -------------------------------------------------------


async def test_drafts_that_can_no_longer_be_offered_are_deleted_with_their_slots(
    world: World,
) -> None:
    next_week = utc(2031, 3, 30, 9)
    old = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [next_week], [ANA], 30)
    soon = await world.offers.draft(
        GUILD, CHANNEL, ANA, "Ana", [T0 + timedelta(hours=2), next_week], [BEN], 30
    )
    offered = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [next_week], [CY], 30)
    await world.offers.offer_draft(GUILD, offered, HOST, "Host")
    # Three hours on, Ana's first time has started: the next draft stored deletes hers.
    world.clock.set(T0 + timedelta(hours=3))
    kept = await world.offers.draft(GUILD, CHANNEL, BEN, "Ben", [next_week], [ANA], 30)
    assert await offer_ids(world) == {old, offered, kept}
    assert await slots_of(world, soon) == 0
    with pytest.raises(NotFound, match=r"no longer on offer.*Run `/findtime` again"):
        await world.offers.offer_draft(GUILD, soon, ANA, "Ana")
    # A day after the first draft, a restart deletes it (Ben's is 21 hours old: kept). Open and
    # closed offers are never touched.
    world.clock.set(T0 + timedelta(hours=24, minutes=1))
    await world.offers.restore()
    assert await offer_ids(world) == {offered, kept}
    assert await slots_of(world, old) == 0
    assert (await world.offers.show(GUILD, offered)).status is OfferStatus.OPEN
    view = await world.offers.offer_draft(GUILD, kept, BEN, "Ben")
    assert view.status is OfferStatus.OPEN


async def test_privacy_counts_exports_and_forgets_drafts_while_they_are_kept(
    world: World,
) -> None:
    draft = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [utc(2031, 3, 30, 9)], [], 30)
    assert (await world.services.privacy.show(HOST)).counts["slot offers made"] == 1
    exported = json.loads((await world.services.privacy.export(HOST)).data)
    assert [o["status"] for o in exported["tables"]["slot_offers_made"]] == ["draft"]
    # Forget me deletes a draft nobody else saw (it used to become a withdrawn offer).
    await world.services.privacy.forget(HOST)
    assert await offer_ids(world) == set()
    assert await slots_of(world, draft) == 0
    with pytest.raises(Conflict, match="not to keep anything"):
        await world.offers.offer_draft(GUILD, draft, HOST, "Host")


# -- "Offer these" where the bot can't post -----------------------------------------------------


async def test_offer_these_in_a_channel_the_bot_cant_post_in_is_refused_as_offer_slots_is(
    world: World,
) -> None:
    did = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [utc(2031, 3, 30, 9)], [ANA], 30)
    with pytest.raises(PermissionDenied) as refused:
        await world.offers.offer_draft(GUILD, did, HOST, "Host", can_post=False)
    with pytest.raises(PermissionDenied) as typed:
        await world.offer(can_post=False)
    assert str(refused.value) == str(typed.value)
    assert str(refused.value).startswith(f"I can't post in <#{CHANNEL}>: I need View Channel")
    assert (await world.offers.show(GUILD, did)).status is OfferStatus.DRAFT
    assert await world.count(OutboxMessage) == 0 and world.timers.when(timer_key(did)) is None
    # Someone else's press still hears whose it is first.
    with pytest.raises(PermissionDenied, match="who ran `/findtime`"):
        await world.offers.offer_draft(GUILD, did, ANA, "Ana", can_post=False)
    # Once the bot may post there, the same draft is offered.
    assert (await world.offers.offer_draft(GUILD, did, HOST, "Host")).status is OfferStatus.OPEN


# -- a member who turns tracking off ------------------------------------------------------------


async def test_turning_tracking_off_withdraws_my_open_offers_and_takes_back_my_ticks(
    world: World,
) -> None:
    mine = await world.offer()  # Host's, first taker confirms
    group = await world.offer(offerer_id=BEN, offerer_name="Ben", min_people=3, max_people=4)
    await world.offers.take(GUILD, group.id, 1, HOST, "Host")  # Host ticks Ben's slot 1
    await world.take(group.id, 2, ANA)
    draft = await world.offers.draft(GUILD, CHANNEL, HOST, "Host", [utc(2031, 3, 30, 9)], [], 30)
    assert await world.services.privacy.set_tracking(HOST, False) is True

    # My open offer is withdrawn, its card closed and saying so, its expiry disarmed ...
    withdrawn = await world.offers.show(GUILD, mine.id)
    assert withdrawn.status is OfferStatus.WITHDRAWN
    card = (await world.payloads(mine.id, "edit"))[-1]
    assert card["components"] == []
    assert "This offer was withdrawn" in card["embeds"][0]["description"]
    assert world.timers.when(timer_key(mine.id)) is None
    # ... so nobody can take it and no session records me Going.
    with pytest.raises(Conflict, match="withdrawn"):
        await world.take(mine.id, 1, ANA)
    # My tick on Ben's offer is taken back (the card redrawn without me); the rest stays open.
    still = await world.offers.show(GUILD, group.id)
    assert still.status is OfferStatus.OPEN and still.slot(1).takers == ()
    assert [t.user_id for t in still.slot(2).takers] == [ANA]
    redrawn = (await world.payloads(group.id, "edit"))[-1]
    assert f"<@{HOST}>" not in redrawn["embeds"][0]["description"]
    assert world.timers.when(timer_key(group.id)) == group.expires_at
    await world.take(group.id, 1, CY)
    done = await world.take(group.id, 1, ANA)  # Ben, Cy, Ana: 3 reached without me
    series = await world.services.sessions.show(GUILD, done.series_id)
    assert {a.user_id for a in series.next.going} == {BEN, CY, ANA}
    # My draft is gone; pressing its button tells me why I can't offer.
    assert draft not in await offer_ids(world)
    with pytest.raises(Conflict, match="not to keep anything"):
        await world.offers.offer_draft(GUILD, draft, HOST, "Host")
    # Turning it off again changes nothing; tracking back on doesn't bring offers back.
    assert await world.services.privacy.set_tracking(HOST, False) is False
    assert await world.services.privacy.set_tracking(HOST, True) is True
    assert (await world.offers.show(GUILD, mine.id)).status is OfferStatus.WITHDRAWN
