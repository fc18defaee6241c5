"""Reading delivery failures by topic (``bot.delivery.failures``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery import Outgoing, acknowledge_failures, enqueue, failures_for, recent_failures
from db.engine import Database
from db.models import DeliveryFailure

GUILD = 10**17 + 1
CHANNEL, OTHER = 10**17 + 2, 10**17 + 3
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def _fail(
    database: Database, topic: str | None, channel: int, reason: str, minutes: int
) -> None:
    """One row of ``topic`` that Discord refused for good, as the sender records it."""
    async with database.transaction() as session:
        [row] = await enqueue(
            session,
            Outgoing("send", {"content": "x"}, channel_id=channel, guild_id=GUILD, topic=topic),
        )
        row.status = "failed"
        session.add(
            DeliveryFailure(
                guild_id=GUILD,
                channel_id=channel,
                outbox_id=row.id,
                reason=reason,
                created_at=T0 + timedelta(minutes=minutes),
            )
        )


async def _note(database: Database, channel: int, reason: str) -> None:
    """A failure a service noted itself, without an outbox row."""
    async with database.transaction() as session:
        session.add(
            DeliveryFailure(
                guild_id=GUILD, channel_id=channel, outbox_id=None, reason=reason, created_at=T0
            )
        )


async def test_failures_for_a_topic_are_only_that_topics_newest_first(
    database: Database,
) -> None:
    await _fail(database, "accountability", CHANNEL, "acc 1", 1)
    await _fail(database, "sprint:4", CHANNEL, "sprint", 2)
    await _fail(database, "accountability", OTHER, "acc 2", 3)
    await _note(database, CHANNEL, "noted")
    async with database.transaction() as session:
        ours = await failures_for(session, GUILD, topic="accountability")
        in_channel = await failures_for(session, GUILD, topic="accountability", channel_id=CHANNEL)
        later = await failures_for(
            session, GUILD, topic="accountability", since=T0 + timedelta(minutes=2)
        )
        with_notes = await failures_for(
            session, GUILD, topic="accountability", unattributed_in=CHANNEL, limit=3
        )
        everything = await recent_failures(session, GUILD)
    assert [f.reason for f in ours] == ["acc 2", "acc 1"]
    assert [f.reason for f in in_channel] == ["acc 1"]
    assert [f.reason for f in later] == ["acc 2"]
    assert [f.reason for f in with_notes] == ["acc 2", "acc 1", "noted"]
    assert [f.reason for f in everything] == ["acc 2", "sprint", "acc 1", "noted"]


async def test_a_rows_topic_defaults_to_its_sprint(database: Database) -> None:
    async with database.transaction() as session:
        [row] = await enqueue(session, Outgoing("send", {}, channel_id=CHANNEL, sprint_id=None))
        [sprint_row] = await enqueue(
            session, Outgoing("send", {}, channel_id=CHANNEL, guild_id=GUILD)
        )
    assert row.topic is None and sprint_row.topic is None
    assert Outgoing("send", {}, channel_id=CHANNEL, sprint_id=7).topic == "sprint:7"
    assert Outgoing("send", {}, channel_id=CHANNEL, sprint_id=7, topic="x").topic == "x"


async def test_acknowledging_a_topic_leaves_other_topics_failures_open(
    database: Database,
) -> None:
    await _fail(database, "accountability", CHANNEL, "acc", 1)
    await _fail(database, "sprint:4", CHANNEL, "sprint", 2)
    await _note(database, OTHER, "noted")
    async with database.transaction() as session:
        marked = await acknowledge_failures(session, GUILD, topic="accountability")
    async with database.transaction() as session:
        open_ = await recent_failures(session, GUILD)
        seen = await failures_for(session, GUILD, topic="accountability", include_acknowledged=True)
    assert marked == 2  # its own failure and the one noted without a row
    assert [f.reason for f in open_] == ["sprint"]
    assert [f.reason for f in seen] == ["acc"]
