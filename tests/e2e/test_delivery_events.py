"""Guild Scheduled Events through the outbox: the real bot's sender against the local server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.delivery import Outgoing, Priority, enqueue, recent_failures
from bot.localdiscord import LocalDiscord, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from db.models import OutboxMessage
from tests.e2e.support import drained
from tests.e2e.test_delivery import bot_running


def event_body(name: str, voice_id: int | None, start: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "privacy_level": 2,
        "scheduled_start_time": start.isoformat(),
    }
    if voice_id is None:
        body |= {
            "entity_type": 3,
            "entity_metadata": {"location": "#general"},
            "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        }
    else:
        body |= {"entity_type": 2, "channel_id": str(voice_id)}
    return body


def row(kind: str, guild_id: int, channel_id: int, event: dict[str, Any], **kw: Any) -> Outgoing:
    return Outgoing(
        kind,  # type: ignore[arg-type]
        {"guild_id": guild_id, "event": event},
        channel_id=channel_id,
        guild_id=guild_id,
        priority=Priority.COSMETIC,
        **kw,
    )


async def test_event_created_started_and_completed_through_the_outbox(
    server: LocalDiscord, database: Database, error_log: DiscordErrorLog
) -> None:
    guild = server.add_guild("Sprint Club")
    general, focus = guild.add_text_channel("general"), guild.add_voice_channel("Focus")
    start = datetime.now(UTC) + timedelta(hours=1)
    async with database.transaction() as session:
        await enqueue(
            session,
            row(
                "event_create",
                guild.id,
                general.id,
                event_body("Standup", focus.id, start),
                ref="session_event:1",
            ),
            row("event_edit", guild.id, general.id, {"status": 2}, target_ref="session_event:1"),
            row("event_edit", guild.id, general.id, {"status": 3}, target_ref="session_event:1"),
        )
    async with bot_running(server, database) as bot:
        await drained(bot, timeout=20)
    (event,) = guild.scheduled_events.values()
    assert (event.name, event.channel_id, event.status) == ("Standup", focus.id, 3)
    async with database.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.status for r in rows] == ["sent"] * 3
    assert rows[0].result_id == event.id
    assert problems(server, error_log) == []


async def test_without_event_permissions_a_manager_is_told_and_messages_still_flow(
    server: LocalDiscord, database: Database
) -> None:
    guild = server.add_guild("Sprint Club")
    general = guild.add_text_channel("general")
    server.world.set_bot_permissions(guild, deny=Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS)
    start = datetime.now(UTC) + timedelta(hours=1)
    async with database.transaction() as session:
        await enqueue(
            session,
            row(
                "event_create",
                guild.id,
                general.id,
                event_body("Write", None, start),
                ref="session_event:2",
            ),
            Outgoing("send", {"content": "reminder"}, channel_id=general.id, guild_id=guild.id),
        )
    async with bot_running(server, database) as bot:
        await drained(bot, timeout=20)
    assert guild.scheduled_events == {}
    assert [m.content for m in general.history()] == ["reminder"]
    async with database.transaction() as session:
        failures = await recent_failures(session, guild.id)
    assert any("Manage Events" in f.reason for f in failures)


async def test_a_deleted_voice_channel_does_not_mark_the_text_channel_gone(
    server: LocalDiscord, database: Database
) -> None:
    guild = server.add_guild("Sprint Club")
    general, focus = guild.add_text_channel("general"), guild.add_voice_channel("Focus")
    start = datetime.now(UTC) + timedelta(hours=1)
    server.delete_channel(focus)
    async with database.transaction() as session:
        await enqueue(
            session,
            row(
                "event_create",
                guild.id,
                general.id,
                event_body("Gone", focus.id, start),
                ref="session_event:3",
            ),
        )
    async with bot_running(server, database) as bot:
        await drained(bot, timeout=20)
        async with database.transaction() as session:
            await enqueue(
                session,
                Outgoing(
                    "send", {"content": "still here"}, channel_id=general.id, guild_id=guild.id
                ),
            )
        bot.delivery.wake()
        await drained(bot, timeout=20)
    assert [m.content for m in general.history()] == ["still here"]
    server.errors.clear()  # the refused event body was the point of this test
