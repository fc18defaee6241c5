"""Standing sessions' Discord events at the service level: the outbox rows each change writes,
"Interested" as Maybe, the per-series toggle and the missing permission. Real SQLite (and
PostgreSQL when configured); the delivered event id is filled in on the row as the sender would.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.errors import PermissionDenied, UserError
from bot.domain.privacy import user_hash
from bot.services.sessions import EditRequest, Rsvp
from bot.services.sessions.discord_events import event_ref
from db.models import OutboxMessage, PrivacyMark, SessionRsvp, SessionSeries
from tests.services.test_sessions import ANA, BEN, CHANNEL, GUILD, HOST, VOICE, World
from tests.services.test_sessions import world as world

EVENT_ID = 10**18 + 7


class Access:
    def __init__(self, allowed: bool | None) -> None:
        self.allowed = allowed

    def can_manage_events(self, guild_id: int, voice_channel_id: int | None) -> bool | None:
        return self.allowed


async def event_rows(world: World) -> list[OutboxMessage]:
    async with world.db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind.in_(("event_create", "event_edit")))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def deliver_event(world: World) -> None:
    """What the sender does when Discord answers the create: the event id on the row."""
    async with world.db.transaction() as s:
        row = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "event_create"))
        ).first()
        assert row is not None
        row.status, row.result_id = "sent", EVENT_ID


async def answer(world: World, sid: int, user: int) -> str | None:
    async with world.db.transaction() as s:
        occ = (await world.occurrences(sid))[0]
        row = (
            await s.scalars(
                select(SessionRsvp).where(
                    SessionRsvp.occurrence_id == occ.id, SessionRsvp.user_id == user
                )
            )
        ).first()
        return row.status if row else None


def body(row: OutboxMessage) -> dict[str, Any]:
    assert row.payload["guild_id"] == GUILD
    event: dict[str, Any] = row.payload["event"]
    return event


async def test_schedule_creates_a_voice_event_for_the_next_occurrence(world: World) -> None:
    sid = await world.schedule(voice_channel_id=VOICE)
    (row,) = await event_rows(world)
    occ = (await world.occurrences(sid))[0]
    assert row.kind == "event_create" and row.ref == event_ref(occ.id)
    assert row.channel_id == CHANNEL and row.guild_id == GUILD
    event = body(row)
    assert event["entity_type"] == 2 and event["channel_id"] == str(VOICE)
    assert event["name"] == "Writing club" and event["privacy_level"] == 2
    assert event["scheduled_start_time"] == occ.starts_at.isoformat()


async def test_without_voice_the_event_is_external_with_a_link(world: World) -> None:
    await world.schedule()
    event = body((await event_rows(world))[0])
    assert event["entity_type"] == 3 and event["channel_id"] is None
    assert event["entity_metadata"] == {
        "location": f"https://discord.com/channels/{GUILD}/{CHANNEL}"
    }
    assert event["scheduled_end_time"] > event["scheduled_start_time"]


async def test_edit_start_end_and_the_next_week(world: World) -> None:
    sid = await world.schedule(voice_channel_id=VOICE)
    await world.sessions.edit(world.actor(HOST), sid, EditRequest(title="Deep writing"))
    edit = (await event_rows(world))[-1]
    assert edit.kind == "event_edit" and edit.target_ref == (await event_rows(world))[0].ref
    assert body(edit)["name"] == "Deep writing"
    assert await world.tick(sid) == ["reminded 1"]
    assert await world.tick(sid) == ["started"]
    first, nxt = (await world.occurrences(sid))[:2]
    rows = await event_rows(world)
    # The started one goes ACTIVE; the next week's gets its event at once.
    assert [(r.kind, r.target_ref or r.ref) for r in rows] == [
        ("event_create", event_ref(first.id)),
        ("event_edit", event_ref(first.id)),
        ("event_edit", event_ref(first.id)),
        ("event_create", event_ref(nxt.id)),
    ]
    assert body(rows[2]) == {"status": 2}


async def test_skip_cancels_and_the_next_occurrence_gets_its_own_event(world: World) -> None:
    sid = await world.schedule()
    first = (await world.occurrences(sid))[0]
    await world.sessions.skip(world.actor(HOST), sid)
    rows = await event_rows(world)
    assert body(rows[1]) == {"status": 4} and rows[1].target_ref == event_ref(first.id)
    nxt = (await world.occurrences(sid))[1]
    assert rows[2].kind == "event_create" and rows[2].ref == event_ref(nxt.id)


async def test_cancel_cancels_the_event(world: World) -> None:
    sid = await world.schedule()
    await world.sessions.cancel(world.actor(HOST), sid)
    assert body((await event_rows(world))[-1]) == {"status": 4}


async def test_interested_is_maybe_and_never_changes_going(world: World) -> None:
    sid = await world.schedule()
    await deliver_event(world)
    events = world.services.session_events
    assert await events.interested(GUILD, EVENT_ID, ANA, "Ana", True)
    assert await answer(world, sid, ANA) == Rsvp.MAYBE
    assert not await events.interested(GUILD, EVENT_ID, ANA, "Ana", True)  # already
    assert not await events.interested(GUILD, EVENT_ID, HOST, "Host", True)  # Going stays
    assert await answer(world, sid, HOST) == Rsvp.GOING
    assert await events.interested(GUILD, EVENT_ID, ANA, "Ana", False)
    assert await answer(world, sid, ANA) is None
    assert not await events.interested(GUILD, EVENT_ID, HOST, "Host", False)
    assert await answer(world, sid, HOST) == Rsvp.GOING
    # Someone else's event, or another server's, is ignored.
    assert not await events.interested(GUILD, EVENT_ID + 1, BEN, "Ben", True)
    assert not await events.interested(GUILD + 1, EVENT_ID, BEN, "Ben", True)
    async with world.db.transaction() as s:
        series = await s.get(SessionSeries, sid)
        assert series is not None and series.event_id == EVENT_ID


async def test_interested_from_an_untracked_member_stores_nothing(world: World) -> None:
    sid = await world.schedule()
    await deliver_event(world)
    async with world.db.transaction() as s:
        s.add(PrivacyMark(user_hash=user_hash(BEN), untracked_since=world.clock.now()))
    assert not await world.services.session_events.interested(GUILD, EVENT_ID, BEN, "Ben", True)
    assert await answer(world, sid, BEN) is None


async def test_without_permission_the_creator_is_told_once_and_the_series_works(
    world: World,
) -> None:
    world.services.session_events.access = Access(False)
    sid = await world.schedule()
    assert await event_rows(world) == []
    (notice,) = await world.sent("Manage Events")
    assert notice["allowed_mentions"] == {"users": [str(HOST)]}
    async with world.db.transaction() as s:
        series = await s.get(SessionSeries, sid)
        assert series is not None and not series.event_enabled
    assert await world.tick(sid) == ["reminded 1"]
    assert await world.tick(sid) == ["started"]
    assert len(await world.sent("Manage Events")) == 1


async def test_the_toggle_needs_the_creator_or_a_manager_and_the_permission(
    world: World,
) -> None:
    events = world.services.session_events
    sid = await world.schedule()
    with pytest.raises(PermissionDenied, match="creator"):
        await events.set_enabled(world.actor(ANA), sid, False)
    off = await events.set_enabled(world.actor(ANA, manager=True), sid, False)
    assert "no longer shown" in off
    assert body((await event_rows(world))[-1]) == {"status": 4}
    events.access = Access(False)
    with pytest.raises(PermissionDenied, match="Manage Events"):
        await events.set_enabled(world.actor(HOST), sid, True)
    with pytest.raises(UserError, match="no session series"):
        await events.set_enabled(world.actor(HOST), sid + 99, True)


async def test_turning_it_on_creates_the_missing_event(world: World) -> None:
    world.services.session_events.access = Access(False)
    sid = await world.schedule()
    world.services.session_events.access = Access(True)
    on = await world.services.session_events.set_enabled(world.actor(HOST), sid, True)
    assert "now shown" in on
    (row,) = await event_rows(world)
    assert row.kind == "event_create"
